"""Memorisation and data copying: how close generated samples sit to the model's training set.

All three metrics compare feature arrays (n, d) by Euclidean distance, computed exactly
(:func:`madbench.metrics.exact.nearest_sqdist`). Conventions: ``train`` is the set the model
was trained on, ``test`` a held-out sample of the same distribution it never saw, and
``generated`` the model's samples; the training set's duplicate rows count once (an
accumulating loop may feed the same sample back twice, and a zero distance between copies
says nothing about the model).

- **C_T** (Meehan, Chaudhuri and Dasgupta, "A non-parametric test to detect data-copying in
  generative models", AISTATS 2020). ``L(x)`` is the distance from ``x`` to its nearest
  training sample. The training set is cut into ``cells`` cells by k-means (seeded; fewer when
  there are fewer distinct training samples, or fewer than ``min_generated`` generated samples
  per cell on average, so that cells can count: :func:`cell_count`); in each
  cell ``pi`` the distances of the generated samples in it are compared with those of the test
  samples in it by the Mann-Whitney U statistic (``U`` counts the pairs with
  ``L(generated) > L(test)``, ties counting one half), Z-scored under the null hypothesis of
  equal distributions, ``Z = (U - m n / 2) / sqrt(m n (m + n + 1) / 12)``. C_T is the average
  of the cells' Z weighted by the test samples' share of each cell, over the cells holding at
  least ``min_generated`` generated samples and one test sample. A model that neither copies nor
  underfits gives C_T near 0; **C_T well below 0 (Meehan et al. flag C_T < -3) means the
  samples are closer to the training set than fresh data is: data copying.** Positive values
  mean underfitting.
- **Authenticity** (Alaa, van Breugel, Saveliev and van der Schaar, "How faithful is your
  synthetic data?", ICML 2022): a generated sample is *authentic* when it is farther from its
  nearest training sample ``x*`` than ``x*`` is from its own nearest other training sample.
  The metric is the authentic fraction; copies of training samples score 0.
- **Memorisation rate**: the fraction of generated samples closer to the training set than
  the ``quantile`` (default 1 %) of the held-out samples' distances to it. A fresh sample of the
  data's distribution is as close as a held-out one, so it falls below with probability
  ``quantile``, the rate's noise floor; a model that returns its training samples plus small
  noise approaches 1. (The training set's own nearest-neighbour distances are not a safe
  reference: in a loop, a training set of near-copies has tiny ones, and copies of it then pass.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from madbench.errors import InputError
from madbench.metrics import exact
from madbench.metrics.neighbours import TorchBackend
from madbench.metrics.validate import as_features, check_same_dim

#: k-means cells of C_T, and the generated samples a cell needs to count (Meehan et al.).
DEFAULT_CELLS = 20
DEFAULT_MIN_GENERATED = 20
#: Meehan et al.'s threshold: C_T below it flags data copying.
COPYING_THRESHOLD = -3.0
#: Quantile of the held-out samples' distances to the training set below which a generated
#: sample counts as memorised.
DEFAULT_QUANTILE = 0.01


@dataclass(frozen=True)
class CopyingMetrics:
    """C_T and the cells it averaged, the authentic fraction, the memorised fraction and its
    distance threshold (in feature units)."""

    ct: float
    ct_cells: int
    authenticity: float
    memorised: float
    memorised_threshold: float

    def as_dict(self) -> dict:
        return {
            "ct": self.ct,
            "authenticity": self.authenticity,
            "memorised": self.memorised,
        }


class _Distances:
    """The distances the three metrics share: the distinct training rows (``train``), each of
    them to its nearest other one (``train_radius``), and each row of every other set to its
    nearest training row (``nearest``: distances and indices into ``train``)."""

    def __init__(self, distinct_train: np.ndarray, *others: np.ndarray, device=None):
        engine = TorchBackend(device=device)
        self.train = distinct_train
        scale = exact.common_scale(self.train, *others)
        origin = self.train.mean(axis=0, dtype=np.float64) * scale
        base = exact.Prepared.make(engine, self.train * scale, origin)
        self.train_radius = np.sqrt(exact.kth_neighbour_sqdist(engine, base, 1)) / scale
        self.nearest = []
        for x in others:
            queries = exact.Prepared.make(engine, x * scale, origin)
            sq, idx = exact.nearest_sqdist(engine, base, queries)
            self.nearest.append((np.sqrt(sq) / scale, idx))


def _check(train, generated, test=None):
    train = as_features(train, "train")
    generated = as_features(generated, "generated")
    check_same_dim(train, generated)
    if test is not None:
        test = as_features(test, "test")
        check_same_dim(train, test)
    return train, generated, test


def mann_whitney_z(generated: np.ndarray, test: np.ndarray) -> float:
    """Z-scored Mann-Whitney U of ``generated`` against ``test`` (U counts the pairs with
    generated > test, ties one half; no tie correction of the variance, as Meehan et al.)."""
    m, n = len(generated), len(test)
    from scipy.stats import rankdata

    pooled = np.concatenate([generated, test])
    u = rankdata(pooled)[:m].sum() - m * (m + 1) / 2
    return float((u - m * n / 2) / np.sqrt(m * n * (m + n + 1) / 12))


def cell_count(cells: int, n_generated: int, min_generated: int) -> int:
    """C_T's number of cells: ``cells``, but no more than one per ``min_generated`` generated
    samples (at least 1), so that the average cell holds enough of them to count."""
    return max(1, min(cells, n_generated // min_generated))


def training_cells(train: np.ndarray, cells: int, seed: int):
    """C_T's partition: k-means with ``cells`` centres (at most one per distinct training
    sample) fitted to the distinct training samples ``train`` (seeded)."""
    from sklearn.cluster import KMeans

    cells = min(cells, len(train))
    return KMeans(n_clusters=cells, n_init=3, random_state=seed).fit(train.astype(np.float64))


def _ct(train, test, generated, l_test, l_gen, cells: int, min_generated: int, seed: int):
    cells = cell_count(cells, len(generated), min_generated)
    kmeans = training_cells(train, cells, seed)
    cell_test = kmeans.predict(test.astype(np.float64))
    cell_gen = kmeans.predict(generated.astype(np.float64))
    weights, scores = [], []
    for cell in range(cells):
        in_test, in_gen = l_test[cell_test == cell], l_gen[cell_gen == cell]
        if len(in_gen) >= min_generated and len(in_test) >= 1:
            weights.append(len(in_test))
            scores.append(mann_whitney_z(in_gen, in_test))
    if not weights:
        return float("nan"), 0
    return float(np.average(scores, weights=weights)), len(weights)


def copying_metrics(
    train,
    test,
    generated,
    *,
    cells: int = DEFAULT_CELLS,
    min_generated: int = DEFAULT_MIN_GENERATED,
    quantile: float = DEFAULT_QUANTILE,
    seed: int = 0,
    device: str | None = None,
) -> CopyingMetrics:
    """C_T, authenticity and the memorisation rate of ``generated`` (see the module docstring);
    the nearest-neighbour distances are computed once for all three. C_T is NaN when no cell
    holds ``min_generated`` generated samples and a test sample (fewer than ``min_generated``
    generated samples in all); all three are NaN when the
    training set has fewer than 2 distinct samples (a collapsed loop)."""
    train, generated, test = _check(train, generated, test)
    if not 0 < quantile < 1:
        raise InputError(f"quantile must lie in (0, 1), got {quantile}")
    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 1:
        raise InputError(f"C_T: cells must be an integer >= 1, got {cells!r}")
    distinct = np.unique(train, axis=0)
    if len(distinct) < 2:  # a collapsed loop: nothing to measure against
        nan = float("nan")
        return CopyingMetrics(nan, 0, nan, nan, nan)
    dist = _Distances(distinct, test, generated, device=device)
    (l_test, _), (l_gen, nearest) = dist.nearest
    ct, ct_cells = _ct(dist.train, test, generated, l_test, l_gen, cells, min_generated, seed)
    threshold = float(np.quantile(l_test, quantile))
    return CopyingMetrics(
        ct=ct,
        ct_cells=ct_cells,
        authenticity=float(np.mean(l_gen > dist.train_radius[nearest])),
        memorised=float(np.mean(l_gen < threshold)),
        memorised_threshold=threshold,
    )
