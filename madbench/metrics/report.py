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
from madbench.metrics.frechet import fid_from_features, fit_gaussian, frechet_distance
from madbench.metrics.fused import fusable, prdc_and_kid
from madbench.metrics.kid import WHOLE_KERNEL_MAX, KidResult, feature_scale_for, kid
from madbench.metrics.knn import KnnMetrics, knn_metrics
from madbench.metrics.later import later_metrics
from madbench.metrics.names import DEFAULT_METRICS, LATER_KEYS, NEED_TRAIN, named, parse_metrics
from madbench.metrics.reference import RealStatistics
from madbench.metrics.settings import DEFAULT_SETTINGS, MetricSettings
from madbench.metrics.validate import as_features
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
    real_stats: RealStatistics | None = None,
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
    (:mod:`madbench.metrics.fused`). ``real_stats``: statistics of ``real`` made once
    (:mod:`madbench.metrics.reference`), which skip the work they hold; same results."""
    wanted = parse_metrics(metrics)
    if real_stats is not None and (settings.approximate or not real_stats.holds(real)):
        real_stats = None  # approximate search: its radii are not the exact ones stored
    if train is None and "copying" in wanted:
        if "copying" in named(metrics):  # named itself, not within default or all
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
    whole_kernels = max(len(real), len(fake)) <= WHOLE_KERNEL_MAX  # never fusable
    if "prdc" in wanted and "kid" in wanted and not settings.approximate and fusable(real, fake):
        knn, kid_value = prdc_and_kid(real, fake, **kid_options, **knn_options)
    elif "prdc" in wanted or "rarity" in wanted:
        radii = None if real_stats is None else real_stats.radii_for(settings.k)
        knn = knn_metrics(real, fake, **knn_options, real_kth_sqdist=radii)
    if "kid" in wanted and kid_value is None:
        kernel = None
        if real_stats is not None and whole_kernels:
            kernel = real_stats.cubic_kernel(kid_options["feature_scale"])
        kid_value = kid(real, fake, **kid_options, real_kernel=kernel)
    later = [name for name in wanted if name not in DEFAULT_METRICS]
    return MetricReport(
        knn=knn if "prdc" in wanted else None,
        fid=_fid(real, fake, real_stats) if "fid" in wanted else None,
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
        later=later_metrics(real, fake, tuple(later), settings, knn, real_stats) if later else None,
    )


def _fid(real: np.ndarray, fake: np.ndarray, real_stats: RealStatistics | None) -> float:
    """FID, from the real set's stored Gaussian where there is one and d < n."""
    if real_stats is None or real_stats.gaussian is None or real.shape[1] > len(fake):
        return fid_from_features(real, fake)
    return frechet_distance(real_stats.gaussian, fit_gaussian(as_features(fake, "fake"), "fake"))
