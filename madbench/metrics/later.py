"""The metrics that came after the first five, computed together: the rarity score's mean
(:mod:`madbench.metrics.knn`), precision and recall cover (:mod:`madbench.metrics.cover`),
probabilistic precision and recall (:mod:`madbench.metrics.probabilistic`), clipped density
and coverage (:mod:`madbench.metrics.clipped`), the RKE score (:mod:`madbench.metrics.rke`)
and CMMD (:mod:`madbench.metrics.cmmd`).

Their keys and settings cells:

- ``rarity``: the mean rarity score of the generated samples inside some real ball (feature
  units; NaN when none is), at the settings' k and rule;
- ``precision_cover``, ``recall_cover`` with ``cover_k`` and ``cover_c`` (the authors' k = 3,
  c = 3), at the settings' rule;
- ``p_precision``, ``p_recall`` with ``ppr_k`` and ``ppr_a`` (the authors' k = 4, a = 1.2);
- ``clipped_density``, ``clipped_coverage`` at the settings' k and rule;
- ``rke`` of the generated set, with ``rke_bandwidth``: the median distance of a real sample
  to its k-th nearest other real sample (the settings' k), in feature units;
- ``cmmd`` with the authors' sigma = 10 and scale = 1000 (CMMD proper on CLIP features).

Every one is exact whatever ``approximate`` says: none has an approximate mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from madbench.errors import InputError
from madbench.metrics.knn import KnnMetrics, knn_sqradii
from madbench.metrics.settings import MetricSettings

if TYPE_CHECKING:
    from madbench.metrics.reference import RealStatistics


def mean_rarity(knn: KnnMetrics) -> float:
    """The mean rarity score of the samples inside some real ball (NaN when none is)."""
    held = knn.rarity[np.isfinite(knn.rarity)]
    return float(held.mean()) if held.size else float("nan")


def later_metrics(
    real: np.ndarray,
    fake: np.ndarray,
    wanted: tuple[str, ...],
    settings: MetricSettings,
    knn: KnnMetrics | None = None,
    real_stats: RealStatistics | None = None,
) -> dict:
    """The values and settings cells (module docstring) of the later metrics ``wanted``
    names; ``knn``, a :func:`~madbench.metrics.knn.knn_metrics` result with rarity scores,
    gives the rarity mean; ``real_stats`` (:mod:`madbench.metrics.reference`), RKE's
    bandwidth."""
    search = settings.search_options()
    out: dict = {}
    if "rarity" in wanted and knn is not None:
        out["rarity"] = mean_rarity(knn)
    if "cover" in wanted:
        from madbench.metrics.cover import precision_recall_cover

        cover = precision_recall_cover(real, fake, strict=settings.strict, **search)
        out.update(precision_cover=cover.precision_cover, recall_cover=cover.recall_cover)
        out.update(cover_k=cover.k, cover_c=cover.c)
    if "probabilistic" in wanted:
        from madbench.metrics.probabilistic import probabilistic_precision_recall

        found = probabilistic_precision_recall(real, fake, **search)
        out.update(p_precision=found.p_precision, p_recall=found.p_recall)
        out.update(ppr_k=found.k, ppr_a=found.a)
    if "clipped" in wanted:
        from madbench.metrics.clipped import clipped_density_coverage

        clipped = clipped_density_coverage(
            real, fake, k=settings.k, strict=settings.strict, **search
        )
        out.update(
            clipped_density=clipped.clipped_density, clipped_coverage=clipped.clipped_coverage
        )
    if "rke" in wanted:
        from madbench.metrics.rke import rke_score

        bandwidth = rke_bandwidth(real, settings, real_stats)
        out["rke"] = rke_score(
            fake, bandwidth=bandwidth, device=settings.device, memory_budget=settings.memory_budget
        )
        out["rke_bandwidth"] = bandwidth
    if "cmmd" in wanted:
        from madbench.metrics.cmmd import cmmd

        out["cmmd"] = cmmd(real, fake, device=settings.device, memory_budget=settings.memory_budget)
    return out


def rke_bandwidth(
    real: np.ndarray, settings: MetricSettings, real_stats: RealStatistics | None = None
) -> float:
    """RKE's bandwidth for scores against ``real``: the median k-NN radius of the real set
    (from ``real_stats`` when they hold the settings' k)."""
    stored = None if real_stats is None else real_stats.radii_for(settings.k)
    if stored is None:
        stored = knn_sqradii(real, k=settings.k, **settings.search_options())
    radius = float(np.median(np.sqrt(stored)))
    if radius > 0:
        return radius
    raise InputError(
        "RKE's bandwidth, the real samples' median k-NN distance, is 0: more than half of "
        "them have k copies; deduplicate the real set or raise k"
    )
