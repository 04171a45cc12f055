"""Exact k-NN radii and ball membership, from approximate float32 distances.

Bulk distances come from float32 matrix products (fast, but each value is off by rounding).
This module bounds that rounding, and re-decides in float64 every comparison that falls within
the bound, from the original inputs and plain differences ``sum((a - b)^2)``. Results are
therefore those of a float64 brute-force computation: independent of the back end, the block
size and the device, and exact for duplicated points (their distance is exactly 0).

Conventions: all distances here are *squared* Euclidean distances; the k-th neighbour of a
point excludes the point itself, i.e. it is the (k+1)-th smallest distance in its row, the
zero to itself counting as the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from madbench.metrics.neighbours import (
    Backend,
    Tick,
    Visit,
    block_shape,
    squared_norms,
    true_entries,
)
from madbench.metrics.rounding import U32, U64, rounding_bound
from madbench.metrics.validate import largest_magnitude

#: Up to this many uncertain pairs per block are re-decided by plain differences; more go
#: through a float64 matrix product first.
DIRECT_PAIRS_PER_BLOCK = 20_000
#: Extra candidates kept beyond k + 1 when searching for the k-th neighbour.
EXTRA_CANDIDATES = 16
#: Bytes of float64 differences materialised at once when re-computing exact distances.
EXACT_CHUNK_BYTES = 2 * 2**20  # small chunks stay in cache


#: Inputs whose largest magnitude lies outside [2^-SAFE_EXPONENT, 2^SAFE_EXPONENT] are first
#: scaled by a power of two: float32 squared distances of larger values overflow, and those of
#: smaller ones go subnormal, where the rounding bound below no longer holds.
SAFE_EXPONENT = 20


def common_scale(*arrays: np.ndarray) -> float:
    """A power of two ``s`` that brings the largest magnitude of ``arrays`` into [0.5, 1), or
    1.0 when it is already within the safe range (or every value is 0).

    Multiplying by a power of two is exact, and every k-NN comparison (which ball holds which
    point) is unchanged by a common scale, so the metrics of ``s * x`` are those of ``x``.
    """
    largest = max(largest_magnitude(a) for a in arrays)
    if largest == 0.0 or 2.0**-SAFE_EXPONENT <= largest <= 2.0**SAFE_EXPONENT:
        return 1.0
    return float(np.ldexp(1.0, -np.frexp(largest)[1]))


def exact_sqdist(x: np.ndarray, y: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``||x[rows[i]] - y[cols[i]]||^2`` for every i, in float64, from differences."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    out = np.empty(rows.shape[0], dtype=np.float64)
    step = max(1, EXACT_CHUNK_BYTES // (8 * x.shape[1]))
    for s in range(0, rows.shape[0], step):
        diff = np.subtract(x[rows[s : s + step]], y[cols[s : s + step]], dtype=np.float64)
        out[s : s + step] = np.einsum("ij,ij->i", diff, diff)
    return out


@dataclass
class Prepared:
    """One feature set: the original array (for exact re-computation) and its float32 copy,
    centred on a shared origin and placed on the back end's device (for bulk distances)."""

    original: np.ndarray
    bulk: object
    bulk_sq: object  # squared norms of the bulk rows, on the device (float32)
    norms: np.ndarray  # norms of the bulk rows (float64; they only scale rounding bounds)
    origin: np.ndarray  # the shared centre (float64), subtracted from both sets

    @classmethod
    def make(cls, backend: Backend, x: np.ndarray, origin: np.ndarray) -> Prepared:
        # Centring in the input's own precision: a float32 origin moves every point alike.
        centred = np.subtract(x, origin.astype(x.dtype), dtype=np.float32)
        bulk = backend.prepare(centred)
        bulk_sq = squared_norms(bulk) if isinstance(bulk, torch.Tensor) else None
        sq = np.einsum("ij,ij->i", centred, centred)
        return cls(x, bulk, bulk_sq, np.sqrt(sq.astype(np.float64)), origin)

    @property
    def n(self) -> int:
        return self.original.shape[0]

    @property
    def dim(self) -> int:
        return self.original.shape[1]


