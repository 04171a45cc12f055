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
  (squared distances, as in Kynkaanniemi's code; dgm-eval uses plain distances instead);
- rarity(g) = min over the real balls containing g of radius_k(r) (Han et al., ICLR 2023: a
  sample in a sparse region's large ball only is rare); NaN for g outside every real ball. The
  authors' code takes the (k+1)-th neighbour and ``<``: ``rarity=True, k=k + 1, strict=True``
  gives their ``metric1`` at k.

Ball membership uses ``<=`` by default (Kynkaanniemi, StyleGAN2-ADA, torch-fidelity). With
``strict=True`` every test uses ``<``, and all four numbers equal those of the ``prdc`` package.
With duplicated points the rules differ completely: identical sets whose points each occur more
than k times give 1 under ``<=`` and 0 under ``<``.

Real comes first, fake second, in every function (torch-fidelity once had them swapped).
All results are exact (see :mod:`madbench.metrics.exact`) unless FAISS's approximate IVF
index is asked for (``approximate=True``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from tqdm import tqdm

from madbench import defaults
from madbench.errors import InputError
from madbench.metrics import exact
from madbench.metrics.neighbours import get_backend
from madbench.metrics.validate import as_features, check_k, check_same_dim
from madbench.types import Array

#: The MAD paper's neighbour count (also prdc's README and dgm-eval).
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
    backend: str  # e.g. "torch:cpu", "faiss:flat", "faiss:ivf"
    exact: bool
    n_real: int
    n_fake: int
    dim: int
    realism: np.ndarray | None = field(default=None, repr=False, compare=False)
    rarity: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: With ``per_sample=True``: which balls hold which samples (:class:`exact.BallScan`), the
    #: per-sample values the four metrics average (for callers that weigh or resample them).
    per_sample: exact.BallScan | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """Scalar fields as a plain dict (per-sample arrays are left out)."""
        out = asdict(self)
        out.pop("realism")
        out.pop("rarity")
        out.pop("per_sample")
        return out


#: The hook :func:`sharing_blocks` sets for the :func:`knn_metrics` calls inside it.
_SHARE_BLOCKS: contextvars.ContextVar = contextvars.ContextVar("share_blocks", default=None)


@contextlib.contextmanager
def sharing_blocks(share_blocks: Callable) -> Iterator[None]:
    """Within this context, :func:`knn_metrics`'s exact pass shows its distance blocks to
    ``share_blocks``, so that other sums can share its products (the one pass of
    :mod:`madbench.metrics.fused`). ``share_blocks(real, fake, scale)``, given the prepared
    sets (:class:`exact.Prepared`) and the power of two they were scaled by, may return an
    object whose ``real_block(d, i0)``, ``fake_block(d, i0)`` and ``cross_block(d, i0, j0)``
    then see every float32 squared-distance block of the pass (the self blocks as
    upper-triangle panels). Asked only of back ends that compute blocks (torch)."""
    token = _SHARE_BLOCKS.set(share_blocks)
    try:
        yield
    finally:
        _SHARE_BLOCKS.reset(token)


def knn_metrics(
    real: Array,
    fake: Array,
    *,
    k: int = defaults.K,
    backend: str = defaults.BACKEND,
    strict: bool = False,
    realism: bool = False,
    rarity: bool = False,
    approximate: bool = False,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
    progress: bool = False,
    per_sample: bool = False,
    real_kth_sqdist: np.ndarray | None = None,
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
    rarity:
        Also return the per-fake-sample rarity scores (``result.rarity``, shape ``(m,)``, in
        feature units; NaN outside every real ball; module docstring).
    approximate:
        Use FAISS's approximate IVF index instead of exact search
        (for millions of points; see README for the measured error).
    device:
        ``"cpu"`` or ``"cuda"``; default: CUDA when available.
    memory_budget:
        Bytes for one distance block and its temporaries; sets block sizes, not results.
    progress:
        Show a progress bar on stderr (in distance pairs; only when stderr is a terminal).
    per_sample:
        Also return the per-sample ball memberships (``result.per_sample``).
    real_kth_sqdist:
        The exact squared distance of each real row to its k-th nearest other real row, in
        the features' units (:func:`knn_sqradii`; stored reference statistics,
        :mod:`madbench.metrics.reference`): the real set's own neighbour search is skipped,
        and the results are the same. Exact mode only.
    """
    real = as_features(real, "real")
    fake = as_features(fake, "fake")
    check_same_dim(real, fake)
    k = check_k(k, real.shape[0], fake.shape[0])
    if (realism or rarity) and approximate:
        raise InputError(
            "realism and rarity scores are computed in exact mode only; drop --approximate"
        )
    engine = get_backend(
        backend, approximate=approximate, device=device, memory_budget=memory_budget
    )
    if real_kth_sqdist is not None and (approximate or len(real_kth_sqdist) != len(real)):
        raise InputError(
            "stored k-NN radii need exact search and one radius per real row; got "
            f"{len(real_kth_sqdist)} radii for {len(real)} rows"
            + (" with approximate search" if approximate else "")
        )
    r, g, scale = exact.prepare_pair(engine, real, fake)
    share_blocks = _SHARE_BLOCKS.get()
    shared = share_blocks(r, g, scale) if share_blocks is not None and engine.blocks else None
    visits = (shared.real_block, shared.fake_block, shared.cross_block) if shared else (None,) * 3
    with _pair_progress(r.n, g.n, progress) as tick:
        if real_kth_sqdist is None:
            real_thr = exact.kth_neighbour_sqdist(engine, r, k, tick("real"), visits[0])
        else:  # a power of two: the scaled radii are exact
            real_thr = np.asarray(real_kth_sqdist, dtype=np.float64) * scale**2
            tick("real")(1.0)
        fake_thr = exact.kth_neighbour_sqdist(engine, g, k, tick("fake"), visits[1])
        if engine.exact:
            scan = exact.ball_scan(
                engine,
                r,
                g,
                real_thr,
                fake_thr,
                strict=strict,
                realism=realism,
                tick=tick("cross"),
                visit=visits[2],
                rarity=rarity,
            )
        else:
            scan = _candidate_scan(engine, r, g, real_thr, fake_thr, k, strict=strict)
    result = _summarise(scan, k, strict, engine, real.shape, fake.shape[0], realism, per_sample)
    if not rarity:
        return result
    with np.errstate(invalid="ignore"):
        scores = np.where(np.isfinite(scan.rarity_sq), np.sqrt(scan.rarity_sq) / scale, np.nan)
    return replace(result, rarity=scores)


@contextlib.contextmanager
def _pair_progress(n: int, m: int, progress: bool):
    """A progress bar in distance pairs over the three phases (real-real, fake-fake, cross);
    yields ``tick(phase)``, which makes the callback one phase reports fractions to."""
    phases = {"real": n * (n + 1) // 2, "fake": m * (m + 1) // 2, "cross": n * m}
    with tqdm(
        total=sum(phases.values()),
        unit="pair",
        unit_scale=True,
        desc="k-NN metrics",
        disable=None if progress else True,  # None: shown on terminals only
    ) as bar:

        def tick(phase):
            done = {"fraction": 0.0, "pairs": 0}

            def update(fraction):
                done["fraction"] = min(1.0, done["fraction"] + fraction)
                pairs = round(done["fraction"] * phases[phase])
                bar.update(pairs - done["pairs"])
                done["pairs"] = pairs

            return update

        yield tick


def _summarise(scan, k, strict, engine, real_shape, n_fake, realism, per_sample) -> KnnMetrics:
    """The four metrics from the ball memberships of one scan."""
    return KnnMetrics(
        precision=float(np.mean(scan.fake_in_real_balls > 0)),
        recall=float(np.mean(scan.real_in_fake_balls)),
        density=float(scan.fake_in_real_balls.sum() / (k * n_fake)),
        coverage=float(np.mean(scan.real_covered)),
        k=k,
        rule="<" if strict else "<=",
        backend=engine.name,
        exact=engine.exact,
        n_real=real_shape[0],
        n_fake=n_fake,
        dim=real_shape[1],
        realism=scan.realism if realism else None,
        per_sample=scan if per_sample else None,
    )


def knn_sqradii(
    features: Array, *, k: int = defaults.K, backend: str = defaults.BACKEND, **options
) -> np.ndarray:
    """Squared distance (float64) from each row to its k-th nearest other row, exactly."""
    x = as_features(features, "features")
    k = check_k(k, x.shape[0], x.shape[0])
    engine = get_backend(backend, **options)
    scale = exact.common_scale(x)
    x = x * scale if scale != 1.0 else x
    prepared = exact.Prepared.make(engine, x, x.mean(axis=0, dtype=np.float64))
    return exact.kth_neighbour_sqdist(engine, prepared, k) / scale**2  # exact: a power of 2


def knn_radii(
    features: Array, *, k: int = defaults.K, backend: str = defaults.BACKEND, **options
) -> np.ndarray:
    """Distance (not squared) from each row to its k-th nearest other row, exactly."""
    return np.sqrt(knn_sqradii(features, k=k, backend=backend, **options))


def _candidate_scan(engine, real, fake, real_thr, fake_thr, k, *, strict):
    """Approximate ball membership through a FAISS approximate (IVF) index.

    Which balls contain a point q? Ball B(c, r_c) contains q iff
    ``r_c^2 - ||q - c||^2 = <(q, 1), (2c, r_c^2 - ||c||^2)> - ||q||^2 >= 0``, so ranking balls
    by the inner product ranks them by how deeply they hold q. That maximum inner-product search
    is turned into a nearest-neighbour search by one more coordinate (each augmented centre b
    gets ``sqrt(M^2 - ||b||^2)``, the query 0; Bachrach et al. 2014), which every index does
    well. Each point takes its top balls, ``2k`` first and four times more while the last one
    still holds it, and decides each candidate exactly. Coverage uses each real point's
    nearest fake. The error is what the index misses.
    """
    inside = np.less if strict else np.less_equal
    fake_in_real_balls = _balls_containing(engine, real, real_thr, fake, k, inside, count=True)
    real_in_fake_balls = _balls_containing(engine, fake, fake_thr, real, k, inside, count=False)
    real_covered = np.empty(real.n, dtype=bool)
    for q0 in range(0, real.n, APPROX_QUERY_CHUNK):
        _, idx = engine.search(fake.bulk, real.bulk[q0 : q0 + APPROX_QUERY_CHUNK], 1)
        rows = np.arange(q0, q0 + idx.shape[0])
        nearest = exact.exact_sqdist(real.original, fake.original, rows, idx[:, 0])
        real_covered[rows] = inside(nearest, real_thr[rows])
    return exact.BallScan(fake_in_real_balls, real_covered, real_in_fake_balls, realism=None)


def _balls_containing(engine, centres, thr, queries, k, inside, *, count):
    """Per query: how many balls B(centre, sqrt(thr)) contain it (``count``), or whether any."""
    # Augmented centres (2c, r^2 - ||c||^2), lifted onto one sphere for the L2 search.
    b = np.hstack([2.0 * centres.bulk, (thr - centres.norms**2)[:, None]])
    lift = np.sqrt(np.max((b * b).sum(axis=1)) - (b * b).sum(axis=1)).clip(min=0.0)
    balls = np.hstack([b, lift[:, None]]).astype(np.float32)
    ones, zeros = np.ones((queries.n, 1)), np.zeros((queries.n, 1))
    points = np.hstack([queries.bulk, ones, zeros]).astype(np.float32)
    result = np.zeros(queries.n, dtype=np.int64)
    for q0 in range(0, queries.n, APPROX_QUERY_CHUNK):
        todo = np.arange(q0, min(q0 + APPROX_QUERY_CHUNK, queries.n))
        kk = 2 * k
        while todo.size:
            dist, idx = engine.search(balls, points[todo], kk)
            pairs = exact.exact_sqdist(
                queries.original, centres.original, np.repeat(todo, idx.shape[1]), idx.ravel()
            )
            found = inside(pairs, thr[idx.ravel()]).reshape(idx.shape) & np.isfinite(dist)
            result[todo] = found.sum(axis=1) if count else found.any(axis=1)
            # Still inside the last ball offered: deeper lists may hold more balls.
            more = found[:, -1] if count else np.zeros(todo.size, dtype=bool)
            todo = todo[more] if kk < centres.n else todo[:0]
            kk = min(centres.n, 4 * kk)
    return result if count else result.astype(bool)
