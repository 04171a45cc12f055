"""All metrics of one (real, fake) pair of feature sets, computed together.

The dictionary keys of :meth:`MetricReport.as_dict` are the names madbench uses everywhere
(CLI JSON output, result rows): ``precision``, ``recall``, ``density``, ``coverage``, ``fid``,
``kid`` (mean over subsets) and ``kid_std``, plus how they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from madbench.metrics.frechet import fid_from_features
from madbench.metrics.kid import KidResult, kid
from madbench.metrics.knn import DEFAULT_K, KnnMetrics, knn_metrics
from madbench.metrics.neighbours import DEFAULT_MEMORY_BUDGET

#: The metric keys, in the order tables print them.
METRIC_KEYS = ("precision", "recall", "density", "coverage", "fid", "kid", "kid_std")


@dataclass(frozen=True)
class MetricReport:
    knn: KnnMetrics
    fid: float
    kid: KidResult

    def as_dict(self) -> dict:
        """Metric values under METRIC_KEYS, then the settings that produced them."""
        return {
            "precision": self.knn.precision,
            "recall": self.knn.recall,
            "density": self.knn.density,
            "coverage": self.knn.coverage,
            "fid": self.fid,
            "kid": self.kid.mean,
            "kid_std": self.kid.std,
            "k": self.knn.k,
            "rule": self.knn.rule,
            "backend": self.knn.backend,
            "exact": self.knn.exact,
            "n_real": self.knn.n_real,
            "n_fake": self.knn.n_fake,
            "dim": self.knn.dim,
            "kid_subsets": self.kid.n_subsets,
            "kid_subset_size": self.kid.subset_size,
            "kid_scale": self.kid.scale,
            "seed": self.kid.seed,
        }


def all_metrics(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    k: int = DEFAULT_K,
    backend: str = "auto",
    strict: bool = False,
    approximate: bool = False,
    device: str | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    kid_feature_scale: float = 1.0,
    seed: int = 0,
    progress: bool = False,
    per_sample: bool = False,
) -> MetricReport:
    """k-NN metrics, FID and KID of ``fake`` against ``real`` (feature arrays, real first).

    ``kid_feature_scale`` divides both sets before KID's kernel (1: clean-fid's KID, right
    for Inception features; :func:`madbench.metrics.kid.real_norm_scale` for others);
    ``per_sample`` keeps the k-NN ball memberships (``report.knn.per_sample``)."""
    knn = knn_metrics(
        real,
        fake,
        k=k,
        backend=backend,
        strict=strict,
        approximate=approximate,
        device=device,
        memory_budget=memory_budget,
        progress=progress,
        per_sample=per_sample,
    )
    return MetricReport(
        knn=knn,
        fid=fid_from_features(real, fake),
        kid=kid(
            real,
            fake,
            n_subsets=kid_subsets,
            subset_size=kid_subset_size,
            seed=seed,
            feature_scale=kid_feature_scale,
        ),
    )
