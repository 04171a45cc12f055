"""FID bootstrap intervals of wide features (Inception's 2048 dimensions, a 1000-sample
evaluation set): the replicates' FIDs from the samples' Gram matrices (what madbench does when
d > n) against the same replicates through d x d covariances (what a bootstrap of any
covariance-based FID costs).

Target: at least 10x faster, every replicate's FID the same to 1e-6.
"""

import numpy as np
import pytest
from conftest import report, timing

from madbench.metrics.bootstrap import _counts, _resampled_stats
from madbench.metrics.frechet import SampleSpaceFid, frechet_distance

N, D, REPLICATES = 1000, 2048, 10


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    real = np.abs(rng.standard_normal((N, D)))  # non-negative, as pool3 activations
    fake = np.abs(1.1 * rng.standard_normal((N, D)) + 0.05)
    draws = zip(_counts(rng, N, REPLICATES), _counts(rng, N, REPLICATES), strict=True)
    counts = [pair for chunk_r, chunk_f in draws for pair in zip(chunk_r, chunk_f, strict=True)]
    return real, fake, counts


@pytest.fixture(scope="module")
def values():
    return {}


def gram_route(real, fake, counts):
    fid = SampleSpaceFid(real, fake)
    return [fid(cr, cf) for cr, cf in counts]


def covariance_route(real, fake, counts):
    return [
        frechet_distance(_resampled_stats(real, cr), _resampled_stats(fake, cf))
        for cr, cf in counts
    ]


def test_gram_route(timed, data, values):
    values["gram"] = timed("bootstrap_gram", gram_route, *data, rounds=3)


def test_covariance_route(timed, data, values):
    values["covariance"] = timed("bootstrap_covariance", covariance_route, *data, rounds=1)


def test_ratio_and_agreement(values):
    ours, theirs = timing("bootstrap_gram"), timing("bootstrap_covariance")
    report(
        f"FID bootstrap n={N} d={D}, {REPLICATES} replicates: Gram route {ours:.2f} s, "
        f"covariance route {theirs:.2f} s ({theirs / ours:.1f}x faster; per replicate "
        f"{ours / REPLICATES:.3f} s vs {theirs / REPLICATES:.2f} s)"
    )
    np.testing.assert_allclose(values["gram"], values["covariance"], rtol=1e-6)
    assert theirs / ours >= 10.0
