"""Neighbour-search back ends: the only code that computes distances in bulk.

A back end works on *prepared* arrays (float32, centred, on its device) and offers two
operations, both on squared Euclidean distances computed in float32 as
``||a||^2 + ||b||^2 - 2 a.b`` (so every value carries a rounding error that
:mod:`madbench.metrics.exact` bounds and removes):

- ``sqdist(a, b, a_sq, b_sq, out)``: the dense block of squared distances between the rows of
  ``a`` and ``b`` (optionally given their squared norms), as a float32 torch tensor on the
  device, written into ``out`` (a flat float32 buffer at least that large) when given: one
  buffer reused for every block spares the operating system a fresh block's page faults;
- ``buffer(elements)``: a buffer for ``sqdist``'s ``out`` (None if it takes none);
- ``search(base, queries, kk)``: for every query row, the ``kk`` smallest squared distances to
  the rows of ``base`` and their indices, ascending, as numpy arrays;
- ``search_self(x, kk, tick, visit)``: ``search(x, x, kk)``, the self pair included; ``tick(f)``
  (if given) is called as each fraction ``f`` of the work completes, and ``visit(d, i0)`` (if
  given, blocked back ends only) with every block ``d`` of rows ``i0..`` and columns ``i0..n``
  (the upper triangle, diagonal blocks whole), so that other sums can share its products.

Back ends:

- ``torch``: blocked matrix products on the CPU, or on the GPU when torch sees one; exact search.
- ``faiss`` with ``index="flat"``: FAISS exact flat index; ``"ivf"``: FAISS's approximate
  inverted-file index, for millions of points (its error is measured in benchmarks/).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
import torch

from madbench import defaults
from madbench.devices import pick_device
from madbench.errors import BackendError
from madbench.metrics.rounding import rounding_bound

#: Default memory budget of one distance block and its temporaries, in bytes.
#: Bytes held per element of a distance block at most: the float32 distance (4), three boolean
#: masks (3), two float32 temporaries of the realism score (8), and slack for the allocator.
BYTES_PER_BLOCK_ELEMENT = 24
#: Preferred rows of a distance block (measured fastest on 2 cores for d = 2048).
PANEL_ROWS = 2048
#: A self-search is cut into about this many row panels (fewer when the budget is small).
SELF_PANELS = 8
#: ... but no panel is thinner than this many rows, unless the budget demands it.
SELF_PANEL_MIN_ROWS = 256
#: Rows whose distances give every row its first threshold in a self-search.
SEED_ROWS = 512
#: Sets up to this many rows are self-searched in one block, sorted whole.
WHOLE_SEARCH_ROWS = 2048


#: ``tick(f)``: called as each fraction ``f`` of a pass completes (progress).
Tick = Callable[[float], None]
#: ``visit(d, i0)``: sees each distance block ``d`` (read-only) whose rows start at ``i0``.
Visit = Callable[[torch.Tensor, int], None]
#: A back end's arrays: torch tensors (torch) or numpy arrays (FAISS).
Matrix = torch.Tensor | np.ndarray


class Backend(Protocol):
    """What :mod:`madbench.metrics.exact` and :mod:`madbench.metrics.knn` ask of a back end
    (the module docstring says what each operation computes)."""

    name: str  # e.g. "torch:cpu", "faiss:flat"
    exact: bool  # False: search returns approximate neighbours (FAISS IVF)
    blocks: bool  # True: search_self and sqdist compute dense blocks (visit sees them)
    device: torch.device  # where sqdist's blocks live
    memory_budget: int  # bytes for one distance block and its temporaries

    def prepare(self, x: np.ndarray) -> Matrix: ...

    def sqdist(
        self,
        a: Matrix,
        b: Matrix,
        a_sq: Matrix | None = None,
        b_sq: Matrix | None = None,
        out: torch.Tensor | None = None,
    ) -> Matrix: ...

    def search(self, base: Matrix, queries: Matrix, kk: int) -> tuple[np.ndarray, np.ndarray]: ...

    def search_self(
        self, x: Matrix, kk: int, tick: Tick | None = None, visit: Visit | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def buffer(self, elements: int) -> torch.Tensor | None: ...


def block_rows(n_cols: int, memory_budget: int) -> int:
    """Rows per block so that a ``rows x n_cols`` block and its temporaries fit the budget."""
    return max(1, int(memory_budget // (BYTES_PER_BLOCK_ELEMENT * max(n_cols, 1))))


def block_shape(n_rows: int, n_cols: int, memory_budget: int) -> tuple[int, int]:
    """A (rows, cols) block shape within the memory budget: panels of about PANEL_ROWS rows,
    as wide as the budget allows (the shape matrix-multiply kernels run fastest on)."""
    elems = max(1, memory_budget // BYTES_PER_BLOCK_ELEMENT)
    cols = min(n_cols, max(1, elems // min(PANEL_ROWS, n_rows)))
    rows = min(n_rows, max(1, elems // cols))
    return rows, cols


@contextlib.contextmanager
def full_fp32_matmul() -> Iterator[None]:
    """Force IEEE float32 matrix products (no TF32), whatever the user set globally."""
    old = torch.get_float32_matmul_precision()
    old_cuda = torch.backends.cuda.matmul.allow_tf32
    torch.set_float32_matmul_precision("highest")
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(old)
        torch.backends.cuda.matmul.allow_tf32 = old_cuda


def squared_norms(x: torch.Tensor) -> torch.Tensor:
    """The rows' squared norms, as every distance block of the torch back end adds them."""
    return torch.einsum("ij,ij->i", x, x)


