"""k-NN precision, recall, density, coverage and realism, from (real, fake) feature arrays.

Definitions (Kynkaanniemi et al. 2019; Naeem et al. 2020), with R the real features (n x d),
G the generated ("fake") features (m x d) and radius_k(x, S) the distance from x to its k-th
nearest neighbour in S, the point itself excluded:

- precision = fraction of g in G inside some real ball:  ||g - r|| <= radius_k(r, R);
- recall    = fraction of r in R inside some fake ball:  ||r - g|| <= radius_k(g, G);
- density   = (1 / (k m)) * sum over g of the number of real balls containing g (may exceed 1);
- coverage  = fraction of real balls that contain at least one g
  (equivalently: whose nearest g lies inside);
- realism(g) = max over real balls with radius below the median of radius_k(r)^2 / ||g - r||^2
  (squared distances, as in Kynkaanniemi's code; dgm-eval uses plain distances instead).

Ball membership uses ``<=`` by default (Kynkaanniemi, StyleGAN2-ADA, torch-fidelity). With
``strict=True`` every test uses ``<``, and all four numbers equal those of the ``prdc`` package.
With duplicated points the rules differ completely: identical sets whose points each occur more
than k times give 1 under ``<=`` and 0 under ``<``.

Real comes first, fake second, in every function (torch-fidelity once had them swapped).
All results are exact (see :mod:`madbench.metrics.exact`) unless an approximate FAISS index is
asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from madbench.errors import InputError
from madbench.metrics import exact
from madbench.metrics.neighbours import DEFAULT_MEMORY_BUDGET, get_backend
from madbench.metrics.validate import as_features, check_k, check_same_dim

#: The MAD paper's neighbour count (also prdc's README and dgm-eval).
DEFAULT_K = 5
#: Candidates per point examined by the approximate (FAISS ivf/hnsw) mode, in multiples of k.
APPROX_CANDIDATES_PER_K = 16
#: Queries searched at once by the approximate mode (bounds its memory).
APPROX_QUERY_CHUNK = 65_536


@dataclass(frozen=True)
class KnnMetrics:
    """k-NN metrics of one (real, fake) pair of feature sets, with how they were computed."""

    precision: float
    recall: float
    density: float
    coverage: float
    k: int
    rule: str  # "<=" (default) or "<" (strict, prdc's rule)
    backend: str  # e.g. "torch:cpu", "faiss:flat", "faiss:hnsw"
    exact: bool
    n_real: int
    n_fake: int
    dim: int
    realism: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """Scalar fields as a plain dict (the per-sample realism scores are left out)."""
        out = asdict(self)
        out.pop("realism")
        return out


def knn_metrics(
    real,
    fake,
    *,
    k: int = DEFAULT_K,
    backend: str = "auto",
    strict: bool = False,
    realism: bool = False,
    approximate: str | None = None,
    device: str | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> KnnMetrics:
    """Precision, recall, density and coverage of ``fake`` against ``real``, in one pass.

    Parameters
    ----------
    real, fake:
        Feature arrays ``(n_samples, n_features)``, real first. Rows are samples.
    k:
        Neighbour count of the balls (default 5, as in the MAD paper).
    backend:
        ``"torch"``, ``"faiss"`` or ``"auto"`` (torch, on the GPU if torch sees one; FAISS when
        ``approximate`` is set).
    strict:
        Use ``<`` instead of ``<=`` for ball membership (reproduces ``prdc`` exactly).
    realism:
        Also return the per-fake-sample realism scores (``result.realism``, shape ``(m,)``).
    approximate:
        ``None`` for exact results, or ``"ivf"`` / ``"hnsw"`` for FAISS approximate search
        (for millions of points; see README for the measured error).
    device:
        ``"cpu"`` or ``"cuda"``; default: CUDA when available.
    memory_budget:
        Bytes for one distance block and its temporaries; sets block sizes, not results.
    """
    real = as_features(real, "real")
    fake = as_features(fake, "fake")
    check_same_dim(real, fake)
    k = check_k(k, real.shape[0], fake.shape[0])
    if realism and approximate is not None:
        raise InputError("realism scores are computed in exact mode only; drop --approximate")
    engine = get_backend(
        backend, approximate=approximate, device=device, memory_budget=memory_budget
    )
    # Centre both sets on the real mean: distances do not change, float32 rounding shrinks.
    origin = real.mean(axis=0, dtype=np.float64)
    r = exact.Prepared.make(engine, real, origin)
    g = exact.Prepared.make(engine, fake, origin)
    real_thr = exact.kth_neighbour_sqdist(engine, r, k)
    fake_thr = exact.kth_neighbour_sqdist(engine, g, k)
    if engine.exact:
        scan = exact.ball_scan(engine, r, g, real_thr, fake_thr, strict=strict, realism=realism)
    else:
        scan = _candidate_scan(engine, r, g, real_thr, fake_thr, k, strict=strict)
    return KnnMetrics(
        precision=float(np.mean(scan.fake_in_real_balls > 0)),
        recall=float(np.mean(scan.real_in_fake_balls)),
        density=float(scan.fake_in_real_balls.sum() / (k * fake.shape[0])),
        coverage=float(np.mean(scan.real_covered)),
        k=k,
        rule="<" if strict else "<=",
        backend=engine.name,
        exact=engine.exact,
        n_real=real.shape[0],
        n_fake=fake.shape[0],
        dim=real.shape[1],
        realism=scan.realism if realism else None,
    )


def knn_radii(features, *, k: int = DEFAULT_K, backend: str = "auto", **options) -> np.ndarray:
    """Distance (not squared) from each row to its k-th nearest other row, exactly."""
    x = as_features(features, "features")
    k = check_k(k, x.shape[0], x.shape[0])
    engine = get_backend(backend, **options)
    prepared = exact.Prepared.make(engine, x, x.mean(axis=0, dtype=np.float64))
    return np.sqrt(exact.kth_neighbour_sqdist(engine, prepared, k))


def _candidate_scan(engine, real, fake, real_thr, fake_thr, k, *, strict):
    """Approximate ball membership: each point looks only at its nearest candidates.

    A fake sample is tested against the real balls of its ``16k`` approximate nearest reals; a
    real sample against the fake balls of its ``16k`` nearest fakes, and its coverage against
    its nearest fake. Misses of the index and balls beyond the candidates are the error.
    Queries go in chunks of ``APPROX_QUERY_CHUNK`` to bound memory.
    """
    kk = APPROX_CANDIDATES_PER_K * k
    inside = np.less if strict else np.less_equal

    def candidates(base: exact.Prepared, queries: exact.Prepared, q0: int):
        """Exact squared distances to the approximate neighbours of queries q0..; inf if none."""
        vals, idx = engine.search(base.bulk, queries.bulk[q0 : q0 + APPROX_QUERY_CHUNK], kk)
        rows = np.repeat(np.arange(q0, q0 + idx.shape[0]), idx.shape[1])
        ex = exact.exact_sqdist(queries.original, base.original, rows, idx.ravel())
        ex = np.where(np.isfinite(vals), ex.reshape(idx.shape), np.inf)
        return ex, idx

    fake_in_real_balls = np.empty(fake.n, dtype=np.int64)
    for q0 in range(0, fake.n, APPROX_QUERY_CHUNK):
        ex, idx = candidates(real, fake, q0)  # reals near each fake
        fake_in_real_balls[q0 : q0 + len(idx)] = inside(ex, real_thr[idx]).sum(axis=1)
    real_covered = np.empty(real.n, dtype=bool)
    real_in_fake_balls = np.empty(real.n, dtype=bool)
    for q0 in range(0, real.n, APPROX_QUERY_CHUNK):
        ex, idx = candidates(fake, real, q0)  # fakes near each real
        real_covered[q0 : q0 + len(idx)] = inside(ex.min(axis=1), real_thr[q0 : q0 + len(idx)])
        real_in_fake_balls[q0 : q0 + len(idx)] = inside(ex, fake_thr[idx]).any(axis=1)
    return exact.BallScan(fake_in_real_balls, real_covered, real_in_fake_balls, realism=None)
