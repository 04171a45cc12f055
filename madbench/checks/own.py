"""madbench's own metrics in the signatures of :mod:`madbench.checks.battery`, so that
``madbench check-metric madbench --metric NAME`` runs the battery on them."""

from __future__ import annotations

import numpy as np


def _knn(real: np.ndarray, fake: np.ndarray, k: int, metric: str) -> float:
    from madbench.metrics.knn import knn_metrics

    return float(getattr(knn_metrics(real, fake, k=k), metric))


def precision(real: np.ndarray, fake: np.ndarray, *, k: int) -> float:
    return _knn(real, fake, k, "precision")


def recall(real: np.ndarray, fake: np.ndarray, *, k: int) -> float:
    return _knn(real, fake, k, "recall")


def density(real: np.ndarray, fake: np.ndarray, *, k: int) -> float:
    return _knn(real, fake, k, "density")


def coverage(real: np.ndarray, fake: np.ndarray, *, k: int) -> float:
    return _knn(real, fake, k, "coverage")


def fid(real: np.ndarray, fake: np.ndarray) -> float:
    from madbench.metrics.frechet import fid_from_features

    return float(fid_from_features(real, fake))


def kid(
    real: np.ndarray, fake: np.ndarray, *, subset_size: int, n_subsets: int, seed: int
) -> float:
    from madbench.metrics.kid import kid as kid_of

    return float(kid_of(real, fake, n_subsets=n_subsets, subset_size=subset_size, seed=seed).mean)


def cmmd(real: np.ndarray, fake: np.ndarray) -> float:
    from madbench.metrics.cmmd import cmmd as cmmd_of

    return float(cmmd_of(real, fake))
