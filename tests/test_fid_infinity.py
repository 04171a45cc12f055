"""FID-infinity (madbench.metrics.fid_infinity) against the analytic Frechet distance of two
Gaussians, which FID at a finite n overshoots by its bias."""

import numpy as np

from madbench.metrics.fid_infinity import fid_infinity
from madbench.metrics.frechet import fid_from_features


def test_fid_infinity_removes_the_bias_that_fid_carries():
    """N(0, I) against N(0.1, 1.1^2 I) in d = 16: the Frechet distance is d (0.01 + 0.01) =
    0.32. Over 40 draws of n = 1000, FID averages about 0.51 (its 1/n bias); FID-infinity's
    mean lies within 3 standard errors of 0.32, and nearer to it than a fifth of FID's bias."""
    d, n, draws = 16, 1000, 40
    truth = d * 0.1**2 + d * (1 - 1.1) ** 2
    rng = np.random.default_rng(0)
    fids, infinities = [], []
    for draw in range(draws):
        real, fake = rng.standard_normal((n, d)), 0.1 + 1.1 * rng.standard_normal((n, d))
        fids.append(fid_from_features(real, fake))
        infinities.append(fid_infinity(real, fake, seed=draw))
    fids, infinities = np.array(fids), np.array(infinities)
    bias = fids.mean() - truth
    assert bias > 0.1, bias  # FID at n = 1000 is well above the truth
    error = infinities.mean() - truth
    assert abs(error) <= 3 * infinities.std(ddof=1) / np.sqrt(draws), (error, infinities.std())
    assert abs(error) < bias / 5, (error, bias)


def test_fid_infinity_is_seeded_and_needs_enough_samples_per_dimension():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((200, 10)), rng.standard_normal((200, 10))
    assert fid_infinity(real, fake, seed=3) == fid_infinity(real, fake, seed=3)
    assert fid_infinity(real, fake, seed=3) != fid_infinity(real, fake, seed=4)
    # Below 4 samples per feature dimension, the 1/n law has no room: no value.
    assert np.isnan(fid_infinity(real[:39], fake[:39]))
    assert np.isfinite(fid_infinity(real[:40], fake[:40]))
