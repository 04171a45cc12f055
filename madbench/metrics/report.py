"""All metrics of one (real, fake) pair of feature sets, computed together.

The dictionary keys of :meth:`MetricReport.as_dict` are the names madbench uses everywhere
(CLI JSON output, result rows): ``precision``, ``recall``, ``density``, ``coverage``, ``fid``,
``kid`` (mean over subsets) and ``kid_std``, ``vendi`` (of the generated set alone), ``ct``,
``authenticity``, ``memorised`` and ``memorised_p`` (of the generated set against the training
set, with a reference drawn like it: by default the real set), the later metrics' keys
(:mod:`madbench.metrics.later`), plus how they were computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from madbench.errors import InputError
from madbench.metrics.copying import CopyingMetrics, copying_metrics
from madbench.metrics.frechet import fid_from_features
from madbench.metrics.fused import fusable, prdc_and_kid
from madbench.metrics.kid import KidResult, feature_scale_for, kid
from madbench.metrics.knn import KnnMetrics, knn_metrics
from madbench.metrics.later import later_metrics
from madbench.metrics.names import DEFAULT_METRICS, LATER_KEYS, NEED_TRAIN, parse_metrics
from madbench.metrics.settings import DEFAULT_SETTINGS, MetricSettings
from madbench.metrics.vendi import vendi_score


@dataclass(frozen=True)
class MetricReport:
    """The metrics asked for (the others are None) and how they were computed."""

    knn: KnnMetrics | None
    fid: float | None
    kid: KidResult | None
    vendi: float | None = None
    copying: CopyingMetrics | None = None
    #: The later metrics' values and settings cells (:mod:`madbench.metrics.later`).
    later: dict | None = None

    def as_dict(self) -> dict:
        """The computed metric values under METRIC_KEYS, then the settings that made them."""
        out = {}
        if self.knn is not None:
            knn = self.knn
            out.update(
                precision=knn.precision,
                recall=knn.recall,
                density=knn.density,
                coverage=knn.coverage,
            )
        if self.fid is not None:
            out["fid"] = self.fid
        if self.kid is not None:
            out.update(kid=self.kid.mean, kid_std=self.kid.std)
        if self.vendi is not None:
            out["vendi"] = self.vendi
        if self.copying is not None:
            out.update(self.copying.as_dict())
        later = self.later or {}
        out.update({key: later[key] for key in LATER_KEYS if key in later})
        if self.knn is not None:
            out.update(
                k=knn.k,
                rule=knn.rule,
                backend=knn.backend,
                exact=knn.exact,
                n_real=knn.n_real,
                n_fake=knn.n_fake,
                dim=knn.dim,
            )
        if self.kid is not None:
            out.update(
                kid_subsets=self.kid.n_subsets,
                kid_subset_size=self.kid.subset_size,
                kid_scale=self.kid.scale,
                seed=self.kid.seed,
            )
        if self.copying is not None:
            out.update(ct_cells=self.copying.ct_cells)
        out.update({key: value for key, value in later.items() if key not in LATER_KEYS})
        return out


def all_metrics(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    settings: MetricSettings = DEFAULT_SETTINGS,
    train: np.ndarray | None = None,
    reference: np.ndarray | None = None,
    train_strata: np.ndarray | None = None,
    reference_strata: np.ndarray | None = None,
    metrics: str | Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> MetricReport:
    """The k-NN metrics (``prdc``), FID, KID, the Vendi score and the data-copying metrics
    (``copying``: :mod:`madbench.metrics.copying`) of ``fake`` against ``real`` (feature
    arrays, real first), or those of them ``metrics`` names (:func:`parse_metrics`); only
    those are computed, as ``settings`` (:class:`~madbench.metrics.settings.MetricSettings`)
    say, KID's subsets and the copying test's cells seeded by ``seed``. ``copying`` needs
    ``train``, the generator's training set (features), and compares it with ``reference``, a
    set drawn like it and never trained on (default: ``real``, right for a model trained on
    real data), rows optionally in strata
    (:func:`~madbench.metrics.copying.copying_metrics`); without ``train``, "default" and
    "all" leave ``copying`` out and naming it is refused. Asked together on large float32
    sets, the exact k-NN metrics and KID share one pass over the distance blocks
    (:mod:`madbench.metrics.fused`)."""
    wanted = parse_metrics(metrics)
    if train is None and "copying" in wanted:
        if metrics not in (None, "default", "all"):
            raise InputError(
                "the copying metrics compare the samples with the generator's training set: "
                "give it (train=..., CLI --train PATH), or leave copying out of the metrics"
            )
        wanted = tuple(name for name in wanted if name not in NEED_TRAIN)
    knn_options = dict(settings.knn_options(), progress=progress, rarity="rarity" in wanted)
    kid_options = dict(
        n_subsets=settings.kid_subsets,
        subset_size=settings.kid_subset_size,
        seed=seed,
        feature_scale=feature_scale_for(real, settings.kid_scale) if "kid" in wanted else 1.0,
    )
    knn = kid_value = None
    if "prdc" in wanted and "kid" in wanted and not settings.approximate and fusable(real, fake):
        knn, kid_value = prdc_and_kid(real, fake, **kid_options, **knn_options)
    elif "prdc" in wanted or "rarity" in wanted:
        knn = knn_metrics(real, fake, **knn_options)
    if "kid" in wanted and kid_value is None:
        kid_value = kid(real, fake, **kid_options)
    later = [name for name in wanted if name not in DEFAULT_METRICS]
    return MetricReport(
        knn=knn if "prdc" in wanted else None,
        fid=fid_from_features(real, fake) if "fid" in wanted else None,
        kid=kid_value,
        vendi=vendi_score(fake) if "vendi" in wanted else None,
        copying=copying_metrics(
            train,
            real if reference is None else reference,
            fake,
            train_strata=train_strata,
            reference_strata=reference_strata,
            seed=seed,
            device=settings.device,
        )
        if "copying" in wanted
        else None,
        later=later_metrics(real, fake, tuple(later), settings, knn) if later else None,
    )