def _empty_topk(rows: int, kk: int, device):
    """A running top-kk list with no candidate yet (infinite distances)."""
    return (
        torch.full((rows, kk), float("inf"), device=device),
        torch.zeros((rows, kk), dtype=torch.int64, device=device),
    )


#: A row's candidates are merged into its best list in chunks of rows holding at most this
#: many (row, candidate) slots, so that a row with very many candidates (a set of copies, all
#: at distance 0) stays within memory.
MERGE_SLOTS = 2**22


def true_entries(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The (row, column) indices of a boolean block's True entries, in row-major order,
    gathered from a quarter of its rows at a time (a dense mask stays within memory)."""
    if mask.shape[0] == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=mask.device)
        return empty, empty
    step = max(1, -(-mask.shape[0] // 4))
    parts = [torch.nonzero(mask[s : s + step], as_tuple=True) for s in range(0, len(mask), step)]
    rows = [ii + s for (ii, _), s in zip(parts, range(0, len(mask), step), strict=True)]
    return torch.cat(rows), torch.cat([jj for _, jj in parts])


def _merge_sorted(best_v, best_i, row0: int, rows, cols, vals) -> None:
    """Merge candidates (rows relative to ``row0``, ascending; their column indices and
    values) into the rows' ascending best lists of kk entries, in place.

    Each row's candidates are laid out densely next to its current list (the row-major order
    gives each its slot: its index less the row's first index) and the kk smallest are kept.
    """
    if rows.numel() == 0:
        return
    kk = best_v.shape[1]
    counts = torch.bincount(rows)
    first = torch.cumsum(counts, 0) - counts
    slot = torch.arange(rows.numel(), device=rows.device) - first[rows]
    width = int(counts.max())
    chunk = max(1, MERGE_SLOTS // (kk + width))
    for r0 in range(0, len(counts), chunk):
        r1 = min(r0 + chunk, len(counts))
        sel = slice(int(first[r0]), int(first[r1 - 1] + counts[r1 - 1]))
        v = torch.full((r1 - r0, kk + width), float("inf"), device=vals.device)
        i = torch.zeros((r1 - r0, kk + width), dtype=best_i.dtype, device=vals.device)
        v[:, :kk], i[:, :kk] = best_v[row0 + r0 : row0 + r1], best_i[row0 + r0 : row0 + r1]
        v[rows[sel] - r0, slot[sel] + kk] = vals[sel]
        i[rows[sel] - r0, slot[sel] + kk] = cols[sel]
        top, pos = torch.topk(v, kk, dim=1, largest=False, sorted=True)
        best_v[row0 + r0 : row0 + r1] = top
        best_i[row0 + r0 : row0 + r1] = torch.gather(i, 1, pos)


def _merge_topk(best_v, best_i, vals, idx, kk):
    """Keep the kk smallest of two candidate sets per row (values ascending)."""
    v = torch.cat([best_v, vals], dim=1)
    i = torch.cat([best_i, idx], dim=1)
    v, pos = torch.topk(v, kk, dim=1, largest=False, sorted=True)
    return v, torch.gather(i, 1, pos)


class TorchBackend:
    """Exact blocked distances with torch matrix products (CPU, or CUDA when available)."""

    exact = True
    blocks = True

    def __init__(self, device: str | None = None, memory_budget: int = defaults.MEMORY_BUDGET):
        self.device = pick_device(device)
        self.memory_budget = int(memory_budget)
        self.name = f"torch:{self.device.type}"

    def prepare(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)

    def sqdist(
        self,
        a: torch.Tensor,
        b: torch.Tensor,
        a_sq: torch.Tensor | None = None,
        b_sq: torch.Tensor | None = None,
        out: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Squared distances; ``a_sq`` and ``b_sq`` are the rows' squared norms if known,
        ``out`` a flat buffer to write them into."""
        na = squared_norms(a) if a_sq is None else a_sq
        nb = squared_norms(b) if b_sq is None else b_sq
        target = {} if out is None else {"out": out[: len(a) * len(b)].view(len(a), len(b))}
        with full_fp32_matmul():
            d = torch.addmm(nb[None, :], a, b.T, alpha=-2.0, **target)
        return d.add_(na[:, None])

    def buffer(self, elements: int) -> torch.Tensor:
        """A flat float32 buffer for :meth:`sqdist`'s ``out``."""
        return torch.empty(elements, dtype=torch.float32, device=self.device)

    def search_self(
        self, x: torch.Tensor, kk: int, tick: Tick | None = None, visit: Visit | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``search(x, x, kk)``, computing each pair's distance once.

        Row panel ``[i0, i1)`` is multiplied with all rows from ``i0`` on: the panel's rows
        take their candidates from it row-wise, the later rows column-wise. That is about half
        the products of the full square, in panels wide enough to keep the matrix unit busy.
        ``visit(d, i0)`` sees each panel's block (read-only).

        No block is sorted: each row keeps a threshold, an upper bound on its kk-th smallest
        distance (first from its distances to ``SEED_ROWS`` spread-out rows, padded by their
        rounding bound; then its own kk-th best so far). One comparison per block gathers the
        pairs at or below their row's threshold, few since a k-NN list is a tiny share of a
        row, and only those are merged into the rows' best lists (:func:`_merge_sorted`).
        """
        n = x.shape[0]
        kk = min(kk, n)
        sq = squared_norms(x)
        if n <= WHOLE_SEARCH_ROWS and n * n <= self.memory_budget // BYTES_PER_BLOCK_ELEMENT:
            d = self.sqdist(x, x, sq, sq)  # one block, sorted whole
            v, i = torch.topk(d, kk, dim=1, largest=False, sorted=True)
            if visit is not None:
                visit(d, 0)
            if tick is not None:
                tick(1.0)
            return v.cpu().numpy(), i.cpu().numpy()
        tau = self._seed_thresholds(x, sq, kk)
        best_v, best_i = _empty_topk(n, kk, x.device)
        elems = self.memory_budget // BYTES_PER_BLOCK_ELEMENT
        side = max(1, min(elems // n, max(SELF_PANEL_MIN_ROWS, -(-n // SELF_PANELS))))
        scratch = torch.empty(side * n, dtype=torch.bool, device=x.device)
        out = self.buffer(side * n)
        work = sum(min(side, n - i0) * (n - i0) for i0 in range(0, n, side))
        for i0 in range(0, n, side):
            i1 = min(i0 + side, n)
            d = self.sqdist(x[i0:i1], x[i0:], sq[i0:i1], sq[i0:], out)
            mask = scratch[: d.numel()].view(d.shape)
            torch.le(d, tau[i0:i1, None], out=mask)
            ii, jj = true_entries(mask)
            _merge_sorted(best_v, best_i, i0, ii, jj + i0, d[ii, jj])
            if i1 < n:  # the later rows, column-wise: their pairs sorted by row
                rest = d[:, i1 - i0 :]
                torch.le(rest, tau[None, i1:], out=mask[:, i1 - i0 :])
                ii, jj = true_entries(mask[:, i1 - i0 :])
                order = torch.sort(jj, stable=True).indices
                ii, jj = ii[order], jj[order]
                _merge_sorted(best_v, best_i, i1, jj, ii + i0, rest[ii, jj])
            torch.minimum(tau, best_v[:, -1], out=tau)
            if visit is not None:
                visit(d, i0)
            if tick is not None:
                tick(d.numel() / work)
            del d
        return best_v.cpu().numpy(), best_i.cpu().numpy()

    def _seed_thresholds(self, x: torch.Tensor, sq: torch.Tensor, kk: int) -> torch.Tensor:
        """Per row, an upper bound on its kk-th smallest float32 distance: the kk-th smallest
        to ``SEED_ROWS`` (at least 2 kk) evenly spread rows, plus twice its rounding bound
        (the same pair's float32 value may differ by that in another block)."""
        n = x.shape[0]
        count = min(n, max(SEED_ROWS, 2 * kk))
        seeds = torch.linspace(0, n - 1, count, device=x.device).round().long()
        tau = torch.empty(n, dtype=x.dtype, device=x.device)
        rows = block_rows(count, self.memory_budget)
        out = self.buffer(rows * count)
        for q0 in range(0, n, rows):
            d = self.sqdist(x[q0 : q0 + rows], x[seeds], sq[q0 : q0 + rows], sq[seeds], out)
            tau[q0 : q0 + rows] = torch.topk(d, kk, dim=1, largest=False).values[:, -1]
        norms = sq.double().sqrt().cpu().numpy()
        pad = torch.from_numpy(2 * rounding_bound(norms, norms.max(), x.shape[1]))
        return (tau.double() + pad.to(x.device)).to(x.dtype)

    def search(
        self, base: torch.Tensor, queries: torch.Tensor, kk: int
    ) -> tuple[np.ndarray, np.ndarray]:
        kk = min(kk, base.shape[0])
        rows, cols = block_shape(queries.shape[0], base.shape[0], self.memory_budget)
        out_v, out_i, out = [], [], self.buffer(rows * cols)
        for q0 in range(0, queries.shape[0], rows):
            best_v, best_i = _empty_topk(min(rows, queries.shape[0] - q0), kk, queries.device)
            for b0 in range(0, base.shape[0], cols):
                d = self.sqdist(queries[q0 : q0 + rows], base[b0 : b0 + cols], out=out)
                v, i = torch.topk(d, min(kk, d.shape[1]), dim=1, largest=False, sorted=True)
                best_v, best_i = _merge_topk(best_v, best_i, v, i + b0, kk)
            out_v.append(best_v.cpu())
            out_i.append(best_i.cpu())
        return torch.cat(out_v).numpy(), torch.cat(out_i).numpy()


class FaissBackend:
    """FAISS indexes: ``flat`` (exact) or ``ivf`` (approximate).

    IVF parameters: ``nlist`` (cells, default 4 sqrt(n)), ``nprobe`` (cells visited per query,
    default 32), ``seed`` (of the k-means that makes the cells).
    HNSW is not offered: the ball search (a maximum inner-product search lifted to L2) lost
    3 to 9 points of precision through it in our measurements, where IVF lost under 0.1.
    """

    INDEXES = ("flat", "ivf")
    blocks = False

    def __init__(
        self,
        index: str = "flat",
        memory_budget: int = defaults.MEMORY_BUDGET,
        nlist: int | None = None,
        nprobe: int = 32,
        seed: int = 0,
    ):
        if index not in self.INDEXES:
            raise BackendError(f"unknown FAISS index {index!r}; choose one of {self.INDEXES}")
        self.index = index
        self.exact = index == "flat"
        self.memory_budget = int(memory_budget)
        self.nlist, self.nprobe = nlist, nprobe
        self.seed = seed
        import faiss  # here, not at the top: the torch back end's users need not load it

        self.faiss = faiss
        self.use_gpu = hasattr(faiss, "get_num_gpus") and faiss.get_num_gpus() > 0
        self.name = f"faiss:{index}" + (":gpu" if self.use_gpu else "")
        self.device = torch.device("cpu")
        self._built: dict[int, tuple[np.ndarray, object]] = {}  # id -> (array, faiss index)

    def prepare(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=np.float32)

    def sqdist(
        self,
        a: np.ndarray,
        b: np.ndarray,
        a_sq: np.ndarray | None = None,
        b_sq: np.ndarray | None = None,
        out: None = None,
    ) -> np.ndarray:
        """``out`` is ignored: FAISS allocates its own."""
        return torch.from_numpy(self.faiss.pairwise_distances(np.ascontiguousarray(a), b))

    def buffer(self, elements: int) -> None:
        """No buffer: :meth:`sqdist` ignores ``out``."""
        return None

    def _build(self, base: np.ndarray):
        # Keyed by identity; the cache holds the array too, so that its id cannot be reused.
        cached = self._built.get(id(base))
        if cached is not None and cached[0] is base:
            return cached[1]
        n, d = base.shape
        if self.index == "flat":
            index = self.faiss.IndexFlatL2(d)
        else:
            nlist = self.nlist or max(1, min(int(4 * np.sqrt(n)), n // 39))
            index = self.faiss.IndexIVFFlat(self.faiss.IndexFlatL2(d), d, nlist)
            index.cp.seed = self.seed
            index.train(base)
            index.nprobe = min(self.nprobe, nlist)
        if self.use_gpu:
            index = self.faiss.index_cpu_to_all_gpus(index)
        index.add(base)
        self._built[id(base)] = (base, index)
        return index

    def search_self(
        self, x: np.ndarray, kk: int, tick: Tick | None = None, visit: Visit | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``visit`` is ignored: FAISS shows no distance blocks."""
        result = self.search(x, x, kk)
        if tick is not None:
            tick(1.0)
        return result

    def search(
        self, base: np.ndarray, queries: np.ndarray, kk: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Where an approximate index finds fewer than kk, missing entries hold index 0, +inf."""
        kk = min(kk, base.shape[0])
        index = self._build(base)
        step = max(1, self.memory_budget // (BYTES_PER_BLOCK_ELEMENT * base.shape[0]))
        out_v, out_i = [], []
        for q0 in range(0, queries.shape[0], step):
            v, i = index.search(np.ascontiguousarray(queries[q0 : q0 + step]), kk)
            out_v.append(v)
            out_i.append(i)
        vals, idx = np.concatenate(out_v), np.concatenate(out_i)
        if (idx < 0).any():
            vals = np.where(idx < 0, np.inf, vals).astype(np.float32)
            idx = np.where(idx < 0, 0, idx)
        return vals, idx


def get_backend(
    name: str = defaults.BACKEND,
    *,
    approximate: bool = False,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
    **faiss_options,
) -> Backend:
    """Build a back end by name.

    ``auto`` picks ``torch`` (on the GPU when torch sees one) for exact metrics, and FAISS's IVF
    index when ``approximate`` is set (valid with ``faiss`` or ``auto`` only).
    """
    if name not in defaults.BACKENDS:
        raise BackendError(
            f"unknown back end {name!r}; choose one of {', '.join(defaults.BACKENDS)}"
        )
    if name == "torch" and approximate:
        raise BackendError("the torch back end is exact only; use --backend faiss --approximate")
    if name == "torch" or (name == "auto" and not approximate):
        return TorchBackend(device=device, memory_budget=memory_budget)
    if device not in (None, "cpu", "cuda"):
        raise BackendError(f"the faiss back end takes device 'cpu' or 'cuda', not {device!r}")
    index = "ivf" if approximate else "flat"
    return FaissBackend(index=index, memory_budget=memory_budget, **faiss_options)
