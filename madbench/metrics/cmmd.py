"""CMMD (Jayasumana et al., CVPR 2024): the maximum mean discrepancy between two sets of
image embeddings under a Gaussian kernel, with the authors' bandwidth and scale.

With ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))``, ``n`` real rows ``x`` and ``m`` generated
rows ``y``,

    CMMD = scale * (mean_{i,i'} k(x_i, x_i') + mean_{j,j'} k(y_j, y_j') - 2 mean_{i,j} k(x_i, y_j)),

the minimum-variance (biased, V-statistic) estimator: every mean runs over all pairs, a
row's pair with itself included, as in the authors' code. ``sigma = 10`` and
``scale = 1000`` are theirs (:data:`madbench.defaults.CMMD_SIGMA`, ``CMMD_SCALE``), chosen
for unit-norm CLIP ViT-L/14-336 embeddings (``--features clip``,
:mod:`madbench.features.clip`); on other features it is the same kernel MMD, whose bandwidth
was not chosen for them. It is 0 for identical sets and never negative.

Every kernel value of unit-norm embeddings lies in [exp(-0.02), 1], so the three means agree
to about two digits and their difference is what matters: the sums are of
``expm1(-d^2 / (2 sigma^2))`` (the 1s cancel exactly), over float64 distance blocks
(:mod:`madbench.metrics.pairs64`), never an n x m matrix. The authors' float32 code loses
about four of the seven digits it carries.
"""

from __future__ import annotations

import numpy as np

from madbench import defaults
from madbench.metrics.pairs64 import sqdist_blocks
from madbench.metrics.validate import as_features, check_positive, check_same_dim
from madbench.types import Array


def cmmd(
    real: Array,
    fake: Array,
    *,
    sigma: float = defaults.CMMD_SIGMA,
    scale: float = defaults.CMMD_SCALE,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> float:
    """CMMD (module docstring) of the generated rows ``fake`` against the real rows ``real``,
    under a Gaussian kernel of bandwidth ``sigma`` (> 0, feature units), times ``scale``."""
    x, y = as_features(real, "real features"), as_features(fake, "fake features")
    check_same_dim(x, y)
    gamma = 1.0 / (2.0 * check_positive(sigma, "CMMD's bandwidth sigma") ** 2)
    scale = check_positive(scale, "CMMD's scale")

    def mean_kernel_minus_one(a: np.ndarray, b: np.ndarray) -> float:
        total = 0.0
        for _, _, d in sqdist_blocks(a, b, device=device, memory_budget=memory_budget):
            total += float(d.mul_(-gamma).expm1_().sum())
        return total / (len(a) * len(b))

    value = (
        mean_kernel_minus_one(x, x) + mean_kernel_minus_one(y, y) - 2 * mean_kernel_minus_one(x, y)
    )
    return scale * max(value, 0.0)  # a V-statistic is >= 0; rounding can dip below
