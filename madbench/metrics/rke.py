"""The RKE score (Jalali et al., NeurIPS 2023): a generated set's number of modes, as the
exponential of the order-2 Renyi entropy of its Gaussian kernel matrix.

With ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))`` and ``K`` the m x m kernel matrix of the
generated samples, whose normalised eigenvalues are those of ``K / m`` (they sum to 1), the
mode count is

    RKE = 1 / sum_i lambda_i^2 = 1 / ||K / m||_F^2
        = m^2 / sum_{i,j} exp(-||g_i - g_j||^2 / sigma^2).

It is 1 for m copies of one sample and m for samples much farther apart than sigma: it
counts the effective number of distinct sigma-sized clusters. The bandwidth sigma is in
feature units; :func:`madbench.metrics.later.later_metrics` takes the median distance of a
real sample to its k-th nearest other real sample, so that a set as spread as the real data
and a collapsed one are told apart on the real data's own scale. The sum runs over float64
distance blocks (:mod:`madbench.metrics.pairs64`), never an m x m matrix.
"""

from __future__ import annotations

from madbench import defaults
from madbench.metrics.pairs64 import sqdist_blocks
from madbench.metrics.validate import as_features, check_positive
from madbench.types import Array


def rke_score(
    features: Array,
    *,
    bandwidth: float,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> float:
    """The RKE mode count of the rows of ``features`` (module docstring) under a Gaussian
    kernel of ``bandwidth`` sigma (> 0, feature units)."""
    x = as_features(features, "features")
    bandwidth = check_positive(bandwidth, "the RKE bandwidth")
    total = 0.0
    for _, _, d in sqdist_blocks(x, x, device=device, memory_budget=memory_budget):
        total += float((-d / (bandwidth * bandwidth)).exp_().sum())
    return x.shape[0] ** 2 / total
