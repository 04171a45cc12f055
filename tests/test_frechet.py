"""FID / Wasserstein-2 against scipy's sqrtm and analytic values."""

import warnings

import numpy as np
import pytest
import scipy.linalg

from madbench.errors import DataFileError, InputError
from madbench.metrics.frechet import (
    GaussianStats,
    fid_from_features,
    fit_gaussian,
    frechet_distance,
    load_stats,
    save_stats,
    wasserstein2,
)


def sqrtm_reference(mu1, s1, mu2, s2):
    """The textbook formula with scipy.linalg.sqrtm, in float64 (well-conditioned inputs only)."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def random_spd(rng, d, cond=10.0):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    w = np.exp(rng.uniform(0, np.log(cond), d))
    return (q * w) @ q.T


@pytest.mark.parametrize("d", [2, 16, 64, 200])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_sqrtm_reference_when_well_conditioned(d, seed):
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    got = frechet_distance(GaussianStats(mu1, s1, 0), GaussianStats(mu2, s2, 0))
    assert got == pytest.approx(sqrtm_reference(mu1, s1, mu2, s2), rel=1e-6)


def test_features_equal_reference_on_fitted_statistics(rng):
    real = rng.standard_normal((2000, 32))
    fake = rng.standard_normal((1500, 32)) @ random_spd(rng, 32) + 0.5
    expected = sqrtm_reference(
        real.mean(0), np.cov(real, rowvar=False), fake.mean(0), np.cov(fake, rowvar=False)
    )
    assert fid_from_features(real, fake) == pytest.approx(expected, rel=1e-6)


def test_unit_mean_shift_in_2048_dimensions_is_exactly_2048():
    d = 2048
    eye = np.eye(d)
    got = frechet_distance(GaussianStats(np.zeros(d), eye, 0), GaussianStats(np.ones(d), eye, 0))
    assert got == 2048.0


def test_identical_statistics_give_exactly_zero(rng):
    feats = rng.standard_normal((300, 50))
    stats = fit_gaussian(feats)
    assert frechet_distance(stats, stats) == 0.0
    assert fid_from_features(feats, feats.copy()) == 0.0


def test_diagonal_covariances_closed_form(rng):
    a, b = rng.uniform(0.1, 3, 10), rng.uniform(0.1, 3, 10)
    mu1, mu2 = rng.standard_normal(10), rng.standard_normal(10)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = frechet_distance(GaussianStats(mu1, np.diag(a), 0), GaussianStats(mu2, np.diag(b), 0))
    assert got == pytest.approx(expected, rel=1e-12)


def test_wasserstein2_of_one_dimensional_gaussians():
    # W2(N(m1, s1^2), N(m2, s2^2)) = sqrt((m1 - m2)^2 + (s1 - s2)^2)
    got = wasserstein2(
        GaussianStats(np.array([1.0]), np.array([[4.0]]), 0),
        GaussianStats(np.array([-2.0]), np.array([[0.25]]), 0),
    )
    assert got == pytest.approx(np.sqrt(9.0 + 1.5**2), rel=1e-12)


def test_never_negative_nor_complex_for_nearly_equal_or_singular(rng):
    base = rng.standard_normal((30, 100))  # n < d: singular covariance
    with pytest.warns(UserWarning, match="singular"):
        s1 = fit_gaussian(base)
    s2 = GaussianStats(s1.mu + 1e-12, s1.sigma * (1 + 1e-12), 30)
    value = frechet_distance(s1, s2)
    assert isinstance(value, float) and value >= 0.0 and np.isfinite(value)


def test_fit_gaussian_is_unbiased(rng):
    x = rng.standard_normal((50, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = fit_gaussian(x)
    np.testing.assert_allclose(stats.sigma, np.cov(x, rowvar=False, ddof=1), rtol=1e-12)
    assert stats.n == 50


def test_stats_round_trip(tmp_path, rng):
    stats = fit_gaussian(rng.standard_normal((100, 6)))
    path = tmp_path / "s.npz"
    save_stats(path, stats)
    loaded = load_stats(path)
    np.testing.assert_array_equal(loaded.mu, stats.mu)
    np.testing.assert_array_equal(loaded.sigma, stats.sigma)
    assert loaded.n == 100
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_bad_statistics(tmp_path):
    with pytest.raises(InputError, match=r"sigma must be \(3, 3\)"):
        GaussianStats(np.zeros(3), np.eye(2), 0)
    with pytest.raises(InputError, match="finite"):
        GaussianStats(np.array([np.nan]), np.eye(1), 0)
    with pytest.raises(InputError, match="different dimension"):
        frechet_distance(
            GaussianStats(np.zeros(2), np.eye(2), 0), GaussianStats(np.zeros(3), np.eye(3), 0)
        )
    np.savez(tmp_path / "x.npz", a=np.ones(3))
    with pytest.raises(DataFileError, match="lacks"):
        load_stats(tmp_path / "x.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match="not a readable .npz file"):
        load_stats(tmp_path / "bad.npz")
    with pytest.raises(DataFileError, match="no such"):
        load_stats(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    "sigma, message",
    [
        (-np.eye(3), "negative eigenvalue"),  # once gave FID 0.188
        (np.diag([1.0, 1.0, -0.5]), "negative eigenvalue"),
        (np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), "not symmetric"),
    ],
)
def test_statistics_files_must_hold_a_covariance(tmp_path, sigma, message):
    np.savez(tmp_path / "s.npz", mu=np.zeros(3), sigma=sigma, n=np.int64(10))
    with pytest.raises(DataFileError, match=message):
        load_stats(tmp_path / "s.npz")


@pytest.mark.parametrize("scale", [1e-30, 1e-10, 1e19, 1e100, 1e150])
def test_fid_scales_as_the_square_of_the_unit(rng, scale):
    """FID(s x, s y) = s^2 FID(x, y), from 1e-30 to 1e150, with no overflow inside."""
    real, fake = rng.standard_normal((300, 5)), 1.2 * rng.standard_normal((300, 5)) + 0.1
    base = fid_from_features(real, fake)
    assert fid_from_features(real * scale, fake * scale) / scale**2 == pytest.approx(base, 1e-10)


def test_fid_refuses_features_whose_squares_overflow(rng):
    real = rng.standard_normal((50, 3)) * 1e160
    with pytest.raises(InputError, match="overflows float64"):
        fid_from_features(real, real[::-1] * 0.5)


def test_wide_features_take_the_sample_space_route_with_the_same_value():
    from madbench.metrics.frechet import fid_from_features, fit_gaussian, frechet_distance

    rng = np.random.default_rng(11)
    real, fake = rng.standard_normal((40, 300)) + 2.0, 1.3 * rng.standard_normal((35, 300))
    by_covariances = frechet_distance(fit_gaussian(real, "r"), fit_gaussian(fake, "f"))
    assert fid_from_features(real, fake) == pytest.approx(by_covariances, rel=1e-7)
    # Exact powers of two scale FID by their square, far from 1 in both directions.
    for power in (-400, 400):
        scaled = fid_from_features(np.ldexp(real, power), np.ldexp(fake, power))
        assert scaled == pytest.approx(np.ldexp(fid_from_features(real, fake), 2 * power))
    assert fid_from_features(real, real.copy()) == 0.0
