"""Frechet distance (FID) and Wasserstein-2 distance between Gaussians, and their statistics.

FID = ||mu_1 - mu_2||^2 + tr(S_1) + tr(S_2) - 2 tr((S_1 S_2)^(1/2)).

Since S_1 and S_2 are symmetric positive semi-definite, tr((S_1 S_2)^(1/2)) is the sum of the
square roots of the eigenvalues of the symmetric matrix S_1^(1/2) S_2 S_1^(1/2). madbench
computes it with two symmetric eigendecompositions in float64 (no ``scipy.linalg.sqrtm`` on a
non-symmetric product), so the result is always real and never negative: eigenvalues that
rounding pushes below zero are clipped to zero, and identical statistics give exactly 0.

The same closed form is the squared 2-Wasserstein distance between N(mu_1, S_1) and
N(mu_2, S_2); :func:`wasserstein2` returns its square root.

Statistics are fitted with the sample mean and the unbiased covariance (divide by n - 1).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from madbench.atomic import atomic_path
from madbench.errors import DataFileError, InputError
from madbench.metrics.validate import as_features, check_no_overflow, largest_magnitude
from madbench.npfiles import load_npz
from madbench.types import Array, PathLike


@dataclass(frozen=True)
class GaussianStats:
    """Mean ``mu`` (d,), covariance ``sigma`` (d, d), both float64, fitted on ``n`` samples."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int

    def __post_init__(self):
        mu = np.asarray(self.mu, dtype=np.float64)
        sigma = np.asarray(self.sigma, dtype=np.float64)
        if mu.ndim != 1:
            raise InputError(f"mu must be a vector (d,), got shape {mu.shape}")
        if sigma.shape != (mu.shape[0], mu.shape[0]):
            raise InputError(
                f"sigma must be ({mu.shape[0]}, {mu.shape[0]}) to match mu, got {sigma.shape}"
            )
        if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
            raise InputError("mu and sigma must be finite (found NaN or Inf)")
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)

    @property
    def dim(self) -> int:
        return self.mu.shape[0]


def fit_gaussian(features: Array, name: str = "features") -> GaussianStats:
    """Sample mean and unbiased covariance of ``features`` (n, d), in float64.

    Warns when n <= d: the covariance is then singular and FID, though it computes, means
    little.
    """
    x = as_features(features, name)
    n, d = x.shape
    if n < 2:
        raise InputError(f"{name}: a covariance needs at least 2 samples, got {n}")
    if n <= d:
        warnings.warn(
            f"{name}: {n} samples for {d} features: the covariance is singular and the "
            "Frechet distance is unreliable; use more than d samples",
            stacklevel=2,
        )
    mu = x.mean(axis=0, dtype=np.float64)
    centred = np.subtract(x, mu, dtype=np.float64)  # one float64 array, not two
    with np.errstate(over="ignore", invalid="ignore"):
        sigma = centred.T @ centred / (n - 1)
    check_no_overflow(sigma, f"{name}: the covariance")
    return GaussianStats(mu=mu, sigma=sigma, n=n)


