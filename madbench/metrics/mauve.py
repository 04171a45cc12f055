"""MAUVE (Pillutla et al., NeurIPS 2021; JMLR 2023): how close a model's distribution is to the
real one, from the divergence frontier of the two quantised on shared clusters of features.

Steps, with the defaults of the authors' package ``mauve-text``:

1. the rows of both feature sets are scaled to unit L2 norm, stacked, and projected by PCA onto
   the fewest components that explain ``explained_variance`` (0.9) of their variance;
2. k-means (faiss's, ``kmeans_restarts`` seeded restarts, the best kept) puts them into
   ``k = max(2, round(min(n_real, n_generated) / 10))`` clusters; P and Q are the real and the
   generated set's histograms over those clusters;
3. for mixture weights w on a grid of ``points`` (25) in (0, 1), R_w = w P + (1 - w) Q and the
   frontier's point is (exp(-c KL(Q || R_w)), exp(-c KL(P || R_w))), c = ``scale`` (5); with its
   ends (1, 0) and (0, 1) the points form a monotone polyline;
4. MAUVE is the area under that polyline (between 0 and 1; 1 for P = Q, near 0 for disjoint
   P and Q).

A smaller c spreads the scores of poor models apart and bunches good ones; MAUVE is for
comparing models scored with the same features, k and c, never an absolute number.
"""

from __future__ import annotations

import numpy as np

from madbench.errors import InputError
from madbench.metrics.validate import as_features
from madbench.types import Array


def _kl(p: np.ndarray, r: np.ndarray) -> float:
    """KL(p || r) in nats, where r > 0 wherever p > 0."""
    nonzero = p > 0
    return float(np.sum(p[nonzero] * np.log(p[nonzero] / r[nonzero])))


def frontier(p: Array, q: Array, *, points: int = 25, scale: float = 5.0) -> np.ndarray:
    """The divergence frontier of histograms ``p`` (real) and ``q`` (generated): an array
    (points + 2, 2) of (exp(-c KL(q || R_w)), exp(-c KL(p || R_w))) in order of w from 0 to 1,
    its ends (1, 0) and (0, 1) included."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 1 or (p < 0).any() or (q < 0).any():
        raise InputError("mauve: p and q must be non-negative histograms of the same length")
    if p.sum() <= 0 or q.sum() <= 0:
        raise InputError("mauve: a histogram is empty")
    p, q = p / p.sum(), q / q.sum()
    weights = np.linspace(1e-6, 1 - 1e-6, points)
    inner = [(_kl(q, w * p + (1 - w) * q), _kl(p, w * p + (1 - w) * q)) for w in weights]
    return np.vstack([[1.0, 0.0], np.exp(-scale * np.array(inner)), [0.0, 1.0]])


def area(curve: np.ndarray) -> float:
    """The area under a frontier (:func:`frontier`): the polygon it closes with the axes."""
    x, y = curve[:, 0], curve[:, 1]
    return float(np.sum((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2))


def histograms(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    clusters: int | None = None,
    explained_variance: float = 0.9,
    kmeans_restarts: int = 5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1 and 2 of the module docstring: the two sets' counts over shared k-means
    clusters (``clusters``: k, by default a tenth of the smaller set)."""
    import faiss

    k = clusters or max(2, round(min(len(real), len(generated)) / 10))
    both = np.vstack([real, generated]).astype(np.float64)
    norms = np.linalg.norm(both, axis=1, keepdims=True)
    both = both / np.where(norms > 0, norms, 1.0)
    centred = both - both.mean(axis=0)
    _, sing, vt = np.linalg.svd(centred, full_matrices=False)
    share = np.cumsum(sing**2) / max(np.sum(sing**2), np.finfo(float).tiny)
    keep = int(np.searchsorted(share, explained_variance) + 1)
    projected = centred @ vt[:keep].T
    if len(np.unique(projected, axis=0)) < k:
        raise InputError(
            f"mauve: {k} clusters need at least as many distinct feature rows; pass fewer"
        )
    points = np.ascontiguousarray(projected, dtype=np.float32)  # faiss works in float32
    kmeans = faiss.Kmeans(
        points.shape[1], k, niter=500, nredo=kmeans_restarts, seed=seed % 2**31,
        min_points_per_centroid=1,  # no warning for small sets; the clustering is the same
    )  # fmt: skip
    kmeans.verbose = False
    kmeans.train(points)
    labels = kmeans.index.search(points, 1)[1].ravel()
    count = np.bincount(labels, minlength=k).astype(np.float64)
    real_counts = np.bincount(labels[: len(real)], minlength=k).astype(np.float64)
    return real_counts, count - real_counts


def mauve(
    real: Array,
    generated: Array,
    *,
    clusters: int | None = None,
    scale: float = 5.0,
    explained_variance: float = 0.9,
    kmeans_restarts: int = 5,
    seed: int = 0,
) -> float:
    """MAUVE of ``generated`` features against ``real`` ones (module docstring), seeded."""
    real = as_features(real, "real")
    generated = as_features(generated, "generated")
    if real.shape[1] != generated.shape[1]:
        raise InputError(
            f"mauve: real features have {real.shape[1]} columns, generated {generated.shape[1]}"
        )
    if min(len(real), len(generated)) < 2:
        raise InputError("mauve: needs at least 2 samples in each set")
    if not 0 < explained_variance <= 1 or scale <= 0:
        raise InputError("mauve: explained_variance must be in (0, 1] and scale above 0")
    p, q = histograms(
        real,
        generated,
        clusters=clusters,
        explained_variance=explained_variance,
        kmeans_restarts=kmeans_restarts,
        seed=seed,
    )
    return area(frontier(p, q, scale=scale))