def prepare_pair(
    engine: Backend, real: np.ndarray, fake: np.ndarray
) -> tuple[Prepared, Prepared, float]:
    """Both sets scaled by one exact power of two when their magnitude needs it (the metrics
    do not change; the scale is returned third), centred on the real mean (distances do not
    change, float32 rounding shrinks) and placed on the back end's device."""
    scale = common_scale(real, fake)
    if scale != 1.0:
        real, fake = real * scale, fake * scale
    origin = real.mean(axis=0, dtype=np.float64)
    prepared = Prepared.make(engine, real, origin), Prepared.make(engine, fake, origin)
    return *prepared, scale


def kth_neighbour_sqdist(
    backend: Backend,
    data: Prepared,
    k: int,
    tick: Tick | None = None,
    visit: Visit | None = None,
) -> np.ndarray:
    """Exact squared distance from each row to its k-th neighbour in the same set (self excluded).

    The back end proposes the ``k + 1 + EXTRA_CANDIDATES`` nearest rows. Candidates whose
    float32 distance is within twice the rounding bound of the (k+1)-th are recomputed exactly;
    those clearly below only count. A row is settled when no row outside its candidates can be
    closer than the k-th neighbour so found; unsettled rows (near-ties, heavy duplication) are
    searched again with four times as many candidates, up to the whole set. ``tick(f)``
    reports progress as fractions of the first search; ``visit`` sees its distance blocks
    (``Backend.search_self``).
    """
    n = data.n
    kth = np.empty(n, dtype=np.float64)
    todo = np.arange(n)
    kk = min(n, k + 1 + EXTRA_CANDIDATES)
    while todo.size:
        if todo.size == n:
            vals, idx = backend.search_self(data.bulk, kk, tick, visit)
        else:
            vals, idx = backend.search(data.bulk, data.bulk[_index(data.bulk, todo)], kk)
        vals = vals.astype(np.float64)
        band = rounding_bound(data.norms[todo], data.norms.max(), data.dim)[:, None]
        if not backend.exact:
            band = np.inf  # approximate values: recompute every candidate
        approx_kth = vals[:, k : k + 1]
        near = np.abs(vals - approx_kth) <= 2 * band
        # Exact values where they can matter; -inf for candidates surely below the k-th.
        values = np.where(vals < approx_kth - 2 * band, -np.inf, np.inf)
        rows, cols = np.nonzero(near)
        values[rows, cols] = exact_sqdist(data.original, data.original, todo[rows], idx[rows, cols])
        cand = np.sort(values, axis=1)[:, k]
        if kk >= n or not backend.exact:
            settled = np.ones(todo.size, dtype=bool)
        else:
            settled = (cand == 0.0) | (cand <= vals[:, -1] - band[:, 0])
        kth[todo[settled]] = cand[settled]
        todo = todo[~settled]
        kk = min(n, 4 * kk)
    return kth


