"""Float64 squared distances between two sets, block by block, for the metrics that use the
distances' values (not only which ball holds which point): probabilistic precision and recall
(:mod:`madbench.metrics.probabilistic`) and the RKE score (:mod:`madbench.metrics.rke`).

A block is ``||a||^2 + ||b||^2 - 2 a.b`` in float64 on both sets centred on the first's mean,
clamped at 0. Its error is at most :func:`~madbench.metrics.rounding.rounding_bound` at
float64's unit roundoff, negligible beside every distance but those of near-duplicates; the
pairs whose computed value is within ``EXACT_BELOW`` such bounds of 0 are recomputed from
plain differences, so a duplicate's distance is exactly 0 and a near-duplicate's is right to
its last digits.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from madbench import defaults
from madbench.devices import pick_device
from madbench.metrics.exact import exact_sqdist
from madbench.metrics.neighbours import block_shape
from madbench.metrics.rounding import U64, rounding_bound

#: Pairs whose float64 squared distance is below this many rounding bounds are recomputed
#: from differences (relative error then at most 1e-8 for every other pair).
EXACT_BELOW = 1e8


def sqdist_blocks(
    x: np.ndarray,
    y: np.ndarray,
    *,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> Iterator[tuple[int, int, torch.Tensor]]:
    """``(i0, j0, d)``: every block ``d`` of squared distances between rows ``i0..`` of ``x``
    and rows ``j0..`` of ``y``, float64 tensors on ``device`` (None: CUDA when available)."""
    dev = pick_device(device)
    origin = x.mean(axis=0, dtype=np.float64)
    a = torch.from_numpy(np.subtract(x, origin, dtype=np.float64)).to(dev)
    b = torch.from_numpy(np.subtract(y, origin, dtype=np.float64)).to(dev)
    a_sq, b_sq = (a * a).sum(dim=1), (b * b).sum(dim=1)
    a_norm, b_norm = a_sq.sqrt().cpu().numpy(), b_sq.sqrt().cpu().numpy()
    rows, cols = block_shape(len(x), len(y), memory_budget // 2)  # float64: twice float32
    for i0 in range(0, len(x), rows):
        i1 = min(i0 + rows, len(x))
        for j0 in range(0, len(y), cols):
            j1 = min(j0 + cols, len(y))
            d = (a_sq[i0:i1, None] + b_sq[None, j0:j1] - 2.0 * (a[i0:i1] @ b[j0:j1].T)).clamp_(0)
            bound = rounding_bound(a_norm[i0:i1, None], b_norm[None, j0:j1], x.shape[1], U64)
            near = d <= torch.from_numpy(EXACT_BELOW * bound).to(dev)
            if near.any():
                ii, jj = (t.cpu().numpy() for t in near.nonzero(as_tuple=True))
                d[ii, jj] = torch.from_numpy(exact_sqdist(x, y, ii + i0, jj + j0)).to(dev)
            yield i0, j0, d
