"""The metrics of many row subsets of one (real, fake) pair, from matrices formed once.

Half-sampling intervals (:mod:`madbench.metrics.intervals`) recompute the metrics on hundreds
of subsets of the two sets. :class:`SubsetMetrics` forms the squared distances within and
between the sets once, in float64; a subset's precision, recall, density and coverage (k-NN
radii from its own rows, the ``<=`` rule or ``<``) are then read off the sub-matrices, and its
FID is fitted to its rows (:func:`~madbench.metrics.frechet.fid_from_features`). On the full
sets the values are the metrics' definitions: the k-NN metrics equal
:func:`madbench.metrics.knn.knn_metrics` (up to float64 ties at a radius) and FID
:func:`~madbench.metrics.frechet.fid_from_features` (``tests/test_intervals.py``). (KID's
interval needs no resampling: :func:`madbench.metrics.kid.kid_variance`.) The three n x n
matrices are formed for sets of up to :data:`MAX_ROWS` rows (96 MiB of float64 at most);
larger sets recompute each subset's k-NN metrics with
:func:`~madbench.metrics.knn.knn_metrics` (memory-bounded, exact), at the cost of a full
metric computation per subset.
"""

from __future__ import annotations

import numpy as np

from madbench.metrics.frechet import fid_from_features
from madbench.metrics.knn import knn_metrics

#: The most rows per set whose matrices are formed (3 matrices of MAX_ROWS^2 float64).
MAX_ROWS = 2048
PRDC = ("precision", "recall", "density", "coverage")


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(out, 0.0, out=out)


def within_sqdist(x: np.ndarray) -> np.ndarray:
    """The float64 squared distances between the rows of ``x`` (n x n, diagonal 0)."""
    square = _squared_distances(x, x)
    np.fill_diagonal(square, 0.0)
    return square


def _kth_radius(within: np.ndarray, k: int) -> np.ndarray:
    """Each row's squared distance to its k-th nearest other row (itself at 0 comes first)."""
    return np.partition(within, k, axis=1)[:, k]


class SubsetMetrics:
    """``self(rows_real, rows_fake, keys)``: the metrics named in ``keys`` (any of
    :data:`PRDC` and ``fid``) of the subsets ``real[rows_real]``, ``fake[rows_fake]``. ``k``
    and ``strict`` as the k-NN metrics take them; ``real_sqdist``: the real rows'
    :func:`within_sqdist`, where already made
    (:meth:`madbench.metrics.reference.RealStatistics.within_sqdist`); ``knn_options``
    (backend, device, memory_budget) go to :func:`~madbench.metrics.knn.knn_metrics` for sets
    too large for the matrices."""

    def __init__(
        self,
        real,
        fake,
        *,
        k: int,
        strict: bool = False,
        real_sqdist: np.ndarray | None = None,
        **knn_options,
    ):
        self.real, self.fake = (np.asarray(x, dtype=np.float64) for x in (real, fake))
        self.k, self.strict, self.knn_options = k, strict, knn_options
        self.inside = np.less if strict else np.less_equal
        self.dense = max(len(self.real), len(self.fake)) <= MAX_ROWS
        if self.dense:
            r, f = self.real, self.fake
            self.d_rr = within_sqdist(r) if real_sqdist is None else real_sqdist
            self.d_ff, self.d_rf = within_sqdist(f), _squared_distances(r, f)

    @property
    def sizes(self) -> tuple[int, int]:
        return len(self.real), len(self.fake)

    def __call__(self, rows_real=None, rows_fake=None, keys=(*PRDC, "fid")) -> dict:
        rr = np.arange(len(self.real)) if rows_real is None else np.asarray(rows_real)
        rf = np.arange(len(self.fake)) if rows_fake is None else np.asarray(rows_fake)
        out = {}
        if set(keys) & set(PRDC):
            out.update(self._prdc(rr, rf))
        if "fid" in keys:
            out["fid"] = fid_from_features(self.real[rr], self.fake[rf])
        return {key: value for key, value in out.items() if key in keys}

    def in_real_balls(self, rows_real: np.ndarray) -> np.ndarray:
        """Whether each generated sample (all of them) lies in a k-NN ball of the real subset
        ``real[rows_real]`` (radii from those rows): the indicators precision averages."""
        rr = np.asarray(rows_real)
        if not self.dense:
            found = knn_metrics(
                self.real[rr],
                self.fake,
                k=self.k,
                strict=self.strict,
                per_sample=True,
                **self.knn_options,
            )
            return found.per_sample.fake_in_real_balls > 0
        radius_r = _kth_radius(self.d_rr[np.ix_(rr, rr)], self.k)
        return self.inside(self.d_rf[rr], radius_r[:, None]).any(axis=0)

    def _prdc(self, rr: np.ndarray, rf: np.ndarray) -> dict:
        k, inside = self.k, self.inside
        if not self.dense:
            found = knn_metrics(
                self.real[rr], self.fake[rf], k=k, strict=self.strict, **self.knn_options
            )
            return {key: getattr(found, key) for key in PRDC}
        d_rf = self.d_rf[np.ix_(rr, rf)]
        radius_r = _kth_radius(self.d_rr[np.ix_(rr, rr)], k)
        radius_f = _kth_radius(self.d_ff[np.ix_(rf, rf)], k)
        in_real_ball = inside(d_rf, radius_r[:, None])
        return {
            "precision": float(in_real_ball.any(axis=0).mean()),
            "recall": float(inside(d_rf, radius_f[None, :]).any(axis=1).mean()),
            "density": float(in_real_ball.sum() / (k * len(rf))),
            "coverage": float(inside(d_rf.min(axis=1), radius_r).mean()),
        }
