"""Clipped density and clipped coverage (Salvy et al., 2025), exactly.

With R the real features (n rows), G the generated ones (m rows) and r_i = radius_k(r_i, R)
the distance from real sample i to its k-th nearest other real sample:

- clipped density: every radius is clipped to the median radius, c_i = min(r_i, median r);
  each g counts the clipped real balls holding it, capped at k, ``a(g) = min(#{i : ||g - r_i||
  <= c_i}, k) / k``; the mean of a(g) over G is divided by the same mean for the real samples
  themselves (each real point's count of the *other* real points' clipped balls), and the
  ratio is capped at 1. Real data scores 1; no sample in a sparse region's large ball, nor
  one in many balls, can lift the score by itself.
- clipped coverage: each real ball counts the generated samples inside it, capped at k,
  ``b(r_i) = min(#{g : ||g - r_i|| < r_i}, k) / k``; their mean y is mapped through the
  expected value of y when only a share of the generated samples follow the real
  distribution: with J the count of s good generated samples in a real ball, whose real
  probability mass is Beta(k, n - k), J follows the beta-binomial BB(s, k, n - k) and
  ``f(s) = E[min(J, k)] / k`` (f(s) = 0 for s < k, as in the authors' code). The score is
  ``#{s in 0..m : f(s) < y} / (m + 1)``: about the share of generated samples that follow the
  real distribution.

The authors' code tests density balls with ``<=`` and coverage balls with ``<``; here both
follow the run's rule (``<=``, or ``<`` with ``strict``), so ``strict=False`` gives their
density and ``strict=True`` their coverage (the two differ only on ties). Radii and ball
memberships are exact (:mod:`madbench.metrics.exact`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, gammaln

from madbench import defaults
from madbench.metrics import exact
from madbench.metrics.neighbours import get_backend
from madbench.metrics.validate import as_features, check_k, check_same_dim
from madbench.types import Array


@dataclass(frozen=True)
class ClippedMetrics:
    """Clipped density and clipped coverage, with the neighbour count that made them."""

    clipped_density: float
    clipped_coverage: float
    k: int


def median_square(squares: np.ndarray) -> float:
    """The square of the median of ``sqrt(squares)``: the median radius, squared. With an odd
    count it is one of ``squares`` exactly, so the ball of the median radius keeps its k-th
    neighbour on its boundary; with an even count, the mean of the two middle radii."""
    ordered = np.sort(squares)
    half = ordered.size // 2
    if ordered.size % 2 or ordered[half - 1] == ordered[half]:
        return float(ordered[half])
    return float(((np.sqrt(ordered[half - 1]) + np.sqrt(ordered[half])) / 2) ** 2)


def coverage_calibration(k: int, n_real: int, n_fake: int) -> np.ndarray:
    """``f(s)`` for s = 0..n_fake (module docstring): the expected unclipped coverage when s of
    the n_fake generated samples follow the real distribution. Computed from the k terms of
    ``E[min(J, k)] = k - sum_{j < k} (k - j) P(J = j)``, in logs, O(n_fake k)."""
    s = np.arange(k, n_fake + 1, dtype=np.float64)[:, None]
    j = np.arange(k, dtype=np.float64)[None, :]
    log_choose = gammaln(s + 1) - gammaln(j + 1) - gammaln(s - j + 1)
    log_pmf = log_choose + betaln(k + j, n_real - k + s - j) - betaln(k, n_real - k)
    shortfall = np.sum((k - j) * np.exp(log_pmf), axis=1)
    return np.concatenate([np.zeros(k), (k - shortfall) / k])


def clipped_density_coverage(
    real: Array,
    fake: Array,
    *,
    k: int = defaults.K,
    strict: bool = False,
    backend: str = defaults.BACKEND,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> ClippedMetrics:
    """Clipped density and clipped coverage of ``fake`` against ``real`` (module docstring)."""
    real = as_features(real, "real")
    fake = as_features(fake, "fake")
    check_same_dim(real, fake)
    k = check_k(k, real.shape[0], fake.shape[0])
    engine = get_backend(backend, device=device, memory_budget=memory_budget)
    r, g, _ = exact.prepare_pair(engine, real, fake)
    real_thr = exact.kth_neighbour_sqdist(engine, r, k)
    clipped = np.minimum(real_thr, median_square(real_thr))
    counts = exact.ball_counts(engine, r, g, (clipped, real_thr), strict=strict)
    _, fake_held = counts.real_balls[0]
    fakes_inside, _ = counts.real_balls[1]
    _, real_held = exact.ball_counts(engine, r, r, (clipped,), strict=strict).real_balls[0]
    own = clipped > 0 if strict else np.ones(r.n, dtype=bool)  # its own ball holds itself
    real_held = real_held - own
    ideal = np.mean(np.minimum(real_held, k) / k)
    achieved = np.mean(np.minimum(fake_held, k) / k)
    density = np.nan if ideal == 0 else min(1.0, achieved / ideal)  # 0: ties under "<"
    y = np.mean(np.minimum(fakes_inside, k) / k)
    f = coverage_calibration(k, r.n, g.n)
    return ClippedMetrics(
        clipped_density=float(density),
        clipped_coverage=float(np.searchsorted(f, y) / f.size),
        k=k,
    )