def _sqrt_psd(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix (negative eigenvalues clipped to 0)."""
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((S_1 S_2)^(1/2)) for symmetric PSD S_1, S_2, through symmetric eigensolvers."""
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = (middle + middle.T) / 2  # symmetric up to rounding; make it exactly so
    w = np.linalg.eigvalsh(middle)
    return float(np.sqrt(np.clip(w, 0.0, None)).sum())


def frechet_distance(stats1: GaussianStats, stats2: GaussianStats) -> float:
    """Squared Frechet distance between N(mu_1, S_1) and N(mu_2, S_2) (FID on features)."""
    if stats1.dim != stats2.dim:
        raise InputError(
            f"statistics of different dimension: {stats1.dim} and {stats2.dim}; both must "
            "come from the same feature extractor"
        )
    if np.array_equal(stats1.mu, stats2.mu) and np.array_equal(stats1.sigma, stats2.sigma):
        return 0.0  # exactly, rather than rounding noise around it
    diff = stats1.mu - stats2.mu
    traces = np.trace(stats1.sigma), np.trace(stats2.sigma)
    # tr((S1 S2)^(1/2)) scales as c for S -> c S; with c a power of two near the traces, the
    # products inside never overflow (nor go subnormal) whatever the features' unit.
    c = float(np.ldexp(1.0, np.frexp(max(*traces, np.finfo(float).tiny))[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        cross = c * trace_sqrt_product(stats1.sigma / c, stats2.sigma / c)
        value = diff @ diff + traces[0] + traces[1] - 2.0 * cross
    check_no_overflow(value, "the Frechet distance")
    return max(float(value), 0.0)


class SampleSpaceFid:
    """FID of two sets from the Gram matrices of their rows, for d > n.

    With mean ``mu`` and centred rows ``C = X - mu``, the unbiased covariance is
    ``C^T C / (n - 1)``, so that ``tr S = (sum |x_i|^2 - n |mu|^2) / (n - 1)`` and
    ``tr((S_r S_f)^(1/2))`` is the nuclear norm of ``C_r C_f^T`` over ``sqrt((n_r - 1)(n_f -
    1))`` (the eigenvalues of ``S_r S_f`` are the squared singular values of that matrix).
    Every term comes from the three Gram matrices of the rows; both sets are first centred on
    the real mean (FID does not change), so that the Grams hold no large common offset, and
    divided by a power of two near their magnitude (FID scales by its square), so that no
    product overflows or goes subnormal.
    """

    def __init__(self, real: np.ndarray, fake: np.ndarray):
        origin = real.mean(axis=0)
        r, f = real - origin, fake - origin
        largest = max(largest_magnitude(r), largest_magnitude(f), np.finfo(float).tiny)
        self.scale = float(np.ldexp(1.0, np.frexp(largest)[1]))
        r, f = r / self.scale, f / self.scale
        self.g_rr, self.g_ff, self.g_rf = r @ r.T, f @ f.T, r @ f.T

    def __call__(self) -> float:
        n_r, n_f = len(self.g_rr), len(self.g_ff)
        m_rr = self.g_rr.sum() / n_r**2  # |mu_r|^2
        m_ff = self.g_ff.sum() / n_f**2
        m_rf = self.g_rf.sum() / (n_r * n_f)  # mu_r . mu_f
        trace_r = (np.trace(self.g_rr) - n_r * m_rr) / (n_r - 1)
        trace_f = (np.trace(self.g_ff) - n_f * m_ff) / (n_f - 1)
        centred = (
            self.g_rf
            - self.g_rf.sum(axis=0)[None, :] / n_r
            - self.g_rf.sum(axis=1)[:, None] / n_f
            + m_rf
        )
        nuclear = np.linalg.svd(centred, compute_uv=False).sum()
        cross = nuclear / np.sqrt((n_r - 1) * (n_f - 1))
        value = (m_rr + m_ff - 2 * m_rf + trace_r + trace_f - 2 * cross) * self.scale**2
        check_no_overflow(value, "the Frechet distance")
        return max(float(value), 0.0)


def fid_from_features(real: Array, fake: Array) -> float:
    """FID between two feature arrays, real first (the order does not change the value).
    Features wider than a set is long (d > n) go through :class:`SampleSpaceFid`: the same
    value from n x n matrices, where d x d ones would cost d^3 and hold rank-deficient
    covariances."""
    r = as_features(real, "real")
    f = as_features(fake, "fake")
    if r.shape[1] != f.shape[1]:
        raise InputError(f"real has {r.shape[1]} features per sample but fake has {f.shape[1]}")
    if r.shape[1] > min(len(r), len(f)) and min(len(r), len(f)) >= 2:
        if r.shape == f.shape and np.array_equal(r, f):
            return 0.0
        return SampleSpaceFid(r.astype(np.float64), f.astype(np.float64))()
    return frechet_distance(fit_gaussian(r, "real"), fit_gaussian(f, "fake"))


def wasserstein2(stats1: GaussianStats, stats2: GaussianStats) -> float:
    """2-Wasserstein distance between two Gaussians (the square root of the Frechet distance)."""
    return float(np.sqrt(frechet_distance(stats1, stats2)))


def save_stats(path: PathLike, stats: GaussianStats) -> None:
    """Write statistics to an ``.npz`` file with keys ``mu``, ``sigma`` and ``n``.

    The file is written to a temporary name and renamed, so a crash leaves no half-written file.
    """
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, mu=stats.mu, sigma=stats.sigma, n=np.int64(stats.n))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write statistics ({exc.strerror or exc})") from None


def load_stats(path: PathLike) -> GaussianStats:
    """Read statistics written by :func:`save_stats` (or any .npz with ``mu`` and ``sigma``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataFileError(f"{path}: no such statistics file")
    arrays = load_npz(path)
    missing = {"mu", "sigma"} - set(arrays)
    if missing:
        raise DataFileError(
            f"{path}: not a statistics file: it lacks {sorted(missing)} (it has {sorted(arrays)})"
        )
    try:
        n = int(arrays["n"]) if "n" in arrays else 0
        stats = GaussianStats(mu=arrays["mu"], sigma=arrays["sigma"], n=n)
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: not usable statistics ({exc})") from None
    check_covariance(stats.sigma, path)
    return stats


#: Relative tolerance of the symmetry and PSD checks of a covariance read from a file: far
#: above float64 rounding of a fitted covariance, far below any real asymmetry.
COVARIANCE_TOLERANCE = 1e-8


def check_covariance(sigma: np.ndarray, where: str) -> None:
    """Refuse a matrix that is not a covariance: not symmetric, or not positive semi-definite
    (an eigenvalue below -tolerance x the largest magnitude)."""
    size = float(np.abs(sigma).max()) if sigma.size else 0.0
    if np.abs(sigma - sigma.T).max(initial=0.0) > COVARIANCE_TOLERANCE * size:
        raise DataFileError(f"{where}: sigma is not symmetric, so it is not a covariance")
    eigenvalues = np.linalg.eigvalsh(sigma) if sigma.size else np.zeros(1)
    if eigenvalues.min() < -COVARIANCE_TOLERANCE * max(np.abs(eigenvalues).max(), size):
        raise DataFileError(
            f"{where}: sigma has a negative eigenvalue ({eigenvalues.min():.3g}), so it is "
            "not a covariance (positive semi-definite)"
        )
