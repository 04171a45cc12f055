"""Scoring one generation: metrics of its evaluation samples against the held-out real set.

Samples are scored in the run's feature space (:mod:`madbench.features.spaces`: by default
``identity`` for vectors, the data set's LeNet for grayscale images, Inception for colour
ones). Every score has k-NN precision, recall, density and coverage, FID, KID (features scaled
as :class:`~madbench.loops.config.ScoringSettings` says), the Vendi score, the data-copying
metrics against the generation's training set (from generation 1 on), FID-infinity
(:mod:`madbench.metrics.fid_infinity`), and 95 % intervals of FID, KID and the k-NN metrics
that half-sample both the generated and the held-out set (:mod:`madbench.metrics.intervals`);
generation 0 adds the noise floor's FID over several draws (:meth:`Scorer.floor`); vector
data adds W2 and the covariance's trace, text data the statistics of
:mod:`madbench.metrics.text` (:data:`~madbench.metrics.names.TEXT_KEYS`). The loop
engine and ``madbench rescore`` both score through :class:`Scorer`, so a re-score computes
exactly what the run computed.

The held-out set's features and statistics (:class:`~madbench.metrics.reference.
RealStatistics`: Gaussian, exact k-NN radii, KID's kernel) are made once per run, not once
per generation; where ``madbench stats make`` stored them for the run's held-out samples and
feature space (:mod:`madbench.statsfiles`), they are read, verified, from that file instead.
Either way every score is the same to the last bit.
"""

from __future__ import annotations

import time

import numpy as np

from madbench.digests import array_sha256
from madbench.features.spaces import FeatureExtractor, digest
from madbench.loops.config import ScoringSettings
from madbench.loops.realdata import CopyingSets, RealData
from madbench.metrics.fid_infinity import fid_infinity
from madbench.metrics.frechet import GaussianStats, fid_from_features, fit_gaussian, wasserstein2
from madbench.metrics.intervals import MIN_ROWS, half_sample_intervals, precision_variance
from madbench.metrics.kid import KidResult, feature_scale_for, kid_variance
from madbench.metrics.names import LOOP_INTERVAL_KEYS, METRIC_KEYS, TEXT_KEYS, interval_columns
from madbench.metrics.reference import RealStatistics, real_statistics
from madbench.metrics.report import MetricReport, all_metrics
from madbench.metrics.subsets import SubsetMetrics
from madbench.statsfiles import StatsKey, find_stats, load_stats_file
from madbench.types import Echo

#: Every value a score holds (results.csv orders them by :mod:`madbench.runs.schema`): the
#: metrics' keys (:data:`madbench.metrics.names.METRIC_KEYS`), then what only a loop's scoring
#: adds; the rest of a row is settings.
SCORE_KEYS = (
    *METRIC_KEYS,
    *("fid_inf", "fid_floor", "fid_floor_sd", "floor_draws"),
    *interval_columns(LOOP_INTERVAL_KEYS),
    *("w2", "trace_cov"),
    *TEXT_KEYS,
    *("mauve", "exact_copies", "near_copies"),
)


def stats_key(real: RealData, extractor: FeatureExtractor) -> StatsKey | None:
    """The key of ``real``'s held-out set's stats file in ``extractor``'s space
    (:mod:`madbench.statsfiles`); None for text, and for feature spaces without a digest that
    are not ``identity``."""
    feature_digest = digest(extractor)
    if real.is_text or (feature_digest is None and extractor.name != "identity"):
        return None
    return StatsKey(array_sha256(real.eval_real), extractor.name, feature_digest)


def stored_statistics(
    real: RealData, extractor: FeatureExtractor, echo: Echo
) -> RealStatistics | None:
    """The verified statistics of the stats file of ``real``'s held-out set, where
    :func:`madbench.statsfiles.stats_dir` holds one (said to ``echo``); a file that fails
    verification stops here, before a run writes anything."""
    key = stats_key(real, extractor)
    path = None if key is None else find_stats(key)
    if path is None:
        return None
    stats, _ = load_stats_file(path, expect=key)
    echo(f"reference statistics: {path} ({len(stats.features)} held-out samples)")
    return stats


