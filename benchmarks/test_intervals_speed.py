"""A loop's per-generation intervals: half-sampling both sets through SubsetMetrics (distances
formed once, every subset read off them) against the same half- and quarter-sample
replicates recomputed by madbench's metrics on each subset's rows (what half-sampling costs
without it), at a loop's default evaluation size in LeNet's feature space.

Target: at least 2x faster (the k-NN part reads its balls off the matrices; FID is fitted to each
subset's rows either way), every interval equal to 1e-9 (relative).
"""

import numpy as np
import pytest
from conftest import gaussian_pair, report, timing

from madbench.metrics.intervals import half_sample_intervals
from madbench.metrics.report import all_metrics
from madbench.metrics.subsets import SubsetMetrics

N, D, REPLICATES = 1000, 84, 20
KEYS = ("precision", "recall", "density", "coverage", "fid")


@pytest.fixture(scope="module")
def data():
    real, fake = gaussian_pair(N, N, D)
    return real.astype(np.float64), fake.astype(np.float64)


def estimates(real, fake):
    found = all_metrics(real, fake, metrics=["prdc", "fid"]).as_dict()
    return {key: found[key] for key in KEYS}


def through_subsets(real, fake):
    subsets = SubsetMetrics(real, fake, k=5)
    return half_sample_intervals(
        subsets, N, N, estimates(real, fake), replicates=REPLICATES, seed=1
    )


def recomputed(real, fake):
    def compute(rows_r, rows_f, keys):
        names = ["prdc", "fid"] if set(keys) - {"fid"} else ["fid"]
        found = all_metrics(real[rows_r], fake[rows_f], metrics=names).as_dict()
        return {key: found[key] for key in keys}

    return half_sample_intervals(
        compute, N, N, estimates(real, fake), replicates=REPLICATES, seed=1
    )


def test_through_subsets(timed, data, values):
    values["subsets"] = timed("intervals_subsets", through_subsets, *data, rounds=3)


def test_recomputed(timed, data, values):
    values["recomputed"] = timed("intervals_recomputed", recomputed, *data, rounds=1)


def test_ratio_and_agreement(values):
    ours, theirs = timing("intervals_subsets"), timing("intervals_recomputed")
    report(
        f"intervals n={N} d={D}, {REPLICATES} half + {REPLICATES} quarter replicates: "
        f"SubsetMetrics {ours:.2f} s, recomputed {theirs:.2f} s ({theirs / ours:.1f}x faster)"
    )
    for key in KEYS:
        np.testing.assert_allclose(values["subsets"][key], values["recomputed"][key], rtol=1e-9)
    assert theirs / ours >= 2
