"""Independent brute-force reference implementations of madbench's metrics.

They follow the definitions literally, with scipy's direct float64 distances, full matrices
and explicit loops: slow (quadratic memory), simple, and sharing no code with
:mod:`madbench.metrics`. ``madbench selfcheck`` and the test suite compare against them.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.stats
from scipy.spatial.distance import cdist

from madbench.types import Array


def knn_reference(real: Array, fake: Array, k: int, strict: bool = False) -> dict:
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    d_rr = cdist(real, real, "sqeuclidean")
    d_ff = cdist(fake, fake, "sqeuclidean")
    d_rf = cdist(real, fake, "sqeuclidean")
    rad_real = np.sort(d_rr, axis=1)[:, k]  # the (k+1)-th smallest: self excluded
    rad_fake = np.sort(d_ff, axis=1)[:, k]
    inside = np.less if strict else np.less_equal
    in_real_ball = inside(d_rf, rad_real[:, None])  # [r, g]: g inside ball of r
    in_fake_ball = inside(d_rf, rad_fake[None, :])  # [r, g]: r inside ball of g
    return {
        "precision": in_real_ball.any(axis=0).mean(),
        "recall": in_fake_ball.any(axis=1).mean(),
        "density": in_real_ball.sum() / (k * fake.shape[0]),
        "coverage": inside(d_rf.min(axis=1), rad_real).mean(),
    }


def realism_reference(real: Array, fake: Array, k: int) -> np.ndarray:
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    rad = np.sort(cdist(real, real, "sqeuclidean"), axis=1)[:, k]
    keep = rad < np.median(rad)
    d = cdist(fake, real[keep], "sqeuclidean")
    with np.errstate(divide="ignore"):
        return (rad[keep][None, :] / d).max(axis=1)


def rarity_reference(real: Array, fake: Array, k: int, strict: bool = False) -> np.ndarray:
    """Han et al.'s rarity score of every fake sample from full distance matrices: the smallest
    k-NN radius (self excluded) of the real balls that contain it; NaN outside every ball."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    radius = np.sort(cdist(real, real), axis=1)[:, k]
    d = cdist(real, fake)
    inside = d < radius[:, None] if strict else d <= radius[:, None]
    held = np.where(inside, radius[:, None], np.inf).min(axis=0)
    return np.where(np.isfinite(held), held, np.nan)


def cover_reference(real: Array, fake: Array, k: int, c: int, strict: bool = False) -> dict:
    """Cheema and Urner's precision and recall cover from full distance matrices: the share of
    each set's samples whose (c k)-th-neighbour ball holds at least k of the other set."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    inside = np.less if strict else np.less_equal
    d = cdist(real, fake)
    wide_real = np.sort(cdist(real, real), axis=1)[:, c * k]
    wide_fake = np.sort(cdist(fake, fake), axis=1)[:, c * k]
    return {
        "precision_cover": np.mean(inside(d, wide_fake[None, :]).sum(axis=0) >= k),
        "recall_cover": np.mean(inside(d, wide_real[:, None]).sum(axis=1) >= k),
    }


def clipped_reference(real: Array, fake: Array, k: int, strict: bool = False) -> dict:
    """Salvy et al.'s clipped density and coverage as their paper writes them: loops over the
    balls, and the calibration's expectation summed over every count j with scipy's
    beta-binomial distribution."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    inside = np.less if strict else np.less_equal
    n, m = len(real), len(fake)
    d_rr, d_rf = cdist(real, real), cdist(real, fake)
    radius = np.sort(d_rr, axis=1)[:, k]
    clipped = np.minimum(radius, np.median(radius))
    in_fake = [min(k, sum(inside(d_rf[i, j], clipped[i]) for i in range(n))) for j in range(m)]
    in_real = [
        min(k, sum(inside(d_rr[i, j], clipped[i]) for i in range(n) if i != j)) for j in range(n)
    ]
    density = min(1.0, np.mean(in_fake) / np.mean(in_real))
    y = np.mean([min(k, inside(d_rf[i], radius[i]).sum()) / k for i in range(n)])
    expected = [0.0] * k + [
        sum(min(j, k) * scipy.stats.betabinom.pmf(j, s, k, n - k) for j in range(s + 1)) / k
        for s in range(k, m + 1)
    ]
    return {
        "clipped_density": density,
        "clipped_coverage": sum(e < y for e in expected) / (m + 1),
    }


def probabilistic_reference(real: Array, fake: Array, k: int, a: float) -> dict:
    """Park and Kim's P-precision and P-recall as products over full matrices."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    d = cdist(real, fake)
    r_real = a * np.mean(np.sort(cdist(real, real), axis=1)[:, k])
    r_fake = a * np.mean(np.sort(cdist(fake, fake), axis=1)[:, k])
    p_real_ball = np.clip(1.0 - d / r_real, 0.0, None)  # [i, j]: g_j in r_i's ball
    p_fake_ball = np.clip(1.0 - d / r_fake, 0.0, None)
    return {
        "p_precision": np.mean(1.0 - np.prod(1.0 - p_real_ball, axis=0)),
        "p_recall": np.mean(1.0 - np.prod(1.0 - p_fake_ball, axis=1)),
    }


def rke_reference(x: Array, bandwidth: float) -> float:
    """Jalali et al.'s RKE mode count from the eigenvalues of the full kernel matrix / m."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.exp(-cdist(x, x, "sqeuclidean") / (2.0 * bandwidth**2))
    eigenvalues = np.linalg.eigvalsh(kernel / len(x))
    return 1.0 / np.sum(eigenvalues**2)


