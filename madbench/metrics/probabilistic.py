"""Probabilistic precision and recall (Park and Kim, ICCV 2023).

Each real sample r_i holds a ball of one shared radius ``R = a * mean_i radius_k(r_i, R)``
(a times the mean distance of a real sample to its k-th nearest other real sample), and a
point at distance d < R from its centre lies in it with probability ``1 - d / R`` (0 beyond
R). With the balls independent, a generated sample g lies in the real support with
probability ``1 - prod_i (1 - P(g in B_i)) = 1 - prod_{i: d_i < R} d_i / R``:

- P-precision = the mean of that probability over the generated samples;
- P-recall    = the same with the roles swapped (each generated sample's ball of radius
  ``a`` times the generated set's mean k-NN distance), averaged over the real samples.

Unlike k-NN precision and recall, one outlier's large ball cannot cover much: every ball has
the same radius. The products are sums of logarithms in float64 (a duplicate, d = 0, gives
probability 1). The authors' defaults: a = 1.2, k = 4. The k-NN radii are exact
(:mod:`madbench.metrics.exact`) and the distances float64 (:mod:`madbench.metrics.pairs64`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from madbench import defaults
from madbench.errors import InputError
from madbench.metrics.knn import knn_radii
from madbench.metrics.pairs64 import sqdist_blocks
from madbench.metrics.validate import as_features, check_k, check_positive, check_same_dim
from madbench.types import Array


@dataclass(frozen=True)
class ProbabilisticMetrics:
    """P-precision and P-recall, with the settings and the two radii (feature units)."""

    p_precision: float
    p_recall: float
    k: int
    a: float
    real_radius: float
    fake_radius: float


def probabilistic_precision_recall(
    real: Array,
    fake: Array,
    *,
    k: int = defaults.PPR_K,
    a: float = defaults.PPR_A,
    backend: str = defaults.BACKEND,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> ProbabilisticMetrics:
    """P-precision and P-recall of ``fake`` against ``real`` (module docstring)."""
    real = as_features(real, "real")
    fake = as_features(fake, "fake")
    check_same_dim(real, fake)
    k = check_k(k, real.shape[0], fake.shape[0])
    a = check_positive(a, "the radius factor a")
    options = dict(backend=backend, device=device, memory_budget=memory_budget)
    radius_real = float(a * np.mean(knn_radii(real, k=k, **options)))
    radius_fake = float(a * np.mean(knn_radii(fake, k=k, **options)))
    if radius_real == 0 or radius_fake == 0:
        raise InputError(
            "probabilistic precision and recall need a radius > 0: every "
            f"{'real' if radius_real == 0 else 'generated'} sample has at least k copies of "
            "itself; deduplicate the set or raise k"
        )
    log_outside_fake = torch.zeros(fake.shape[0], dtype=torch.float64)  # per fake: log P(out)
    log_outside_real = torch.zeros(real.shape[0], dtype=torch.float64)
    for i0, j0, d in sqdist_blocks(real, fake, device=device, memory_budget=memory_budget):
        log_outside_fake[j0 : j0 + d.shape[1]] += _log_outside(d, radius_real).sum(dim=0).cpu()
        log_outside_real[i0 : i0 + d.shape[0]] += _log_outside(d, radius_fake).sum(dim=1).cpu()
    return ProbabilisticMetrics(
        p_precision=float(np.mean(1.0 - np.exp(log_outside_fake.numpy()))),
        p_recall=float(np.mean(1.0 - np.exp(log_outside_real.numpy()))),
        k=k,
        a=float(a),
        real_radius=radius_real,
        fake_radius=radius_fake,
    )


def _log_outside(d: torch.Tensor, radius: float) -> torch.Tensor:
    """log(d / R) for the squared distances ``d`` below R^2, 0 for the others (a point beyond
    a ball is outside it for sure)."""
    inside = d < radius * radius
    return torch.where(inside, 0.5 * torch.log(d / (radius * radius)), torch.zeros_like(d))
