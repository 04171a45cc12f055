"""Precision and recall cover (Cheema and Urner, AISTATS 2023), exactly.

With R the real features (n rows), G the generated ones (m rows), ``k' = c k`` and
radius_k'(x, S) the distance from x to its k'-th nearest neighbour in S (x itself excluded):

- precision cover = the fraction of g in G whose ball B(g, radius_k'(g, G)) holds at least k
  real samples: the generated sample's neighbourhood is "covered" by real data;
- recall cover    = the fraction of r in R whose ball B(r, radius_k'(r, R)) holds at least k
  generated samples.

Unlike k-NN precision and recall, a few outliers with large balls cannot make either near 1:
a ball must hold k points of the other set, not one. Ball membership is ``<=`` (the authors'
code), or ``<`` with ``strict``. Defaults are the authors': k = 3, c = 3 (k' = 9).
Radii and memberships are exact (:mod:`madbench.metrics.exact`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from madbench import defaults
from madbench.errors import InputError
from madbench.metrics import exact
from madbench.metrics.neighbours import get_backend
from madbench.metrics.validate import as_features, check_k, check_same_dim
from madbench.types import Array


@dataclass(frozen=True)
class CoverMetrics:
    """Precision and recall cover, with the neighbour counts that made them."""

    precision_cover: float
    recall_cover: float
    k: int
    c: int


def precision_recall_cover(
    real: Array,
    fake: Array,
    *,
    k: int = defaults.COVER_K,
    c: int = defaults.COVER_C,
    strict: bool = False,
    backend: str = defaults.BACKEND,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> CoverMetrics:
    """Precision cover and recall cover of ``fake`` against ``real`` (module docstring): balls
    of the ``c * k``-th neighbour, each needing ``k`` points of the other set."""
    real = as_features(real, "real")
    fake = as_features(fake, "fake")
    check_same_dim(real, fake)
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise InputError(f"the cover's c must be an integer >= 1, got {c!r}")
    k = check_k(k, real.shape[0], fake.shape[0])
    try:
        wide = check_k(c * k, real.shape[0], fake.shape[0])
    except InputError as exc:
        raise InputError(f"precision/recall cover needs k' = c * k = {c * k}: {exc}") from exc
    engine = get_backend(backend, device=device, memory_budget=memory_budget)
    r, g, _ = exact.prepare_pair(engine, real, fake)
    real_thr = exact.kth_neighbour_sqdist(engine, r, wide)
    fake_thr = exact.kth_neighbour_sqdist(engine, g, wide)
    counts = exact.ball_counts(engine, r, g, (real_thr,), (fake_thr,), strict=strict)
    fakes_in_real_balls, _ = counts.real_balls[0]
    reals_in_fake_balls, _ = counts.fake_balls[0]
    return CoverMetrics(
        precision_cover=float(np.mean(reals_in_fake_balls >= k)),
        recall_cover=float(np.mean(fakes_in_real_balls >= k)),
        k=k,
        c=c,
    )
