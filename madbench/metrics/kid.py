"""Kernel Inception Distance (KID): unbiased MMD^2 with the cubic polynomial kernel.

k(x, y) = (x . y / d + 1)^3. For each of ``n_subsets`` subsets, ``subset_size`` real and
``subset_size`` fake rows are drawn without replacement (seeded), and the unbiased estimate

    MMD^2 = [sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)] / (s (s - 1))
            - 2 sum_{i, j} k(x_i, y_j) / s^2

is computed in float64. KID is reported as the mean and standard deviation over subsets
(Binkowski et al. 2018; clean-fid's defaults: 100 subsets of 1000). Being unbiased, the
estimate can be slightly negative when the two sets match.

Subset size. A subset holds ``subset_size`` rows of each set when both sets are larger; as
clean-fid does, with one subset it is clipped to the smaller set (the whole set). With several
subsets and a set no larger than ``subset_size``, every subset would be that whole set and the
spread would be 0, so subsets then hold half of the smaller set (at least 2 rows): ``kid_std``
then measures something whatever the sample size. This is the one place where madbench's KID
differs from clean-fid's, which keeps the whole set and reports std 0.

Feature scale. The cubic kernel assumes features of order 1 (Inception-v3 pool3, after a
ReLU): its ``x . y / d`` is then of order 1. On other feature spaces (LeNet's 84 activations,
raw vectors) it can be of order 100, and the cube of that swamps the estimate with noise
(real-against-real KID 20.9 on digits' LeNet features). ``feature_scale`` divides both sets
by one number first; :func:`real_norm_scale` is the rule madbench's loops use on every
non-Inception feature space: the real features' mean norm over sqrt(d), which gives the real
features a mean norm of sqrt(d), so that ``x . x / d`` is about 1. Inception features are left
as they are (scale 1), so KID there equals clean-fid's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from madbench import defaults
from madbench.errors import InputError
from madbench.metrics.validate import as_features, check_no_overflow, check_same_dim
from madbench.types import Array


@dataclass(frozen=True)
class KidResult:
    """KID mean and standard deviation over subsets, and how it was drawn."""

    mean: float
    std: float
    n_subsets: int
    subset_size: int
    seed: int
    scale: float = 1.0  # both feature sets were divided by this before the kernel


#: Up to this many samples per set, KID computes the three kernel matrices once (at most
#: 3 x 128 MB) and every subset's sums from them, instead of three products per subset.
WHOLE_KERNEL_MAX = 4096


def scaled_rows(x: np.ndarray, feature_scale: float) -> np.ndarray:
    """``x`` divided by ``feature_scale`` in its own precision, as KID's kernels take it."""
    return x / feature_scale if feature_scale != 1.0 else x