def nearest_sqdist(
    backend: Backend, base: Prepared, queries: Prepared
) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared distance from each query row to its nearest row of ``base``, and that
    row's index (the first one on ties of exact distances).

    The back end proposes ``1 + EXTRA_CANDIDATES`` candidates; all are recomputed exactly. A
    query is settled when no row outside its candidates can be closer (the last candidate's
    float32 distance, less the rounding bound, is not below the exact minimum); the rare
    others are compared with every row of ``base`` exactly.
    """
    kk = min(base.n, 1 + EXTRA_CANDIDATES)
    vals, idx = backend.search(base.bulk, queries.bulk, kk)
    rows = np.repeat(np.arange(queries.n), kk)
    exact_vals = exact_sqdist(queries.original, base.original, rows, idx.ravel()).reshape(-1, kk)
    # Ties between exact distances go to the lower index, whatever order the search gave.
    order = np.lexsort((idx, exact_vals), axis=1) if exact_vals.size else idx
    first = order[:, 0]
    best = exact_vals[np.arange(queries.n), first]
    best_idx = idx[np.arange(queries.n), first].astype(np.int64)
    band = rounding_bound(queries.norms, base.norms.max(), base.dim)
    if kk >= base.n:
        unsettled = np.array([], dtype=np.int64)
    elif not backend.exact:
        unsettled = np.arange(queries.n)
    else:
        unsettled = np.flatnonzero(vals[:, -1].astype(np.float64) - band < best)
    everything = np.arange(base.n)
    for q in unsettled:
        d = exact_sqdist(queries.original, base.original, np.full(base.n, q), everything)
        best_idx[q] = int(np.argmin(d))
        best[q] = d[best_idx[q]]
    return best, best_idx


def _index(bulk, rows: np.ndarray):
    """Row indices in the type the bulk array wants (torch tensors take tensors)."""
    if isinstance(bulk, torch.Tensor):
        return torch.from_numpy(rows).to(bulk.device)
    return rows


@dataclass
class BallScan:
    """What one pass over all (real, fake) pairs yields.

    ``fake_in_real_balls[j]``: number of real balls ``B(r, radius_k(r))`` that contain fake j.
    ``real_covered[i]``: whether real ball i contains at least one fake sample.
    ``real_in_fake_balls[i]``: whether real i lies in at least one fake ball.
    ``realism[j]``: Kynkaanniemi's realism score of fake j (only when asked for; NaN when
    every real radius is the same, so that none lies below the median).
    ``rarity_sq[j]``: the squared radius of the smallest real ball that contains fake j (inf
    when none does; only when asked for): Han et al.'s rarity score, squared.
    """

    fake_in_real_balls: np.ndarray
    real_covered: np.ndarray
    real_in_fake_balls: np.ndarray
    realism: np.ndarray | None
    rarity_sq: np.ndarray | None = None


def ball_scan(
    backend: Backend,
    real: Prepared,
    fake: Prepared,
    real_thr: np.ndarray,
    fake_thr: np.ndarray,
    *,
    strict: bool,
    realism: bool,
    tick: Tick | None = None,
    visit: Visit | None = None,
    rarity: bool = False,
) -> BallScan:
    """Stream all (real, fake) distance blocks once and answer every ball-membership question.

    ``real_thr`` and ``fake_thr`` are the exact squared k-NN radii. A pair is inside a ball when
    its squared distance is ``<=`` the threshold, or ``<`` with ``strict``. Pairs within the
    rounding bound of a threshold are re-decided exactly. No n x m array is ever held: blocks
    follow the back end's memory budget. ``tick(f)`` reports each fraction f of pairs done;
    ``visit(d, i0, j0)`` sees each block ``d`` of real rows ``i0..`` and fake columns ``j0..``.

    Each block is read twice, once per kind of ball, by one comparison with the largest
    distance that can be inside (threshold plus rounding bound): a k-NN ball holds few points,
    so the pairs that pass are few, and only they are looked at again (:class:`_Candidates`).
    """
    dev = backend.device
    counts = torch.zeros(fake.n, dtype=torch.int64, device=dev)
    covered = torch.zeros(real.n, dtype=torch.bool, device=dev)
    recalled = torch.zeros(real.n, dtype=torch.bool, device=dev)
    tracker = _Realism(real, fake, real_thr, dev) if realism else None
    smallest = torch.full((fake.n,), np.inf, dtype=torch.float64, device=dev) if rarity else None
    radii = torch.from_numpy(np.asarray(real_thr, dtype=np.float64)).to(dev) if rarity else None

    for block in _cross_blocks(backend, real, fake, strict, tick):
        d, i0, j0 = block.d, block.i0, block.j0
        ii, jj = block.in_real_balls(real_thr)
        counts.index_add_(0, jj + j0, torch.ones_like(jj))
        if smallest is not None and ii.numel():
            smallest.scatter_reduce_(0, jj + j0, radii[ii + i0], reduce="amin")
        covered[ii + i0] = True
        recalled[block.rows_in_fake_balls(fake_thr, known=recalled[block.rows]) + i0] = True
        if tracker is not None:
            tracker.update(d, i0, i0 + d.shape[0], j0, j0 + d.shape[1])
        if visit is not None:
            visit(d, i0, j0)

    return BallScan(
        fake_in_real_balls=counts.cpu().numpy(),
        real_covered=covered.cpu().numpy(),
        real_in_fake_balls=recalled.cpu().numpy(),
        realism=tracker.scores() if tracker is not None else None,
        rarity_sq=smallest.cpu().numpy() if smallest is not None else None,
    )


@dataclass
class BallCounts:
    """How many points each ball holds, and how many balls hold each point, for every set of
    radii :func:`ball_counts` was given, in its order. ``real_balls[t]`` is the pair
    (fakes inside each real ball, real balls holding each fake) under the t-th real radii;
    ``fake_balls[t]`` is (reals inside each fake ball, fake balls holding each real)."""

    real_balls: list[tuple[np.ndarray, np.ndarray]]
    fake_balls: list[tuple[np.ndarray, np.ndarray]]


def ball_counts(
    backend: Backend,
    real: Prepared,
    fake: Prepared,
    real_thrs: tuple[np.ndarray, ...] = (),
    fake_thrs: tuple[np.ndarray, ...] = (),
    *,
    strict: bool,
    tick: Tick | None = None,
) -> BallCounts:
    """Exact counts of (real, fake) pairs inside balls of any radii, in one pass over the
    distance blocks: each array of ``real_thrs`` holds one squared radius per real sample,
    each of ``fake_thrs`` one per fake sample (inside: ``<=``, or ``<`` with ``strict``, as in
    :func:`ball_scan`, whose float32 blocks and exact re-decisions these counts share). The
    radii need not be k-NN radii: clipped, larger or any others. ``real`` and ``fake`` may be
    one set (each point then counts in its own ball when its radius admits distance 0)."""
    dev = backend.device

    def zeros(n):
        return torch.zeros(n, dtype=torch.int64, device=dev)

    real_counts = [(zeros(real.n), zeros(fake.n)) for _ in real_thrs]
    fake_counts = [(zeros(fake.n), zeros(real.n)) for _ in fake_thrs]
    for block in _cross_blocks(backend, real, fake, strict, tick):
        for thr, (inside, holding) in zip(real_thrs, real_counts, strict=True):
            ii, jj = block.in_real_balls(thr)
            inside.index_add_(0, ii + block.i0, torch.ones_like(ii))
            holding.index_add_(0, jj + block.j0, torch.ones_like(jj))
        for thr, (inside, holding) in zip(fake_thrs, fake_counts, strict=True):
            ii, jj = block.in_fake_balls(thr)
            inside.index_add_(0, jj + block.j0, torch.ones_like(jj))
            holding.index_add_(0, ii + block.i0, torch.ones_like(ii))

    def host(pairs):
        return [(a.cpu().numpy(), b.cpu().numpy()) for a, b in pairs]

    return BallCounts(host(real_counts), host(fake_counts))


def _cross_blocks(
    backend: Backend, real: Prepared, fake: Prepared, strict: bool, tick: Tick | None
) -> Iterator[_Block]:
    """Every block of float32 squared distances between real rows and fake columns, within
    the back end's memory budget, as a :class:`_Block` (one scratch buffer and one output
    buffer serve them all); ``tick(f)`` hears each block's fraction f of the pairs once the
    caller is done with it."""
    rows, cols = block_shape(real.n, fake.n, backend.memory_budget)
    scratch = torch.empty(rows * cols, dtype=torch.bool, device=backend.device)
    out = backend.buffer(rows * cols)
    for i0 in range(0, real.n, rows):
        i1 = min(i0 + rows, real.n)
        for j0 in range(0, fake.n, cols):
            j1 = min(j0 + cols, fake.n)
            d = backend.sqdist(
                real.bulk[i0:i1],
                fake.bulk[j0:j1],
                *_slices(real.bulk_sq, fake.bulk_sq, i0, i1, j0, j1),
                out=out,
            ).to(backend.device)
            yield _Block(d, real, fake, i0, j0, strict, scratch)
            if tick is not None:
                tick(d.numel() / (real.n * fake.n))
            del d


class _Realism:
    """Kynkaanniemi et al.'s realism score of every fake sample, followed block by block: the
    largest ratio (real ball radius^2 / distance^2) over the real balls whose radius is below
    the median, its arg-max found in float32 and the ratio re-evaluated in float64."""

    def __init__(self, real: Prepared, fake: Prepared, real_thr: np.ndarray, device):
        self.real, self.fake, self.real_thr, self.device = real, fake, real_thr, device
        self.pruned = np.flatnonzero(real_thr < np.median(real_thr))
        self.best_ratio = torch.full((fake.n,), -1.0, device=device)
        self.best_real = torch.zeros(fake.n, dtype=torch.int64, device=device)

    def update(self, d, i0: int, i1: int, j0: int, j1: int) -> None:
        """Take the block ``d`` of real rows i0..i1 and fake columns j0..j1 into account."""
        sel = self.pruned[(self.pruned >= i0) & (self.pruned < i1)]
        if not sel.size:
            return
        dev = self.device
        t = torch.from_numpy(self.real_thr[sel].astype(np.float32)).to(dev)
        ratio = t[:, None] / d[torch.from_numpy(sel - i0).to(dev)].clamp_min_(0.0)
        val, arg = ratio.max(dim=0)
        arg = torch.from_numpy(sel).to(dev)[arg]
        better = val > self.best_ratio[j0:j1]
        self.best_ratio[j0:j1] = torch.where(better, val, self.best_ratio[j0:j1])
        self.best_real[j0:j1] = torch.where(better, arg, self.best_real[j0:j1])

    def scores(self) -> np.ndarray:
        """The scores (NaN for all when every radius is the same: none is below the median)."""
        if self.pruned.size == 0:
            return np.full(self.fake.n, np.nan)
        arg = self.best_real.cpu().numpy()
        ex = exact_sqdist(self.real.original, self.fake.original, arg, np.arange(self.fake.n))
        with np.errstate(divide="ignore"):
            return self.real_thr[arg] / ex


def _slices(a_sq, b_sq, i0, i1, j0, j1):
    """Row slices of the squared norms, when the back end keeps them."""
    if a_sq is None:
        return None, None
    return a_sq[i0:i1], b_sq[j0:j1]


class _Block:
    """One block of float32 squared distances between real rows i0.. and fake columns j0..,
    with a flat boolean scratch buffer at least its size (the comparisons write into it)."""

    def __init__(self, d, real: Prepared, fake: Prepared, i0: int, j0: int, strict: bool, scratch):
        self.d, self.real, self.fake, self.i0, self.j0 = d, real, fake, i0, j0
        self.strict = strict
        self.rows = slice(i0, i0 + d.shape[0])
        self.cols = slice(j0, j0 + d.shape[1])
        self.scratch = scratch[: d.numel()].view(d.shape)

    def in_real_balls(self, real_thr: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The local (rows, cols) of every pair whose fake lies in the real row's ball."""
        norms_r, norms_f = self.real.norms[self.rows], self.fake.norms[self.cols]
        band = rounding_bound(norms_r, norms_f.max(), self.real.dim)
        ii, jj, inside = self._decided(real_thr[self.rows], band, along="rows")
        return ii[inside], jj[inside]

    def in_fake_balls(self, fake_thr: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The local (rows, cols) of every pair whose real lies in the fake column's ball."""
        norms_r, norms_f = self.real.norms[self.rows], self.fake.norms[self.cols]
        band = rounding_bound(norms_r.max(), norms_f, self.real.dim)
        ii, jj, inside = self._decided(fake_thr[self.cols], band, along="cols")
        return ii[inside], jj[inside]

    def rows_in_fake_balls(self, fake_thr: np.ndarray, known) -> torch.Tensor:
        """The local rows whose real sample lies in some fake ball of the block. Rows ``known``
        to lie in one already (a boolean per row) need no exact re-decision."""
        norms_r, norms_f = self.real.norms[self.rows], self.fake.norms[self.cols]
        band = rounding_bound(norms_r.max(), norms_f, self.real.dim)
        ii, jj, inside = self._decided(fake_thr[self.cols], band, along="cols", known=known)
        return ii[inside]

    def _decided(self, thr: np.ndarray, band: np.ndarray, *, along: str, known=None):
        """Every pair that may lie inside its ball, and whether it does, decided exactly.

        ``thr`` holds the exact squared radius of each row (``along="rows"``, real balls) or of
        each column (``along="cols"``, fake balls); ``band`` the rounding bound of each
        comparison. The pairs at most ``thr + band`` away are gathered; those below
        ``thr - band`` are surely inside, the few in between are recomputed in float64 (only
        in rows not already ``known`` to be inside some ball, when the caller asks "any").
        """
        dev = self.d.device
        margin = band + 2 * U32 * thr  # the float32 rounding of the threshold itself

        def vec(x):
            return torch.from_numpy(np.asarray(x, dtype=np.float32)).to(dev)

        upper, lower = vec(thr + margin), vec(thr - margin)
        ii, jj = self._gather(upper, along)
        sure = self.d[ii, jj] < (lower[ii] if along == "rows" else lower[jj])
        unsure = ~sure
        if known is not None:
            settled = known.clone()
            settled[ii[sure]] = True
            unsure &= ~settled[ii]
        if unsure.any():
            ui, uj = ii[unsure].cpu().numpy(), jj[unsure].cpu().numpy()
            t = thr[ui] if along == "rows" else thr[uj]
            sure[unsure] = torch.from_numpy(self._decide(ui, uj, t)).to(dev)
        return ii, jj, sure

    def _gather(self, upper: torch.Tensor, along: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Local (rows, cols) of the pairs with distance ``<= upper`` (one bound per row, or
        per column), row-major."""
        torch.le(self.d, upper[:, None] if along == "rows" else upper[None, :], out=self.scratch)
        return true_entries(self.scratch)

    def _decide(self, ui: np.ndarray, uj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Exact ball membership of the local pairs (ui, uj) against thresholds t.

        Few pairs: plain float64 differences. Many (a threshold in the bulk of the distances):
        first a float64 matrix product over the rows and columns involved, whose far smaller
        rounding bound settles all but exact ties, then differences for those.
        """
        inside = np.less if self.strict else np.less_equal
        real, fake = self.real.original, self.fake.original
        if ui.size <= DIRECT_PAIRS_PER_BLOCK:
            return inside(exact_sqdist(real, fake, ui + self.i0, uj + self.j0), t)
        rows, row_pos = np.unique(ui, return_inverse=True)
        cols, col_pos = np.unique(uj, return_inverse=True)
        a = real[rows + self.i0].astype(np.float64) - self.real.origin
        b = fake[cols + self.j0].astype(np.float64) - self.real.origin
        na, nb = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b)
        d64 = (na[:, None] + nb[None, :] - 2.0 * (a @ b.T))[row_pos, col_pos]
        band = rounding_bound(np.sqrt(na)[row_pos], np.sqrt(nb)[col_pos], a.shape[1], U64)
        band += 2 * U64 * t
        decision = inside(d64, t)
        tie = np.abs(d64 - t) <= band
        if tie.any():
            decision[tie] = inside(
                exact_sqdist(real, fake, ui[tie] + self.i0, uj[tie] + self.j0), t[tie]
            )
        return decision
