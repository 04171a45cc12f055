"""Intervals that cover: half-sampling both sets (madbench.metrics.intervals), checked by
simulation on Gaussians (madbench.checks.calibration), and compute_metrics(intervals=...)."""

import numpy as np
import pytest

import madbench
from madbench.checks.calibration import METRICS, coverage
from madbench.errors import InputError
from madbench.metrics.intervals import half_sample_intervals


def test_intervals_cover_at_a_small_size():
    """150 draws at n = 120, d = 4: each metric's 95 % interval covers its expected value
    within 2.3 standard errors of 95 % (a simulation of 150 draws has a standard error of
    1.8 %). The full calibration (400 draws at n = 360, d = 84) is the slow test below; its
    figures, and those at the loops' evaluation size, are in docs/metrics.md."""
    found = coverage(120, 4, 150, replicates=30, seed=1)
    for metric in METRICS:
        covered, ratio, _ = found[metric]
        assert 0.91 <= covered <= 0.99, (metric, found[metric])
        assert 0.8 <= ratio <= 1.3, (metric, found[metric])


@pytest.mark.slow  # about 6 minutes on one core
def test_intervals_cover_at_lenet_width():
    """400 draws at n = 360 (digits' held-out split), d = 84 (LeNet's width), where the
    bootstrap of run formats up to 5 covered 84-90 % (k-NN) and 99 % (FID, twice too wide).
    The loops' own intervals go through the same code (SubsetMetrics, kid_variance).
    Measured (seed 0): precision 95.3 % (98.0 % by half-samples of both sets, before its
    variance in two parts), recall 95.0 %, density 93.8 %, coverage 93.0 %, FID 94.5 %, each
    held within 95 % +- 2.5 points (2.3 standard errors of 400 draws). KID measured 91.8 % on
    this seed and 93.5 % over five (docs/metrics.md; half- and quarter-samples gave 91.0 %
    here): held to 90.5-97.5 %."""
    found = coverage(360, 84, 400, seed=0)
    for metric in ("precision", "recall", "density", "coverage", "fid"):
        assert 0.925 <= found[metric][0] <= 0.975, (metric, found[metric])
    assert 0.905 <= found["kid"][0] <= 0.975, found["kid"]


def test_compute_metrics_returns_an_interval_for_every_metric_it_computes():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((100, 6)), 0.2 + rng.standard_normal((100, 6))
    out = madbench.compute_metrics(real, fake, intervals=0.95, replicates=10, seed=3, kid_subsets=5)
    for metric in ("precision", "recall", "density", "coverage", "fid", "kid", "vendi"):
        assert out[f"{metric}_ci_low"] <= out[metric] <= out[f"{metric}_ci_high"], metric
    assert out["precision_ci_high"] <= 1.0 and out["fid_ci_low"] >= 0.0
    again = madbench.compute_metrics(
        real, fake, intervals=0.95, replicates=10, seed=3, kid_subsets=5
    )
    assert again == out  # seeded
    fid_only = madbench.compute_metrics(
        real, fake, metrics="fid", intervals=0.9, replicates=10, seed=3, kid_subsets=5
    )
    assert sorted(k for k in fid_only if k.endswith(("_low", "_high"))) == [
        "fid_ci_high",
        "fid_ci_low",
    ]
    assert fid_only["fid_ci_high"] - fid_only["fid_ci_low"] < out["fid_ci_high"] - out["fid_ci_low"]


def test_bad_interval_requests_are_refused():
    compute = lambda r, f, keys: {"fid": 0.0}  # noqa: E731
    with pytest.raises(InputError, match="at least 32 samples"):
        half_sample_intervals(compute, 20, 40, {"fid": 0.0})
    with pytest.raises(InputError, match="level must lie in"):
        half_sample_intervals(compute, 40, 40, {"fid": 0.0}, level=95)
    with pytest.raises(InputError, match="replicates must be an integer >= 10"):
        half_sample_intervals(compute, 40, 40, {"fid": 0.0}, replicates=3)


