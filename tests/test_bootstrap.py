"""Bootstrap intervals over the evaluation sample: seeded, and covering what they claim to."""

import numpy as np
import pytest

from madbench.metrics.bootstrap import fid_interval, knn_intervals
from madbench.metrics.frechet import fid_from_features
from madbench.metrics.knn import knn_metrics

DRAWS = 40


def gaussians(rng, n=300, d=20):
    return rng.standard_normal((n, d)), 1.3 * rng.standard_normal((n, d)) + 0.1


def test_fid_interval_covers_the_expected_fid_at_this_sample_size():
    """Over independent draws, the interval holds the mean FID at this n (Monte Carlo) in
    about 95 % of draws, without being absurdly wide."""
    rng = np.random.default_rng(0)
    expected = np.mean([fid_from_features(*gaussians(rng)) for _ in range(300)])
    shifted = 0
    widths, estimates = [], []
    for i in range(DRAWS):
        real, fake = gaussians(rng)
        fid = fid_from_features(real, fake)
        low, high = fid_interval(real, fake, fid, 200, seed=i)
        assert low <= fid <= high
        shifted += low <= expected <= high
        widths.append(high - low)
        estimates.append(fid)
    assert shifted >= 0.85 * DRAWS
    # Not absurdly wide: at most 3x the width a normal interval of the true spread has.
    assert np.mean(widths) < 3 * 3.92 * np.std(estimates, ddof=1)


def test_fid_percentile_interval_would_miss(monkeypatch):
    """The shift is needed: the replicates' percentile interval, biased upward by resampling's
    repeated rows, lies above the expected FID at this n."""
    from madbench.metrics import bootstrap

    rng = np.random.default_rng(1)
    expected = np.mean([fid_from_features(*gaussians(rng)) for _ in range(200)])
    captured = []
    original = bootstrap._percentile
    monkeypatch.setattr(bootstrap, "_percentile", lambda v: captured.append(v) or original(v))
    misses = 0
    for i in range(10):
        real, fake = gaussians(rng)
        fid_interval(real, fake, fid_from_features(real, fake), 200, seed=i)
        misses += np.percentile(captured[-1], 2.5) > expected
    assert misses >= 8


def test_knn_intervals_cover_the_expected_precision_and_density():
    """Real set fixed, generated sets redrawn: precision's and density's intervals hold
    their expectations (Monte Carlo) in about 95 % of draws."""
    rng = np.random.default_rng(2)
    real = rng.standard_normal((300, 5))

    def fake():
        return 1.2 * rng.standard_normal((300, 5))

    expected = np.mean(
        [[m.precision, m.density] for m in (knn_metrics(real, fake()) for _ in range(300))], axis=0
    )
    hits = np.zeros(2)
    for i in range(DRAWS):
        m = knn_metrics(real, fake(), per_sample=True)
        intervals = knn_intervals(m.per_sample, 5, 200, seed=i)
        for j, name in enumerate(("precision", "density")):
            low, high = intervals[name]
            assert low <= getattr(m, name) <= high
            hits[j] += low <= expected[j] <= high
    assert (hits >= 0.85 * DRAWS).all()


def test_intervals_are_seeded(rng):
    real, fake = gaussians(rng, n=120, d=4)
    m = knn_metrics(real, fake, per_sample=True)
    assert knn_intervals(m.per_sample, 5, 50, seed=3) == knn_intervals(m.per_sample, 5, 50, seed=3)
    assert knn_intervals(m.per_sample, 5, 50, seed=3) != knn_intervals(m.per_sample, 5, 50, seed=4)
    fid = fid_from_features(real, fake)
    assert fid_interval(real, fake, fid, 50, 3) == fid_interval(real, fake, fid, 50, 3)
    low, high = knn_intervals(m.per_sample, 5, 50, seed=3)["recall"]
    assert 0 <= low <= m.recall <= high <= 1


def test_identical_sets_get_a_fid_interval_from_zero(rng):
    x = rng.standard_normal((50, 3))
    assert fid_interval(x, x, 0.0, 20, 0)[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("n, m, d", [(60, 50, 200), (40, 45, 30), (30, 80, 100)])
def test_sample_space_fid_equals_the_covariance_route(n, m, d):
    from madbench.metrics.bootstrap import _counts, _resampled_stats
    from madbench.metrics.frechet import SampleSpaceFid, frechet_distance

    rng = np.random.default_rng(d)
    real = 0.5 * rng.standard_normal((n, d)) + 3.0  # a large common offset
    fake = rng.standard_normal((m, d)) + 3.2
    gram = SampleSpaceFid(real, fake)
    for cr, cf in zip(next(_counts(rng, n, 4)), next(_counts(rng, m, 4)), strict=True):
        expected = frechet_distance(_resampled_stats(real, cr), _resampled_stats(fake, cf))
        assert gram(cr, cf) == pytest.approx(expected, rel=1e-6)