def cubic_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KID's polynomial kernel (a.b / d + 1)^3 between the rows of ``a`` and ``b``."""
    k = a @ b.T / a.shape[1] + 1.0
    return k * k * k


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between two equally sized float64 samples under the cubic kernel."""
    s = x.shape[0]
    kxx = cubic_kernel(x, x)
    kyy = cubic_kernel(y, y)
    kxy = cubic_kernel(x, y)
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (s * (s - 1))
    return float(within - 2.0 * kxy.sum() / s**2)


def _subset_mmd2_from_whole_kernels(
    r: np.ndarray, f: np.ndarray, picks, krr: np.ndarray | None = None
) -> np.ndarray:
    """:func:`mmd2_unbiased` of every subset pair in ``picks``, from the whole-set kernels
    (``krr``: the real rows' kernel, when already made).

    A subset's kernel sum is w^T K w with w its 0/1 indicator, so all subsets together are
    one product K W per kernel.
    """
    r, f = r.astype(np.float64), f.astype(np.float64)
    s = len(picks[0][0])
    wr = np.zeros((len(r), len(picks)))
    wf = np.zeros((len(f), len(picks)))
    for column, (i, j) in enumerate(picks):
        wr[i, column], wf[j, column] = 1.0, 1.0
    krr = cubic_kernel(r, r) if krr is None else krr
    kff, krf = cubic_kernel(f, f), cubic_kernel(r, f)
    within = (
        (wr * (krr @ wr)).sum(axis=0)
        - np.diag(krr) @ wr
        + (wf * (kff @ wf)).sum(axis=0)
        - np.diag(kff) @ wf
    ) / (s * (s - 1))
    return within - 2.0 * (wr * (krf @ wf)).sum(axis=0) / s**2


#: The most rows per set from which KID's variance components are estimated; larger sets
#: give a seeded draw of this many (the components describe the distributions, not the
#: sample sizes, so a draw of 2048 rows estimates them to a few per cent).
VARIANCE_ROWS = 2048


@dataclass(frozen=True)
class Mmd2Components:
    """The parts of the unbiased MMD^2's variance (its Hoeffding decomposition).

    With kernels k(x, x'), k(y, y'), k(x, y), write each as its mean, plus a first-order term
    per argument, plus a doubly centred remainder (h_xx, h_yy, h_xy). The estimate's error is
    then a sum of orthogonal parts: (1/m) sum_i u(x_i) + (1/n) sum_j v(y_j), with u(x) =
    2 (E k(x, X') - E k(x, Y)) and v(y) = 2 (E k(y, Y') - E k(X, y)), plus the three
    centred remainders averaged over pairs. Its variance at set sizes m and n is therefore
    exactly

        Var(u)/m + Var(v)/n + 2 E h_xx^2/(m(m-1)) + 2 E h_yy^2/(n(n-1)) + 4 E h_xy^2/(mn)

    ``first_real`` and ``first_fake`` hold Var(u)/4 and Var(v)/4; the ``second_*`` fields
    E h_xx^2, E h_yy^2 and E h_xy^2. Far from MMD^2 = 0 the first-order parts dominate; at
    0 they vanish and the second-order (degenerate) parts are all the noise.
    """

    first_real: float
    first_fake: float
    second_real: float
    second_fake: float
    second_cross: float

    def variance(self, m: int, n: int) -> float:
        """The variance of the unbiased MMD^2 of ``m`` real and ``n`` fake samples."""
        return (
            4 * self.first_real / m
            + 4 * self.first_fake / n
            + 2 * self.second_real / (m * (m - 1))
            + 2 * self.second_fake / (n * (n - 1))
            + 4 * self.second_cross / (m * n)
        )


def _centred_square_mean(kernel: np.ndarray, square: bool) -> float:
    """Mean of the squared doubly centred ``kernel`` (off the diagonal of a set with itself)."""
    if square:
        m = len(kernel)
        rows = (kernel.sum(axis=1) - np.diag(kernel)) / (m - 1)
        grand = rows.mean()
        centred = kernel - rows[:, None] - rows[None, :] + grand
        return float(((centred**2).sum() - (np.diag(centred) ** 2).sum()) / (m * (m - 1)))
    centred = kernel - kernel.mean(axis=1, keepdims=True) - kernel.mean(axis=0) + kernel.mean()
    return float((centred**2).mean())


def mmd2_components(
    real: Array, fake: Array, *, feature_scale: float = 1.0, seed: int = 0
) -> Mmd2Components:
    """Estimates of :class:`Mmd2Components` from the two sets (both divided by
    ``feature_scale``; at most :data:`VARIANCE_ROWS` rows of each, drawn with ``seed``).

    The second-order parts are the mean squares of the doubly centred kernel matrices. The
    first-order ones start from each row's kernel averages, a_i = mean_j k(x_i, x_j) -
    mean_j k(x_i, y_j), whose spread over rows is Var(u)/4 plus each average's own noise,
    E h_xx^2/(m-1) + E h_xy^2/n; that noise is subtracted (and the result kept >= 0)."""
    r = as_features(real, "real").astype(np.float64) / feature_scale
    f = as_features(fake, "fake").astype(np.float64) / feature_scale
    check_same_dim(r, f)
    rng = np.random.default_rng([seed, 5])
    r, f = (x[np.sort(rng.permutation(len(x))[:VARIANCE_ROWS])] for x in (r, f))
    m, n = len(r), len(f)
    if min(m, n) < 2:
        raise InputError(f"KID's variance needs at least 2 samples per set, got {m} and {n}")
    with np.errstate(over="ignore", invalid="ignore"):
        krr, kff, krf = cubic_kernel(r, r), cubic_kernel(f, f), cubic_kernel(r, f)
        second = [_centred_square_mean(krr, True), _centred_square_mean(kff, True)]
        second.append(_centred_square_mean(krf, False))
        a = (krr.sum(axis=1) - np.diag(krr)) / (m - 1) - krf.mean(axis=1)
        b = (kff.sum(axis=1) - np.diag(kff)) / (n - 1) - krf.mean(axis=0)
        first = [
            max(a.var(ddof=1) - second[0] / (m - 1) - second[2] / n, 0.0),
            max(b.var(ddof=1) - second[1] / (n - 1) - second[2] / m, 0.0),
        ]
    check_no_overflow(np.array(first + second), "KID's variance")
    return Mmd2Components(*(float(v) for v in first + second))


def kid_variance(real: Array, fake: Array, result: KidResult) -> float:
    """The variance of ``result.mean``, the KID of ``real`` and ``fake`` (their full sets),
    as an estimate of MMD^2.

    KID averages B = ``result.n_subsets`` unbiased MMD^2 values of random subsets of s =
    ``result.subset_size`` rows of each set; the mean of a subset's value over all subsets is
    the whole sets' U-statistic U, so the average's variance is Var(U) + (Var(U_s) - Var(U))
    / B, both read off :func:`mmd2_components`. Checked by simulation in
    :mod:`madbench.checks.calibration` (figures in docs/metrics.md)."""
    parts = mmd2_components(real, fake, feature_scale=result.scale, seed=result.seed)
    whole = parts.variance(len(real), len(fake))
    subset = parts.variance(result.subset_size, result.subset_size)
    return whole + (subset - whole) / result.n_subsets


def feature_scale_for(real: Array, kid_scale: str) -> float:
    """The ``feature_scale`` that ``kid_scale`` (one of :data:`madbench.defaults.KID_SCALES`)
    names for these real features."""
    return real_norm_scale(real) if kid_scale == "real-norm" else 1.0


def real_norm_scale(real: Array) -> float:
    """The real features' mean Euclidean norm over sqrt(d): the ``feature_scale`` that gives
    non-Inception features the order of magnitude the cubic kernel assumes."""
    r = as_features(real, "real").astype(np.float64)
    scale = float(np.linalg.norm(r, axis=1).mean() / np.sqrt(r.shape[1]))
    return scale if scale > 0 else 1.0


def subset_size_for(n_real: int, n_fake: int, subset_size: int, n_subsets: int) -> int:
    """Rows per subset: ``subset_size``, clipped as the module docstring says."""
    smaller = min(n_real, n_fake)
    if subset_size < smaller or (n_subsets == 1 and subset_size >= smaller):
        return min(subset_size, smaller)
    return max(2, smaller // 2)


def check_kid_sizes(n_real: int, n_fake: int, n_subsets: int, subset_size: int) -> None:
    """Refuse set and subset sizes KID cannot use (before anything is computed or written)."""
    if n_subsets < 1:
        raise InputError(f"n_subsets must be >= 1, got {n_subsets}")
    if min(n_real, n_fake) < (2 if n_subsets == 1 else 4) or subset_size < 2:
        raise InputError(
            f"KID needs at least 2 samples per set (4 with several subsets) and subsets of at "
            f"least 2, got {n_real} real, {n_fake} fake, subset size {subset_size}"
        )


def kid(
    real: Array,
    fake: Array,
    *,
    n_subsets: int = defaults.KID_SUBSETS,
    subset_size: int = defaults.KID_SUBSET_SIZE,
    seed: int = 0,
    feature_scale: float = 1.0,
    real_kernel: np.ndarray | None = None,
) -> KidResult:
    """KID of ``fake`` against ``real`` (mean and std of unbiased MMD^2 over seeded subsets),
    both sets divided by ``feature_scale`` first (1: as they are; see the module docstring).
    ``real_kernel``: the cubic kernel of the real rows so divided, where already made
    (:meth:`madbench.metrics.reference.RealStatistics.cubic_kernel`); used for sets of at
    most :data:`WHOLE_KERNEL_MAX` rows."""
    r, f, picks = kid_subsets(real, fake, n_subsets, subset_size, seed, feature_scale)
    r, f = scaled_rows(r, feature_scale), scaled_rows(f, feature_scale)
    with np.errstate(over="ignore", invalid="ignore"):  # refused in kid_result
        if max(r.shape[0], f.shape[0]) <= WHOLE_KERNEL_MAX:
            values = _subset_mmd2_from_whole_kernels(r, f, picks, real_kernel)
        else:
            values = np.array(
                [mmd2_unbiased(r[i].astype(np.float64), f[j].astype(np.float64)) for i, j in picks]
            )
    return kid_result(values, len(picks[0][0]), seed, feature_scale)


def kid_subsets(
    real: Array,
    fake: Array,
    n_subsets: int,
    subset_size: int,
    seed: int,
    feature_scale: float,
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """The checked feature arrays and KID's seeded subsets: a list of (real rows, fake rows)
    index arrays, drawn without replacement, sized by :func:`subset_size_for`."""
    r = as_features(real, "real")
    f = as_features(fake, "fake")
    check_same_dim(r, f)
    if not (np.isfinite(feature_scale) and feature_scale > 0):
        raise InputError(f"feature_scale must be a positive number, got {feature_scale}")
    check_kid_sizes(r.shape[0], f.shape[0], n_subsets, subset_size)
    size = subset_size_for(r.shape[0], f.shape[0], subset_size, n_subsets)
    rng = np.random.default_rng(seed)
    picks = [
        (rng.choice(r.shape[0], size, replace=False), rng.choice(f.shape[0], size, replace=False))
        for _ in range(n_subsets)
    ]
    return r, f, picks


def kid_result(values: np.ndarray, size: int, seed: int, feature_scale: float) -> KidResult:
    """KID from the per-subset MMD^2 ``values``; an overflowed value is refused in one line."""
    check_no_overflow(values, "KID's cubic kernel")
    with np.errstate(over="ignore", invalid="ignore"):
        std = values.std()
    check_no_overflow(std, "KID's spread over subsets")  # squares of values near 1e154 overflow
    return KidResult(
        mean=float(values.mean()),
        std=float(std),
        n_subsets=len(values),
        subset_size=size,
        seed=seed,
        scale=float(feature_scale),
    )