def cmmd_reference(real: Array, fake: Array, sigma: float = 10.0, scale: float = 1000.0) -> float:
    """Jayasumana et al.'s CMMD as their code writes it: the means of three full Gaussian
    kernel matrices (the diagonals included), here in float64 from scipy's distances."""
    x = np.asarray(real, dtype=np.float64)
    y = np.asarray(fake, dtype=np.float64)

    def mean_kernel(a, b):
        return np.exp(-cdist(a, b, "sqeuclidean") / (2.0 * sigma**2)).mean()

    return scale * (mean_kernel(x, x) + mean_kernel(y, y) - 2.0 * mean_kernel(x, y))


def kid_reference(x: Array, y: Array) -> float:
    """Unbiased MMD^2 with the cubic kernel, by explicit double loops."""
    d = x.shape[1]
    s = x.shape[0]

    def kern(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    xx = sum(kern(x[i], x[j]) for i in range(s) for j in range(s) if i != j)
    yy = sum(kern(y[i], y[j]) for i in range(s) for j in range(s) if i != j)
    xy = sum(kern(x[i], y[j]) for i in range(s) for j in range(s))
    return (xx + yy) / (s * (s - 1)) - 2 * xy / s**2


def fid_reference(real: Array, fake: Array) -> float:
    """The textbook FID with scipy.linalg.sqrtm in float64 (reliable when well conditioned)."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def copying_reference(
    train: Array,
    test: Array,
    generated: Array,
    cells: int,
    min_generated: int,
    seed: int,
    strata: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """C_T, authenticity and the memorisation test from full distance matrices, a pair-by-pair
    Mann-Whitney count, and the permutation distribution's variance from the covariance matrix
    of sampling without replacement (``Cov(I_j, I_l) = -p (1 - p) / (N - 1)`` within a stratum).
    ``strata``: (train's, test's) stratum per row, or None. The partition is scikit-learn's
    k-means with the same settings as madbench's (the one piece shared: C_T is defined on a
    given partition), with exactly ``cells`` cells (give madbench's
    :func:`~madbench.metrics.copying.cell_count`)."""
    from sklearn.cluster import KMeans

    train = np.asarray(train, dtype=np.float64)
    s_train, s_test = strata if strata is not None else (np.zeros(len(train)), np.zeros(len(test)))
    train, first = np.unique(train, axis=0, return_index=True)
    s_train = np.asarray(s_train)[first]
    test = np.asarray(test, dtype=np.float64)
    generated = np.asarray(generated, dtype=np.float64)
    d_gen, d_test = cdist(generated, train), cdist(test, train)
    l_gen, l_test = d_gen.min(axis=1), d_test.min(axis=1)
    kmeans = KMeans(n_clusters=cells, n_init=3, random_state=seed).fit(train)
    cell_gen, cell_test = kmeans.predict(generated), kmeans.predict(test)
    total, weight = 0.0, 0
    for cell in range(cells):
        g, t = l_gen[cell_gen == cell], l_test[cell_test == cell]
        if len(g) < min_generated or len(t) == 0:
            continue
        u = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in g for b in t)
        m, n = len(g), len(t)
        total += n * (u - m * n / 2) / np.sqrt(m * n * (m + n + 1) / 12)
        weight += n
    d_ref = cdist(generated, test)
    hits = np.zeros(len(train) + len(test))
    for j in range(len(generated)):
        a, b = d_gen[j].min(), d_ref[j].min()
        if a <= b:
            hits[d_gen[j].argmin()] += 1.0 if a < b else 0.5
        if b <= a:
            hits[len(train) + d_ref[j].argmin()] += 1.0 if b < a else 0.5
    labels = np.concatenate([s_train, s_test])
    in_train = np.arange(len(hits)) < len(train)
    mean, cov = 0.0, np.zeros((len(hits), len(hits)))
    for stratum in np.unique(labels):
        rows = np.flatnonzero(labels == stratum)
        share, size = in_train[rows].mean(), len(rows)
        mean += share * hits[rows].sum()
        block = np.full((size, size), -share * (1 - share) / max(size - 1, 1))
        np.fill_diagonal(block, share * (1 - share))
        cov[np.ix_(rows, rows)] = block
    f, f0 = hits[in_train].sum() / len(generated), mean / len(generated)
    z = (hits[in_train].sum() - mean) / np.sqrt(hits @ cov @ hits)
    memorised = (f - f0) / (1 - f0)
    return {
        "ct": total / weight if weight else float("nan"),
        "authenticity": 1 - memorised,
        "memorised": memorised,
        "memorised_p": float(scipy.stats.norm.sf(z)),
    }
