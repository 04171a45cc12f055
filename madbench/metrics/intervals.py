"""Intervals for metrics of one (real, fake) pair that resample both sets: half-sampling.

The question an interval answers: how far would this number move if *both* the real and the
generated samples were drawn again, at the same sizes? (The quantity it covers is the
metric's expected value at these sizes: FID, KID and the k-NN metrics are biased by the
sample size, and madbench compares them at equal sizes only.) A bootstrap cannot ask it of
k-NN metrics: a resample holds repeated rows, whose zero distances shrink the k-NN balls.
Half-sampling (the delete-d jackknife with d = n/2; Shao and Wu 1989) draws half of each set
*without* replacement, recomputes every metric, and takes the spread of those values: for a
statistic that is an average over samples, the spread of a half-sample around the full one
equals the full sample's standard error exactly (finite-population factor 1/2 times twice
the variance of a half as large). FID has a degenerate second-order part (its noise near 0
shrinks as 1/n, not 1/sqrt n), whose variance the half-sample spread overstates threefold; a
second set of quarter samples separates the two parts: with V2 and V4 the variances of the
half- and quarter-sample values, the variance at n is ``2 V2 - V4 / 3`` (exact for a linear
plus a degenerate quadratic part), never taken below ``V2 / 3``. KID, a U-statistic, needs no
resampling: its variance is known in closed form (:func:`madbench.metrics.kid.kid_variance`,
passed as ``variances``), and half- and quarter-samples estimated it with a relative noise of
24 % that made its interval short (91.3 % at n = 360, where the closed form gives 93.5 %).
The interval is the estimate plus or minus the normal quantile times the standard error,
clipped to the metric's range (:mod:`madbench.metrics.ranges`).

Recall, density and coverage get the half-sample spread alone: their quarter samples are not
smaller copies of the same statistic (the k-NN balls grow), and the correction made them
worse. Precision's half-sample spread of both sets was 11-15 % too wide: it counts the
generated set's noise twice, once in its own half-samples and once in how the real set's
half-samples are scored. Its variance is taken in its two parts instead
(:func:`precision_variance`): the generated set's, exact given the real set, and the real
set's, from half-samples of the real rows less their generated-set noise.

Coverage, by simulation (:mod:`madbench.checks.calibration`; figures in docs/metrics.md): on
Gaussians in d = 84 (LeNet's width), five seeds of 400 draws at n = 360 and at n = 1000, FID
covers its expected value 94.1-94.5 % of the time, precision 95.4 % and 94.2 % (93.0 % with
generated close to real, where the real set's half-samples understate its part), recall,
coverage and density 94.2-95.9 %, KID 93.5-94.7 %. The copying metrics are left out: they
carry their own test (``memorised_p``), and a half-sample of the training set is not what the
model saw.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from madbench import defaults
from madbench.errors import InputError
from madbench.metrics.ranges import METRIC_BOUNDS

#: Metrics whose noise has a degenerate second-order part (quarter samples correct it).
DEGENERATE = ("fid",)
#: The fewest rows a quarter of a set may hold.
MIN_ROWS = 8


def _subsample_values(compute, keys, sizes, fraction: int, replicates: int, rng) -> dict:
    """Each metric's values over ``replicates`` draws of 1/``fraction`` of both sets' rows."""
    values: dict[str, list[float]] = {}
    n_real, n_fake = sizes
    for _ in range(replicates):
        rows_r = np.sort(rng.permutation(n_real)[: n_real // fraction])
        rows_f = np.sort(rng.permutation(n_fake)[: n_fake // fraction])
        for key, value in compute(rows_r, rows_f, keys).items():
            values.setdefault(key, []).append(value)
    return {key: np.asarray(v, dtype=np.float64) for key, v in values.items()}


def precision_variance(
    in_real_balls: Callable[[np.ndarray], np.ndarray],
    n_real: int,
    *,
    replicates: int = defaults.REPLICATES,
    seed: int = 0,
) -> float:
    """The variance of precision over fresh draws of both sets, in its two parts.

    ``in_real_balls(rows_real)``: whether each of the m generated samples lies in a k-NN ball
    of ``real[rows_real]`` (:meth:`madbench.metrics.subsets.SubsetMetrics.in_real_balls`);
    ``n_real``: the real set's size. With p_R the generated distribution's mass inside the
    real set R's balls, Var(P) = E[p_R (1 - p_R)] / m + Var(p_R):

    - *given R*, the m generated samples fall inside independently, each with probability
      p_R, and ``P (1 - P) / (m - 1)`` estimates the first part without bias;
    - *Var(p_R)*, from ``replicates`` half-samples of the real rows (the generated set whole):
      their precisions' spread V, less the generated set's own noise in it. Two half-samples
      h and h' whose balls disagree on a fraction delta of the generated samples have
      E (P_h - P_h')^2 = (1 - 1/m) (p_h - p_h')^2 + delta / m, so the part is
      ``(V - delta / (2 m)) / (1 - 1/m)``, delta averaged over pairs of half-samples, kept
      >= 0.

    The plain half-sample spread of both sets counted that noise as the real set's and was
    11-15 % too wide (97.5 % coverage at n = 360, d = 84; figures with this variance:
    docs/metrics.md). Seeded by ``seed``."""
    rng = np.random.default_rng([seed, 5])
    pairs = max(replicates // 2, 1)
    inside = np.array(
        [in_real_balls(np.sort(rng.permutation(n_real)[: n_real // 2])) for _ in range(2 * pairs)]
    )
    m = inside.shape[1]
    precision = float(in_real_balls(np.arange(n_real)).mean())
    given_real = precision * (1 - precision) / (m - 1)
    spread = np.var(inside.mean(axis=1), ddof=1)
    delta = float((inside[0::2] != inside[1::2]).mean())
    return given_real + max((spread - delta / (2 * m)) / (1 - 1 / m), 0.0)


def half_sample_intervals(
    compute: Callable[[np.ndarray, np.ndarray, tuple], dict],
    n_real: int,
    n_fake: int,
    estimates: dict,
    *,
    level: float = 0.95,
    replicates: int = defaults.REPLICATES,
    seed: int = 0,
    variances: dict | None = None,
) -> dict[str, tuple[float, float]]:
    """Intervals at ``level`` for every metric in ``estimates`` (the values on the full sets
    of ``n_real`` and ``n_fake`` rows) that ``compute(rows_real, rows_fake, keys)`` returns
    for the subsets of those rows (it needs to compute only the metrics named in ``keys``;
    :class:`madbench.metrics.subsets.SubsetMetrics` is one; module docstring), seeded. A
    metric named in ``variances`` (metric: the variance of its estimate, known in closed form:
    KID's, :func:`madbench.metrics.kid.kid_variance`) is not resampled."""
    if not 0 < level < 1:
        raise InputError(f"intervals: the level must lie in (0, 1), got {level}")
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 10:
        raise InputError(f"intervals: replicates must be an integer >= 10, got {replicates!r}")
    if min(n_real, n_fake) // 4 < MIN_ROWS:
        raise InputError(
            f"intervals need at least {4 * MIN_ROWS} samples in each set (a quarter of each is "
            f"recomputed); got {n_real} and {n_fake}"
        )
    rng = np.random.default_rng([seed, 3])
    sizes = (n_real, n_fake)
    variances = variances or {}
    resampled = tuple(m for m in estimates if m not in variances)
    halves = _subsample_values(compute, resampled, sizes, 2, replicates, rng) if resampled else {}
    wanted = tuple(m for m in DEGENERATE if m in resampled)
    quarters = _subsample_values(compute, wanted, sizes, 4, replicates, rng) if wanted else {}
    z = stats.norm.ppf((1 + level) / 2)
    out = {}
    for metric, estimate in estimates.items():
        if not np.isfinite(estimate) or (metric not in halves and metric not in variances):
            continue
        variance = variances[metric] if metric in variances else np.var(halves[metric], ddof=1)
        if metric in quarters:
            variance = max(2 * variance - np.var(quarters[metric], ddof=1) / 3, variance / 3)
        low, high = estimate - z * np.sqrt(variance), estimate + z * np.sqrt(variance)
        floor, ceiling = METRIC_BOUNDS.get(metric, (None, None))
        low = low if floor is None else max(low, floor)
        high = high if ceiling is None else min(high, ceiling)
        out[metric] = (float(low), float(high))
    return out
