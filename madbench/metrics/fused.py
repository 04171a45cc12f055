"""P/R/D/C and KID from one pass: KID's kernel sums taken from the k-NN pass's own blocks.

The exact k-NN pass (:mod:`madbench.metrics.exact`) forms every squared distance
``D_ij = ||a_i||^2 + ||b_j||^2 - 2 a_i . b_j`` between the centred float32 copies ``a = x - o``
of the real-real, fake-fake and real-fake pairs. KID's cubic kernel needs the same inner
products, uncentred and divided by d and by the feature scale s squared:

    x_i . y_j / (d s^2) = q_i + q_j - c D_ij / 2,   c = 1 / (d s^2),
    q_i = c (||a_i||^2 / 2 + a_i . o + o . o / 2)    (float64, one number per row),

so each block of D gives the block of kernel values k = (q_i + q_j - c D_ij / 2 + 1)^3, and
every subset's kernel sum w^T K w (w the subset's 0/1 indicator) is one product of the block
with the indicator columns, accumulated in float64. The self blocks are upper-triangle panels
(:meth:`TorchBackend.search_self`): their part beyond the diagonal block counts twice.

Nothing is multiplied twice: the pass costs the k-NN products plus an elementwise cube and a
product with the n x n_subsets indicators. The kernel values carry float32 rounding (about
1e-7 of their size) where :func:`madbench.metrics.kid.kid` works in float64: the two KIDs
agree within 3e-7 of the kernel values' mean, and at 10,000 samples within about 1e-9, a
millionth of KID's spread over subsets (``tests/test_fused.py``). Back ends without blocks
(FAISS), or inputs scaled by a power of two for float32's range, get the separate KID.

:func:`fusable` says when :func:`madbench.metrics.report.all_metrics` takes this pass: float32
features (a network's; float64 ones keep their float64 KID) in sets too large for KID's whole
kernel matrices (beyond :data:`~madbench.metrics.kid.WHOLE_KERNEL_MAX` rows, where it costs a
product per subset), so the small evaluation sets of the loops keep their numbers to the bit.
"""

from __future__ import annotations

import numpy as np
import torch

from madbench import defaults
from madbench.metrics.exact import Prepared
from madbench.metrics.kid import (
    WHOLE_KERNEL_MAX,
    KidResult,
    kid_result,
    kid_subsets,
)
from madbench.metrics.kid import kid as separate_kid
from madbench.metrics.knn import KnnMetrics, knn_metrics, sharing_blocks
from madbench.types import Array

#: Rows of a prepared set turned into float64 at once when computing the row terms q.
ROW_CHUNK = 16_384
#: Largest kernel sum the float32 products may form (float32 overflows at 3.4e38).
FLOAT32_SUM_LIMIT = 1e30


def prdc_and_kid(
    real: Array,
    fake: Array,
    *,
    n_subsets: int = defaults.KID_SUBSETS,
    subset_size: int = defaults.KID_SUBSET_SIZE,
    seed: int = 0,
    feature_scale: float = 1.0,
    **knn_options,
) -> tuple[KnnMetrics, KidResult]:
    """:func:`knn_metrics` (given ``knn_options``) and :func:`madbench.metrics.kid.kid` (given
    the other arguments), from one pass over the distance blocks where the back end forms
    them; the same numbers as the two apart."""
    r, f, picks = kid_subsets(real, fake, n_subsets, subset_size, seed, feature_scale)
    made = []

    def share(prepared_real: Prepared, prepared_fake: Prepared, scale: float):
        if scale != 1.0 or not _fits_float32(prepared_real, prepared_fake, feature_scale):
            return None  # magnitudes beyond float32's comfort: KID in float64, apart
        made.append(KidSums(prepared_real, prepared_fake, picks, feature_scale))
        return made[0]

    with sharing_blocks(share):
        knn = knn_metrics(r, f, **knn_options)
    size = len(picks[0][0])
    if made:
        return knn, kid_result(made[0].values(), size, seed, feature_scale)
    return knn, separate_kid(
        r, f, n_subsets=n_subsets, subset_size=subset_size, seed=seed, feature_scale=feature_scale
    )


def fusable(real: np.ndarray, fake: np.ndarray) -> bool:
    """Whether the one pass pays and keeps KID's precision (module docstring)."""
    real, fake = np.asarray(real), np.asarray(fake)
    return real.dtype == fake.dtype == np.float32 and max(len(real), len(fake)) > WHOLE_KERNEL_MAX