class Scorer:
    """Scores arrays of samples against ``real``'s evaluation set with neighbour count ``k``,
    in the feature space of ``extractor`` (:func:`madbench.features.spaces.feature_space`);
    ``stored``: the held-out set's statistics from its stats file (:func:`stored_statistics`),
    whose features are then not computed again."""

    def __init__(
        self,
        real: RealData,
        k: int,
        settings: ScoringSettings,
        seed: int,
        extractor,
        stored: RealStatistics | None = None,
    ):
        self.real, self.k, self.settings, self.seed = real, k, settings, seed
        self.extractor = extractor
        self.metric_settings = settings.metric_settings(k)
        self.real_features = self.features(real.eval_real) if stored is None else stored.features
        self.real_stats = None
        shared = {"prdc", "fid", "kid", "rarity", "rke"} & set(settings.metrics)
        if shared and not self.metric_settings.approximate and len(self.real_features) > k:
            self.real_stats = stored if stored is not None and stored.k == k else None
            if self.real_stats is None:
                search = self.metric_settings.search_options()
                self.real_stats = real_statistics(self.real_features, k=k, **search)
        self.kid_scale = feature_scale_for(self.real_features, settings.kid_scale)
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
            "intervals": self.settings.intervals,
            "eval_n": self.real.eval_n,
        }

    def score(
        self, generated: np.ndarray, interval_seed: int, sets: CopyingSets | None = None
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
                settings=self.metric_settings,
                seed=self.seed,
                metrics=metrics,
                real_stats=self.real_stats,
            )
        )
        out = {key: value for key, value in report.as_dict().items() if key in SCORE_KEYS}
        if report.fid is not None:
            out["fid_inf"] = fid_infinity(self.real_features, gen_f, seed=interval_seed)
        estimates = {m: out[m] for m in LOOP_INTERVAL_KEYS if m in out}
        if s.intervals and estimates:
            found = self._intervals(gen_f, estimates, report.kid, interval_seed)
            for metric, (low, high) in found.items():
                out[f"{metric}_ci_low"], out[f"{metric}_ci_high"] = low, high
        if self.truth is not None:
            stats = fit_gaussian(gen_f, "generated")
            out["w2"] = wasserstein2(stats, self.truth)
            out["trace_cov"] = float(np.trace(stats.sigma))
        if self.real.is_text:  # statistics of the documents themselves
            from madbench.metrics.mauve import mauve
            from madbench.metrics.text import text_statistics

            out.update(text_statistics(self.real.eval_real, generated, seed=interval_seed))
            out["mauve"] = mauve(self.real_features, gen_f, seed=interval_seed)
            if sets is not None:
                from madbench.metrics.text_copying import copies

                out.update(copies(sets.train, generated))
        out["metric_seconds"] = time.perf_counter() - t0
        return out

    def floor(self, draws: list[np.ndarray], interval_seed: int) -> dict:
        """Generation 0's cells: the score of the first draw of real training samples, and
        the noise floor's FID over all ``draws`` (:meth:`RealData.floor_draws`): their mean
        ``fid_floor``, standard deviation ``fid_floor_sd`` and count ``floor_draws``."""
        out = self.score(draws[0], interval_seed)
        if "fid" in out:
            fids = [out["fid"]] + [
                fid_from_features(self.real_features, self.features(x)) for x in draws[1:]
            ]
            out.update(
                fid_floor=float(np.mean(fids)),
                fid_floor_sd=float(np.std(fids, ddof=1)) if len(fids) > 1 else None,
                floor_draws=len(fids),
            )
        return out

    def _intervals(self, gen_f: np.ndarray, estimates: dict, kid: KidResult | None, seed: int):
        """95 % intervals of ``estimates`` (metric: value on the full sets) by half-sampling
        both sets (:mod:`madbench.metrics.intervals`), through :class:`SubsetMetrics`, and
        KID's and precision's from their variances (:func:`kid_variance`,
        :func:`precision_variance`); none for sets too
        small to be quartered (eval_n below 4 x ``MIN_ROWS``)."""
        if min(len(self.real_features), len(gen_f)) // 4 < MIN_ROWS:
            return {}
        within = None if self.real_stats is None else self.real_stats.within_sqdist()
        subsets = SubsetMetrics(
            self.real_features, gen_f, k=self.k, strict=self.settings.strict, real_sqdist=within
        )
        variances = {} if kid is None else {"kid": kid_variance(self.real_features, gen_f, kid)}
        if "precision" in estimates:
            variances["precision"] = precision_variance(
                subsets.in_real_balls,
                subsets.sizes[0],
                replicates=self.settings.intervals,
                seed=seed,
            )
        return half_sample_intervals(
            subsets,
            *subsets.sizes,
            estimates,
            replicates=self.settings.intervals,
            seed=seed,
            variances=variances,
        )

    def _true_gaussian(self) -> GaussianStats:
        """W2's reference: the data's true Gaussian when it has one (gaussian-<d>), else the
        held-out samples' fitted Gaussian."""
        if getattr(self.real.dataset, "true_gaussian", None) is not None:
            mean, cov = self.real.dataset.true_gaussian
            return GaussianStats(mean, cov, 0)
        return fit_gaussian(self.real_features, "held-out real")
