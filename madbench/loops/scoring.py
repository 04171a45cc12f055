"""Scoring one generation: metrics of its evaluation samples against the held-out real set.

Samples are scored in the run's feature space (:mod:`madbench.metrics.spaces`: by default
``identity`` for vectors, the data set's LeNet for grayscale images, Inception for colour
ones). Every score has k-NN precision, recall, density and coverage, FID, KID (features scaled
as :class:`~madbench.loops.config.ScoringSettings` says), the Vendi score, the data-copying
metrics against the generation's training set (from generation 1 on), and bootstrap 95 %
intervals of FID and the k-NN metrics over the evaluation sample
(:mod:`madbench.metrics.bootstrap`); vector data adds W2 and the covariance's trace. The loop
engine and ``madbench rescore`` both score through :class:`Scorer`, so a re-score computes
exactly what the run computed.
"""

from __future__ import annotations

import time

import numpy as np

from madbench.loops.config import ScoringSettings
from madbench.loops.realdata import CopyingSets, RealData
from madbench.metrics.bootstrap import fid_interval, knn_intervals
from madbench.metrics.frechet import GaussianStats, fit_gaussian, wasserstein2
from madbench.metrics.kid import real_norm_scale
from madbench.metrics.report import MetricReport, all_metrics

#: Metrics that get a bootstrap interval (columns <metric>_ci_low, <metric>_ci_high).
INTERVAL_METRICS = ("fid", "precision", "recall", "density", "coverage")
#: Every value a score holds, in results.csv's order; the rest of a row is settings.
SCORE_KEYS = (
    "precision",
    "recall",
    "density",
    "coverage",
    "fid",
    "kid",
    "kid_std",
    "vendi",
    "ct",
    "authenticity",
    "memorised",
    "memorised_p",
    *(f"{m}_ci_{end}" for m in INTERVAL_METRICS for end in ("low", "high")),
    "w2",
    "trace_cov",
)


class Scorer:
    """Scores arrays of samples against ``real``'s evaluation set with neighbour count ``k``,
    in the feature space of ``extractor`` (:func:`madbench.metrics.spaces.feature_space`)."""

    def __init__(self, real: RealData, k: int, settings: ScoringSettings, seed: int, extractor):
        self.real, self.k, self.settings, self.seed = real, k, settings, seed
        self.extractor = extractor
        self.real_features = self.features(real.eval_real)
        self.kid_scale = (
            real_norm_scale(self.real_features) if settings.kid_scale == "real-norm" else 1.0
        )
        self.truth = self._true_gaussian() if real.is_vector else None

    def features(self, x: np.ndarray) -> np.ndarray:
        """``x``'s features in the run's feature space."""
        return self.extractor(x)

    def settings_columns(self) -> dict:
        """The result-row cells that say how a score was computed."""
        return {
            "features": self.extractor.name,
            "k": self.k,
            "rule": "<" if self.settings.strict else "<=",
            "kid_scale": self.kid_scale,
            "bootstrap": self.settings.bootstrap,
            "eval_n": self.real.eval_n,
        }

    def score(
        self, generated: np.ndarray, bootstrap_seed: int, sets: CopyingSets | None = None
    ) -> dict:
        """Every value of :data:`SCORE_KEYS` for ``generated``, plus ``metric_seconds``; the
        copying metrics only with ``sets``, the generating model's training set and its
        reference (:meth:`~madbench.loops.realdata.RealData.copying_sets`)."""
        t0 = time.perf_counter()
        s = self.settings
        gen_f = self.features(generated)
        copying = "copying" in s.metrics and sets is not None
        metrics = [m for m in s.metrics if m != "copying" or copying]
        # Copying alone, at generation 0 (no model, no training set): nothing to compute.
        report = (
            MetricReport(None, None, None)
            if not metrics
            else all_metrics(
                self.real_features,
                gen_f,
                train=self.features(sets.train) if copying else None,
                reference=self.features(sets.reference) if copying else None,
                train_strata=sets.train_strata if copying else None,
                reference_strata=sets.reference_strata if copying else None,
                k=self.k,
                strict=s.strict,
                kid_subsets=s.kid_subsets,
                kid_subset_size=s.kid_subset_size,
                kid_feature_scale=self.kid_scale,
                seed=self.seed,
                per_sample=s.bootstrap > 0,
                metrics=metrics,
            )
        )
        out = {key: value for key, value in report.as_dict().items() if key in SCORE_KEYS}
        if s.bootstrap:
            intervals = {}
            if report.knn is not None:
                intervals = knn_intervals(
                    report.knn.per_sample, self.k, s.bootstrap, bootstrap_seed
                )
            if report.fid is not None:
                intervals["fid"] = fid_interval(
                    self.real_features, gen_f, report.fid, s.bootstrap, bootstrap_seed
                )
            for metric, (low, high) in intervals.items():
                out[f"{metric}_ci_low"], out[f"{metric}_ci_high"] = low, high
        if self.truth is not None:
            stats = fit_gaussian(gen_f, "generated")
            out["w2"] = wasserstein2(stats, self.truth)
            out["trace_cov"] = float(np.trace(stats.sigma))
        out["metric_seconds"] = time.perf_counter() - t0
        return out

    def _true_gaussian(self) -> GaussianStats:
        """W2's reference: the data's true Gaussian when it has one (gaussian-<d>), else the
        held-out samples' fitted Gaussian."""
        if getattr(self.real.dataset, "true_gaussian", None) is not None:
            mean, cov = self.real.dataset.true_gaussian
            return GaussianStats(mean, cov, 0)
        return fit_gaussian(self.real_features, "held-out real")
