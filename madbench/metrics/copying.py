"""Memorisation and data copying: are generated samples closer to the model's training set
than to fresh data drawn the same way?

Every metric compares feature arrays (n, d) by exact Euclidean nearest-neighbour distances
(:func:`madbench.metrics.exact.nearest_sqdist`). Conventions: ``train`` is the set the model
was trained on, ``reference`` a set drawn *exactly like it* but never trained on (for a model
trained on real data, held-out real data; in a self-consuming loop, fresh samples of the
previous generations' models mixed with held-out real rows as the protocol mixes them), and
``generated`` the model's samples. Each row of ``train`` and ``reference`` may carry a
*stratum* (its source: real data, or the generation that sampled it); within a stratum the
two sets must be exchangeable, and that is the null hypothesis of no copying. The training
set's duplicate rows count once (an accumulating loop may feed the same sample back twice).

- **Memorisation test** (the contraction-robust one; ``memorised``, ``memorised_p``). Pool the
  training and reference rows; for every generated sample find its nearest pooled row (a tie
  between a training and a reference row counts one half each). ``f`` is the fraction whose
  nearest row is a training row. Under the null, relabelling the pooled rows at random within
  each stratum leaves ``f``'s distribution unchanged, which gives its exact mean ``f0`` (0.5
  for two sets of equal size) and variance given the samples; ``memorised_p`` is the
  one-sided p-value of ``f`` above ``f0`` (normal approximation of that permutation
  distribution). ``memorised = (f - f0) / (1 - f0)`` estimates the share of samples that are
  copies (a copy's nearest row is its training row; any other sample's is a training row
  with probability ``f0``): about 0 for a model that does not copy, 1 for a memoriser, 0.5
  for a half-and-half mix. It can fall slightly below 0 by chance. A model that contracts
  toward its data's mode (sampling bias lambda < 1) moves closer to training and reference
  rows alike, so it is not flagged.
- **Authenticity** (after Alaa, van Breugel, Saveliev and van der Schaar, ICML 2022, who call a
  sample authentic when it is no copy of a training sample): ``1 - memorised``, the estimated
  share of samples that are not copies. (Alaa et al.'s own per-sample rule compares with the
  training set's nearest-neighbour radii, which a loop's contracted training sets shrink, so
  it contradicts the test above; it is not used.)
- **C_T** (Meehan, Chaudhuri and Dasgupta, "A non-parametric test to detect data-copying in
  generative models", AISTATS 2020). ``L(x)`` is the distance from ``x`` to its nearest
  training sample. The training set is cut into ``cells`` cells by k-means (seeded; fewer when
  there are fewer distinct training samples, or fewer than ``min_generated`` generated samples
  per cell on average, so that cells can count: :func:`cell_count`); in each cell ``pi`` the
  distances of the generated samples in it are compared with those of the reference samples
  in it by the Mann-Whitney U statistic (``U`` counts the pairs with ``L(generated) >
  L(reference)``, ties counting one half), Z-scored under the null hypothesis of equal
  distributions, ``Z = (U - m n / 2) / sqrt(m n (m + n + 1) / 12)``. C_T is the average of the
  cells' Z weighted by the reference samples' share of each cell, over the cells holding at
  least ``min_generated`` generated samples and one reference sample. **C_T well below 0
  (Meehan et al. flag C_T < -3) means the samples are closer to the training set than fresh
  samples are: copying *or contraction*** (a model sampled at lambda < 1 concentrates where
  the training set is dense, and its L falls without any copying). Positive: underfitting.
  Read it beside the memorisation test, which tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from madbench.errors import InputError
from madbench.metrics import exact
from madbench.metrics.neighbours import TorchBackend
from madbench.metrics.validate import as_features, check_same_dim
from madbench.types import Array

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

#: k-means cells of C_T, and the generated samples a cell needs to count (Meehan et al.).
DEFAULT_CELLS = 20
DEFAULT_MIN_GENERATED = 20
#: Meehan et al.'s threshold: C_T below it means closer than fresh data (copying or contraction).
COPYING_THRESHOLD = -3.0


@dataclass(frozen=True)
class CopyingMetrics:
    """C_T and the cells it averaged, the authentic share, the memorised share, the
    memorisation test's one-sided p-value and its null mean ``f0`` (module docstring)."""

    ct: float
    ct_cells: int
    authenticity: float
    memorised: float
    memorised_p: float
    null_fraction: float

    def as_dict(self) -> dict:
        return {
            "ct": self.ct,
            "authenticity": self.authenticity,
            "memorised": self.memorised,
            "memorised_p": self.memorised_p,
        }


def _check(train, reference, generated, train_strata, reference_strata):
    train = as_features(train, "train")
    generated = as_features(generated, "generated")
    reference = as_features(reference, "reference")
    check_same_dim(train, generated)
    check_same_dim(train, reference)
    strata = []
    for name, rows, given in (
        ("train_strata", train, train_strata),
        ("reference_strata", reference, reference_strata),
    ):
        labels = np.zeros(len(rows), dtype=np.int64) if given is None else np.asarray(given)
        if labels.shape != (len(rows),) or labels.dtype.kind not in "iu":
            raise InputError(f"{name} must hold one integer per row ({len(rows)}), got {labels!r}")
        strata.append(labels)
    return train, reference, generated, *strata


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