class KidSums:
    """Every KID subset's three kernel sums, accumulated block by block (module docstring)."""

    def __init__(self, real: Prepared, fake: Prepared, picks, feature_scale: float):
        dev = real.bulk.device
        self.c = 1.0 / (real.dim * feature_scale**2)
        self.size = len(picks[0][0])
        self.q_real, self.q_fake = self._row_terms(real), self._row_terms(fake)
        self.w_real = _indicators(real.n, [i for i, _ in picks], dev)
        self.w_fake = _indicators(fake.n, [j for _, j in picks], dev)
        zeros = lambda: torch.zeros(len(picks), dtype=torch.float64, device=dev)  # noqa: E731
        self.real_sum, self.fake_sum, self.cross_sum = zeros(), zeros(), zeros()
        self.real_trace, self.fake_trace = zeros(), zeros()
        self.buffer = torch.empty(0, device=dev)  # the kernel block, grown to the largest

    def _row_terms(self, p: Prepared) -> torch.Tensor:
        """q_i = c (||a_i||^2 / 2 + a_i . o + o . o / 2), with o the origin in the input's
        own precision (the one the centring subtracted) and ||a_i||^2 the float32 value the
        blocks hold (so that it cancels from q_i + q_j - c D_ij / 2 as it should)."""
        origin = p.origin.astype(p.original.dtype).astype(np.float64)
        o = torch.from_numpy(origin).to(p.bulk.device)
        q = p.bulk_sq.double() / 2 + o @ o / 2
        for s in range(0, p.n, ROW_CHUNK):
            q[s : s + ROW_CHUNK] += p.bulk[s : s + ROW_CHUNK].double() @ o
        return (q * self.c).float()

    def _kernel(self, d: torch.Tensor, q_rows: torch.Tensor, q_cols: torch.Tensor):
        """The block of kernel values (q_i + q_j - c D_ij / 2 + 1)^3, in a reused buffer."""
        if self.buffer.numel() < d.numel():
            self.buffer = torch.empty(d.numel(), device=d.device)
        k = self.buffer[: d.numel()].view(d.shape)
        torch.add(q_cols[None, :], d, alpha=-self.c / 2, out=k)
        return k.add_(q_rows[:, None] + 1.0).pow_(3)

    def _self_block(self, d, i0: int, q, w):
        """Rows i0..i1 against columns i0..n: the square [i0, i1)^2 once, the rest twice."""
        i1 = i0 + d.shape[0]
        k = self._kernel(d, q[i0:i1], q[i0:])
        rows = w[i0:i1]
        inner = k[:, : i1 - i0] @ rows
        if i1 < len(q):
            inner.add_(k[:, i1 - i0 :] @ w[i1:], alpha=2.0)
        return (rows * inner).sum(0, dtype=torch.float64), k.diagonal() @ rows

    def real_block(self, d: torch.Tensor, i0: int) -> None:
        total, trace = self._self_block(d, i0, self.q_real, self.w_real)
        self.real_sum += total
        self.real_trace += trace.double()

    def fake_block(self, d: torch.Tensor, i0: int) -> None:
        total, trace = self._self_block(d, i0, self.q_fake, self.w_fake)
        self.fake_sum += total
        self.fake_trace += trace.double()

    def cross_block(self, d: torch.Tensor, i0: int, j0: int) -> None:
        i1, j1 = i0 + d.shape[0], j0 + d.shape[1]
        k = self._kernel(d, self.q_real[i0:i1], self.q_fake[j0:j1])
        inner = k @ self.w_fake[j0:j1]
        self.cross_sum += (self.w_real[i0:i1] * inner).sum(0, dtype=torch.float64)

    def values(self) -> np.ndarray:
        """Every subset's unbiased MMD^2 (:func:`madbench.metrics.kid.mmd2_unbiased`)."""
        s = self.size
        within = self.real_sum - self.real_trace + self.fake_sum - self.fake_trace
        return (within / (s * (s - 1)) - 2.0 * self.cross_sum / s**2).cpu().numpy()


def _fits_float32(real: Prepared, fake: Prepared, feature_scale: float) -> bool:
    """Whether every kernel value, times the rows summed at once, stays below float32's
    largest number: k <= (|x| |y| / (d s^2) + 1)^3 with |x| <= |a| + |o|."""
    largest = max(real.norms.max(), fake.norms.max()) + np.linalg.norm(real.origin)
    kernel = (largest**2 / (real.dim * feature_scale**2) + 1.0) ** 3
    return kernel * max(real.n, fake.n) < FLOAT32_SUM_LIMIT


def _indicators(n: int, subsets, device) -> torch.Tensor:
    """The (n, len(subsets)) float32 0/1 matrix whose column t marks the rows of subset t."""
    w = torch.zeros((n, len(subsets)), dtype=torch.float32)
    for column, rows in enumerate(subsets):
        w[torch.from_numpy(rows), column] = 1.0
    return w.to(device)
