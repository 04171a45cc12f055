"""The later k-NN and kernel metrics against their independent references (madbench.checks.
references): precision and recall cover, probabilistic precision and recall, clipped density
and coverage, RKE, at extreme scales and on integer ties, plus the coverage calibration
against scipy's beta-binomial distribution."""

import numpy as np
import pytest
import scipy.stats

from madbench.checks.references import (
    clipped_reference,
    cover_reference,
    probabilistic_reference,
    rke_reference,
)
from madbench.errors import InputError
from madbench.metrics.clipped import clipped_density_coverage, coverage_calibration
from madbench.metrics.cover import precision_recall_cover
from madbench.metrics.probabilistic import probabilistic_precision_recall
from madbench.metrics.rke import rke_score


def gaussians(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((90, 5))
    fake = 0.4 + 1.3 * rng.standard_normal((70, 5))
    return real * scale, fake * scale


def ties(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, (60, 2)).astype(float), rng.integers(0, 4, (50, 2)).astype(float)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
@pytest.mark.parametrize("strict", [False, True])
def test_cover_equals_reference(scale, strict):
    real, fake = gaussians(scale)
    got = precision_recall_cover(real, fake, strict=strict)
    expected = cover_reference(real, fake, 3, 3, strict)
    assert (got.precision_cover, got.recall_cover) == pytest.approx(
        (expected["precision_cover"], expected["recall_cover"]), abs=1e-15
    )
    tied = precision_recall_cover(*ties(), k=2, c=2, strict=strict)
    expected = cover_reference(*ties(), 2, 2, strict)
    assert tied.precision_cover == expected["precision_cover"]
    assert tied.recall_cover == expected["recall_cover"]


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
@pytest.mark.parametrize("strict", [False, True])
def test_clipped_equals_reference(scale, strict):
    real, fake = gaussians(scale)
    got = clipped_density_coverage(real, fake, k=5, strict=strict)
    expected = clipped_reference(real, fake, 5, strict)
    assert got.clipped_density == pytest.approx(expected["clipped_density"], rel=1e-12)
    assert got.clipped_coverage == pytest.approx(expected["clipped_coverage"], abs=1e-15)


def test_clipped_on_ties_and_on_real_data():
    tied = clipped_density_coverage(*ties(), k=3)
    expected = clipped_reference(*ties(), 3)
    assert tied.clipped_density == pytest.approx(expected["clipped_density"], rel=1e-12)
    assert tied.clipped_coverage == expected["clipped_coverage"]
    real, _ = gaussians()
    same = clipped_density_coverage(real, real.copy())
    assert same.clipped_density == 1.0 and same.clipped_coverage == 1.0


def test_coverage_calibration_is_the_beta_binomial_expectation():
    k, n, m = 5, 40, 30
    f = coverage_calibration(k, n, m)
    expected = [0.0] * k + [
        scipy.stats.betabinom(s, k, n - k).expect(lambda j: np.minimum(j, k)) / k
        for s in range(k, m + 1)
    ]
    assert f == pytest.approx(expected, rel=1e-10)
    assert np.all(np.diff(f[k:]) > 0)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_probabilistic_equals_reference(scale):
    real, fake = gaussians(scale)
    got = probabilistic_precision_recall(real, fake)
    expected = probabilistic_reference(real, fake, 4, 1.2)
    assert got.p_precision == pytest.approx(expected["p_precision"], rel=1e-10)
    assert got.p_recall == pytest.approx(expected["p_recall"], rel=1e-10)


def test_probabilistic_duplicates_and_zero_radius():
    real, fake = gaussians()
    fake[:10] = real[:10]  # copies: probability 1 of lying in the real support
    got = probabilistic_precision_recall(real, fake, k=3, a=1.5)
    expected = probabilistic_reference(real, fake, 3, 1.5)
    assert got.p_precision == pytest.approx(expected["p_precision"], rel=1e-10)
    with pytest.raises(InputError, match="radius > 0"):
        probabilistic_precision_recall(np.zeros((20, 5)), fake)


@pytest.mark.parametrize("bandwidth", [0.3, 2.0, 50.0])
def test_rke_equals_reference(bandwidth):
    _, fake = gaussians()
    assert rke_score(fake, bandwidth=bandwidth) == pytest.approx(
        rke_reference(fake, bandwidth), rel=1e-9
    )
    assert rke_score(np.ones((7, 3)), bandwidth=bandwidth) == pytest.approx(1.0)
    with pytest.raises(InputError, match="bandwidth"):
        rke_score(fake, bandwidth=0.0)


def test_small_sets_are_refused_with_the_cover_size():
    real, fake = gaussians()
    with pytest.raises(InputError, match="k' = c \\* k = 9"):
        precision_recall_cover(real[:8], fake)