def test_subset_metrics_on_the_full_sets_are_the_metrics(monkeypatch):
    """SubsetMetrics, which the loops' intervals recompute on every half-sample, gives
    madbench's own metrics on the full sets: the k-NN metrics of knn_metrics and FID; its
    large-set path (each subset recomputed) equals its matrix path."""
    from madbench.metrics import subsets as subsets_module
    from madbench.metrics.frechet import fid_from_features
    from madbench.metrics.knn import knn_metrics
    from madbench.metrics.subsets import SubsetMetrics

    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((60, 5)), 0.3 + rng.standard_normal((60, 5))
    for strict in (False, True):
        found = SubsetMetrics(real, fake, k=4, strict=strict)()
        expected = knn_metrics(real, fake, k=4, strict=strict)
        for metric in ("precision", "recall", "density", "coverage"):
            assert found[metric] == getattr(expected, metric), metric
        assert found["fid"] == fid_from_features(real, fake)
    dense = SubsetMetrics(real, fake, k=4)
    rows_r, rows_f = np.arange(0, 60, 2), np.arange(1, 60, 2)
    monkeypatch.setattr(subsets_module, "MAX_ROWS", 10)
    large = SubsetMetrics(real, fake, k=4)
    assert not large.dense
    on_rows = large(rows_r, rows_f)
    for metric, value in dense(rows_r, rows_f).items():
        assert np.isclose(on_rows[metric], value, rtol=1e-10), metric


@pytest.mark.parametrize("shift", [0.0, 0.4])
def test_kid_variance_is_the_variance_of_the_estimate(shift):
    """KID's variance in closed form (its Hoeffding decomposition, madbench.metrics.kid)
    against the spread of the estimate itself over 600 draws of two sets of unequal sizes.
    Away from the null (first-order parts dominate) the estimates' mean is within 12 % of the
    simulated variance (whose own standard error is about 6 %); at the null the first-order
    parts are 0 and their noisy estimates, kept >= 0, make it conservative (measured 1.5x at
    d = 3, 1.2x at d = 84): between 1x and 1.7x. Averaging over subsets adds what the
    formula says."""
    from madbench.metrics.kid import KidResult, kid_variance, mmd2_components

    def mmd2(x, y):  # the unbiased MMD^2 of sets of different sizes, cubic kernel
        kxx, kyy, kxy = ((a @ b.T / 3 + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        m, n = len(x), len(y)
        within = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (
            n * (n - 1)
        )
        return within - 2 * kxy.mean()

    rng = np.random.default_rng(4)
    values, estimates = [], []
    for _ in range(600):
        real, fake = rng.standard_normal((40, 3)), shift + rng.standard_normal((50, 3))
        values.append(mmd2(real, fake))
        estimates.append(mmd2_components(real, fake).variance(40, 50))
    ratio = np.mean(estimates) / np.var(values, ddof=1)
    assert (0.88 <= ratio <= 1.12) if shift else (1.0 <= ratio <= 1.7), ratio
    whole = KidResult(0.0, 0.0, n_subsets=1, subset_size=40, seed=0)
    parts = mmd2_components(real, fake)
    assert kid_variance(real, fake, whole) == pytest.approx(parts.variance(40, 40))
    averaged = KidResult(0.0, 0.0, n_subsets=10, subset_size=20, seed=0)
    expected = parts.variance(40, 50) + (parts.variance(20, 20) - parts.variance(40, 50)) / 10
    assert kid_variance(real, fake, averaged) == pytest.approx(expected)


def test_precision_variance_is_the_variance_of_the_estimate():
    """Precision's variance in its two parts (the generated set's, exact given the real set;
    the real set's, from its half-samples less their generated-set noise) against the spread
    of precision itself over 600 draws, d = 16: within 12 % (the simulated variance's own
    standard error is about 6 %). Without the noise correction the real part is counted
    1.5 times over and the ratio is about 1.2. (At d = 5 it is 1.12-1.14: conservative where
    the k-NN balls of a half-sample grow most.)"""
    from madbench.metrics.intervals import precision_variance
    from madbench.metrics.subsets import SubsetMetrics

    rng = np.random.default_rng(0)
    values, estimates = [], []
    for draw in range(600):
        real, fake = rng.standard_normal((100, 16)), 0.2 + 1.1 * rng.standard_normal((120, 16))
        subsets = SubsetMetrics(real, fake, k=5)
        values.append(subsets(keys=("precision",))["precision"])
        estimates.append(precision_variance(subsets.in_real_balls, 100, replicates=40, seed=draw))
    ratio = np.mean(estimates) / np.var(values, ddof=1)
    assert 0.88 <= ratio <= 1.12, ratio
