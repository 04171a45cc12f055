"""Statistics over seeds: intervals and the hypothesis tests that leaderboards and claims use.

Every function takes per-seed values (one number per seed) and returns plain floats. The
tests are the ones rigour.md prescribes: t intervals for a mean over seeds; a one-sample t-test
of per-seed slopes for a trend over generations; a paired t-test of per-seed differences for
A against B; Welch's two-sample test for a re-run against published values (from mean, std and
count alone), with Holm's step-down correction over a family of cells; and two one-sided tests
(TOST) for "the same within a margin".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from madbench import defaults

LEVEL = 0.95


@dataclass(frozen=True)
class TestResult:
    """An effect (mean slope, mean difference...), its 95 % interval, the test's p-value and
    the number of seeds it rests on."""

    effect: float
    low: float
    high: float
    p: float
    n: int


def t_interval(
    values: Sequence[float], bounds: tuple[float | None, float | None] = (None, None)
) -> tuple[float, float] | None:
    """95 % t interval of the mean of ``values`` (None with fewer than 2 values), clipped to
    ``bounds`` (a metric's range, :data:`METRIC_BOUNDS`): the mean lies inside its metric's
    range, so clipping never drops it, and the coverage stays that of the t interval."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return None
    half = stats.t.ppf((1 + LEVEL) / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    low, high = float(v.mean() - half), float(v.mean() + half)
    if bounds[0] is not None:
        low, high = max(low, bounds[0]), max(high, bounds[0])
    if bounds[1] is not None:
        low, high = min(low, bounds[1]), min(high, bounds[1])
    return low, high


def one_sample(values: Sequence[float], alternative: str) -> TestResult:
    """t-test of mean(values) against 0, ``alternative`` ``greater`` or ``less`` (one-sided).

    With no spread at all (every value equal), p is 0 when the values lie on the claimed side
    of 0 and 1 otherwise: the data leave no doubt either way.
    """
    v = np.asarray(values, dtype=np.float64)
    n, mean = len(v), float(v.mean())
    if n < 2:
        raise ValueError(f"a test over seeds needs at least 2 seeds, got {n}")
    interval = t_interval(v)
    if v.std() == 0:
        on_side = mean > 0 if alternative == "greater" else mean < 0
        return TestResult(mean, mean, mean, 0.0 if on_side else 1.0, n)
    p = float(stats.ttest_1samp(v, 0.0, alternative=alternative).pvalue)
    return TestResult(mean, *interval, p, n)


def slopes(series: np.ndarray) -> np.ndarray:
    """Per row (seed), the least-squares slope of the values against t = 1, 2, ...."""
    series = np.atleast_2d(np.asarray(series, dtype=np.float64))
    t = np.arange(1, series.shape[1] + 1, dtype=np.float64)
    t -= t.mean()
    return (series - series.mean(axis=1, keepdims=True)) @ t / (t @ t)


def trend(series: np.ndarray, direction: str) -> TestResult:
    """Does the metric rise (``direction`` ``up``) or fall (``down``) over generations?
    ``series``: seeds x generations. One-sample t-test of the per-seed slopes."""
    return one_sample(slopes(series), "greater" if direction == "up" else "less")


def paired(a: np.ndarray, b: np.ndarray, direction: str) -> TestResult:
    """Is A above (``direction`` ``up``) or below (``down``) B, seed by seed? Paired t-test of
    the differences A - B (the arms must share their seeds)."""
    return one_sample(np.asarray(a) - np.asarray(b), "greater" if direction == "up" else "less")


def equivalent(a: np.ndarray, b: np.ndarray, margin: float) -> TestResult:
    """Are A and B the same within ``margin`` (an absolute difference), seed by seed? Two
    one-sided paired t-tests (TOST): p is the larger of the two, so p < alpha means the mean
    difference lies inside (-margin, margin) at that level."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    above = one_sample(d + margin, "greater")
    below = one_sample(d - margin, "less")
    return TestResult(float(d.mean()), *t_interval(d), max(above.p, below.p), len(d))


def welch(mean1: float, std1: float, n1: int, mean2: float, std2: float, n2: int) -> float:
    """Two-sided p-value of Welch's t-test from two means, stds (ddof 1) and counts."""
    se2 = std1**2 / n1 + std2**2 / n2
    if se2 == 0:
        return 1.0 if mean1 == mean2 else 0.0
    t = (mean1 - mean2) / np.sqrt(se2)
    df = se2**2 / ((std1**2 / n1) ** 2 / (n1 - 1) + (std2**2 / n2) ** 2 / (n2 - 1))
    return float(2 * stats.t.sf(abs(t), df))


def holm_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: hypothesis i is rejected at level alpha exactly
    when its adjusted p is <= alpha, with the family-wise error rate held at alpha. The
    i-th smallest p is multiplied by (m - i + 1), then made non-decreasing, capped at 1."""
    p = np.asarray(pvalues, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (len(p) - np.arange(len(p))))
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(scaled) if len(p) else scaled
    return [float(a) for a in adjusted]


def holm(pvalues: Sequence[float], alpha: float = defaults.ALPHA) -> list[bool]:
    """Holm's step-down method: which hypotheses of the family are rejected at ``alpha``."""
    return [a <= alpha for a in holm_adjusted(pvalues)]


def fisher(pvalues: Sequence[float]) -> float:
    """Fisher's combination of independent p-values (e.g. one per seed) into one."""
    p = [float(v) for v in pvalues if np.isfinite(v)]
    if not p:
        return float("nan")
    return float(stats.combine_pvalues(np.clip(p, 1e-300, 1.0), method="fisher").pvalue)


def first_rejected(pvalues: Sequence[float], alpha: float) -> tuple[int | None, float]:
    """The first hypothesis of an ordered family (generations) rejected by Holm at ``alpha``
    and its adjusted p-value; (None, smallest adjusted p) when none is. The family-wise error
    rate, the chance of naming any generation when none differs, is at most alpha."""
    adjusted = holm_adjusted(pvalues)
    for index, a in enumerate(adjusted):
        if a <= alpha:
            return index, a
    return None, min(adjusted)