def training_cells(train: np.ndarray, cells: int, seed: int) -> KMeans:
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


def nearest_pooled_test(
    hits_train: np.ndarray,
    hits_reference: np.ndarray,
    train_strata: np.ndarray | None,
    reference_strata: np.ndarray | None,
) -> tuple[float, float, float]:
    """The memorisation test from the generated samples' hits: ``hits_train[j]`` is how many
    generated samples have training row j as their nearest pooled row (halves for ties), and
    ``hits_reference`` the same for reference rows. Returns ``(f, f0, p)``: the fraction of
    hits on training rows, its mean under random relabelling within strata, and the
    one-sided p-value of ``f > f0`` (normal approximation of the permutation distribution)."""
    from scipy.stats import norm

    m = hits_train.sum() + hits_reference.sum()
    hits = np.concatenate([hits_train, hits_reference])
    strata = np.concatenate([train_strata, reference_strata])
    is_train = np.r_[np.ones(len(hits_train), bool), np.zeros(len(hits_reference), bool)]
    mean = var = 0.0
    for stratum in np.unique(strata):
        inside = strata == stratum
        c, n = hits[inside], int(inside.sum())
        share = is_train[inside].mean()
        mean += share * c.sum()
        if n > 1:
            var += share * (1 - share) * n / (n - 1) * ((c - c.mean()) ** 2).sum()
    observed = hits_train.sum()
    if var == 0:
        p = 0.0 if observed > mean else 1.0
    else:
        p = float(norm.sf((observed - mean) / np.sqrt(var)))
    return float(observed / m), float(mean / m), p


def _hits(d_train, i_train, d_ref, i_ref, n_train: int, n_ref: int):
    """Per pooled row, how many generated samples have it nearest (ties: one half each)."""
    to_train = np.where(d_train < d_ref, 1.0, np.where(d_train == d_ref, 0.5, 0.0))
    hits_train = np.bincount(i_train, weights=to_train, minlength=n_train)
    hits_ref = np.bincount(i_ref, weights=1.0 - to_train, minlength=n_ref)
    return hits_train, hits_ref


def _nearest(engine, base, origin, scale, x):
    sq, idx = exact.nearest_sqdist(engine, base, exact.Prepared.make(engine, x * scale, origin))
    return np.sqrt(sq) / scale, idx


def copying_metrics(
    train: Array,
    reference: Array,
    generated: Array,
    *,
    train_strata: Array | None = None,
    reference_strata: Array | None = None,
    cells: int = DEFAULT_CELLS,
    min_generated: int = DEFAULT_MIN_GENERATED,
    seed: int = 0,
    device: str | None = None,
) -> CopyingMetrics:
    """C_T, authenticity and the memorisation test of ``generated`` (module docstring);
    ``train_strata`` / ``reference_strata``: each row's source (integers; default: one
    stratum). C_T is NaN when no cell holds ``min_generated`` generated samples and a
    reference sample; all are NaN when the training set has fewer than 2 distinct samples
    (a collapsed loop)."""
    train, reference, generated, train_strata, reference_strata = _check(
        train, reference, generated, train_strata, reference_strata
    )
    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 1:
        raise InputError(f"C_T: cells must be an integer >= 1, got {cells!r}")
    distinct, first = np.unique(train, axis=0, return_index=True)
    if len(distinct) < 2:  # a collapsed loop: nothing to measure against
        nan = float("nan")
        return CopyingMetrics(nan, 0, nan, nan, nan, nan)
    engine = TorchBackend(device=device)
    scale = exact.common_scale(distinct, reference, generated)
    origin = distinct.mean(axis=0, dtype=np.float64) * scale
    to_train = exact.Prepared.make(engine, distinct * scale, origin)
    to_ref = exact.Prepared.make(engine, reference * scale, origin)
    l_gen, i_gen = _nearest(engine, to_train, origin, scale, generated)
    l_ref, _ = _nearest(engine, to_train, origin, scale, reference)
    r_gen, j_gen = _nearest(engine, to_ref, origin, scale, generated)
    hits = _hits(l_gen, i_gen, r_gen, j_gen, len(distinct), len(reference))
    f, f0, p = nearest_pooled_test(*hits, train_strata[first], reference_strata)
    memorised = (f - f0) / (1 - f0) if f0 < 1 else float("nan")
    ct, ct_cells = _ct(distinct, reference, generated, l_ref, l_gen, cells, min_generated, seed)
    return CopyingMetrics(
        ct=ct,
        ct_cells=ct_cells,
        authenticity=1 - memorised,
        memorised=memorised,
        memorised_p=p,
        null_fraction=f0,
    )
