"""A run's configuration (what ``config.json`` holds) and the seeds derived from it.

Randomness: every generation t derives its seeds from (run seed, t, purpose) only, so a run
resumed after any generation gives exactly the rows an uninterrupted run gives, and runs that
share a seed share every draw their settings allow (common random numbers).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from madbench import defaults
from madbench.errors import InputError
from madbench.loops.options import check_reward
from madbench.loops.protocol import PROTOCOL_VERSION, Protocol
from madbench.metrics.names import DEFAULT_METRICS, parse_metrics
from madbench.metrics.settings import MetricSettings
from madbench.runs.threads import DEFAULT_THREADS

#: The purposes a generation draws random numbers for.
FIT, TRAIN_SAMPLES, EVAL_SAMPLES, EVAL_REAL, INTERVALS, REFERENCE_SAMPLES = range(6)
#: The purposes of the feedback steps (madbench.loops.feedback) and accumulate-subsample's draw.
CURATE, SELECT, CORRECT, SUBSAMPLE = range(6, 10)
#: Version of the run-directory layout and config.json. 2: kept evaluation samples, scoring
#: settings, thread count, bootstrap intervals, samples in the data's domain. 3: config hash,
#: generation manifests (sha256 of every file, the generation's row), gen-000. 4: the
#: feature space chosen per run; Vendi score and data-copying columns. 5: each generation keeps
#: a reference draw (reference_samples.npy) that the next one's copying test compares with;
#: memorised_p; memorised and authenticity against that exchangeable reference. 6: intervals by
#: half-sampling both sets (``intervals`` replaces ``bootstrap``), KID's interval, FID-infinity,
#: the noise floor over several draws (fid_floor, fid_floor_sd, floor_draws). 7: KID's interval
#: from its variance in closed form (:func:`madbench.metrics.kid.kid_variance`), not from half-
#: and quarter-samples; a new run's KID scale chosen by its feature space (:func:`kid_scale_for`).
#: 8: precision's interval from its variance in two parts
#: (:func:`madbench.metrics.intervals.precision_variance`), not from half-samples of both sets.
#: 9: text data; its statistics and held-out perplexity columns (empty for vectors and images).
#: 10: text data's MAUVE in the run's feature space (:mod:`madbench.metrics.mauve`) and its
#: exact and near copies of the training set (:mod:`madbench.metrics.text_copying`).
#: 11: the options beyond the paper (curation, selection, correction, accumulate-subsample:
#: :mod:`madbench.loops.feedback`), their kept_index / corrected arrays, the ``reward`` column.
#: 12: the later metrics' columns (rarity, cover, probabilistic, clipped, rke:
#: :mod:`madbench.metrics.later`), filled when ``--metrics`` names them.
#: 13: the ``cmmd`` column (:mod:`madbench.metrics.cmmd`), filled when ``--metrics`` names it.
RUN_FORMAT = 13


def derived_seed(seed: int, t: int, purpose: int) -> int:
    """A 32-bit seed for one purpose of generation t, from the run's seed."""
    return int(np.random.SeedSequence([seed, t, purpose]).generate_state(1)[0])


@dataclass(frozen=True)
class ScoringSettings:
    """How generations are scored, beyond the protocol's ``k`` and ``eval_n``.

    ``kid_scale``: ``real-norm`` divides features by the real features' mean norm over
    sqrt(d) before KID's kernel (madbench.metrics.kid), ``none`` leaves them, as clean-fid
    does; None (the default) is chosen by the run's feature space when the run is configured
    (:func:`kid_scale_for`: ``none`` in Inception's, ``real-norm`` in every other), and
    config.json records the choice.
    ``intervals``: half-sample replicates of the per-generation 95 % intervals (0: none;
    :mod:`madbench.metrics.intervals`). ``strict``:
    the ``<`` ball rule instead of ``<=``. ``metrics``: which metrics each generation
    computes (:data:`madbench.metrics.names.METRICS`; default
    :data:`~madbench.metrics.names.DEFAULT_METRICS`); config.json records it only when it is
    not the default, so runs of the default metrics read the same.
    ``features``: the feature space (:mod:`madbench.features.spaces`; None: the data set's
    default, and config.json leaves it out). ``reward``: a reward whose mean over each
    generation's scored samples is its ``reward`` cell (:mod:`madbench.loops.rewards`; None:
    the curation's reward when the protocol curates, else none; config.json leaves it out).
    """

    kid_subsets: int = defaults.KID_SUBSETS
    kid_subset_size: int = defaults.KID_SUBSET_SIZE
    kid_scale: str | None = None
    intervals: int = defaults.REPLICATES
    strict: bool = False
    metrics: tuple[str, ...] = DEFAULT_METRICS
    features: str | None = None
    reward: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "metrics", parse_metrics(self.metrics))
        problems = []
        if self.reward is not None:
            try:
                check_reward(self.reward)
            except InputError as exc:
                problems.append(str(exc))
        if self.features is not None and (not isinstance(self.features, str) or not self.features):
            problems.append(f"features must name a feature space, got {self.features!r}")
        if not isinstance(self.intervals, int) or self.intervals < 0:
            problems.append(f"intervals must be an integer >= 0, got {self.intervals!r}")
        if problems:
            raise InputError("; ".join(problems))
        self.metric_settings(defaults.K)  # KID's and the ball rule's fields, checked there

    def metric_settings(self, k: int) -> MetricSettings:
        """The :class:`~madbench.metrics.settings.MetricSettings` a generation is scored with
        (neighbour count ``k`` from the protocol; KID's scale as :class:`RunConfig` resolved
        it, or the default while it is unresolved, None, as when the settings are checked)."""
        return MetricSettings(
            k=k,
            strict=self.strict,
            kid_subsets=self.kid_subsets,
            kid_subset_size=self.kid_subset_size,
            kid_scale=self.kid_scale or defaults.KID_SCALE,
        )

    def as_dict(self) -> dict:
        out = asdict(self)
        if self.metrics == DEFAULT_METRICS:
            del out["metrics"]
        else:
            out["metrics"] = list(self.metrics)
        for name in ("features", "reward"):
            if out[name] is None:
                del out[name]
        return out


def kid_scale_for(features: str | None, data: str, data_dir: str | None = None) -> str:
    """KID's scale for a run scored in ``features`` (None: ``data``'s default space,
    :func:`madbench.features.spaces.default_space`), by :data:`madbench.defaults.LOOP_KID_SCALE`."""
    from madbench.data.datasets import get_dataset
    from madbench.features.spaces import default_space

    space = features or default_space(get_dataset(data, data_dir=data_dir))
    return defaults.LOOP_KID_SCALE.get(space, defaults.LOOP_KID_SCALE_OTHERWISE)


@dataclass(frozen=True)
class RunConfig:
    model: str
    model_args: dict
    data: str
    protocol: Protocol
    data_dir: str | None = None
    threads: int = DEFAULT_THREADS  # every numeric thread pool, pinned (madbench.runs.threads)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)

    def __post_init__(self):
        if self.scoring.kid_scale is None:
            scale = kid_scale_for(self.scoring.features, self.data, self.data_dir)
            object.__setattr__(self, "scoring", replace(self.scoring, kid_scale=scale))
        cpus = os.cpu_count() or 1
        if isinstance(self.threads, bool) or not isinstance(self.threads, int):
            raise InputError(f"threads must be an integer, got {self.threads!r}")
        if not 1 <= self.threads <= cpus:
            raise InputError(
                f"threads must lie in 1 to this machine's {cpus} CPUs, got {self.threads} (a "
                "run's numbers depend on its thread count: resume a run on a machine with at "
                "least as many CPUs)"
            )

    def as_dict(self) -> dict:
        return {
            "format": RUN_FORMAT,
            "model": self.model,
            "model_args": self.model_args,
            "data": self.data,
            "data_dir": self.data_dir,
            "protocol": self.protocol.as_dict(),
            "protocol_hash": self.protocol.content_hash(),
            "threads": self.threads,
            "scoring": self.scoring.as_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """Read ``config.json``; refuses a format or protocol version this madbench cannot
        continue or re-score the same way."""
        if not isinstance(d, dict) or not isinstance(d.get("protocol"), dict):
            raise InputError("config.json is not a run configuration (no protocol)")
        found = (d.get("format", 1), d["protocol"].get("version"))
        if found != (RUN_FORMAT, PROTOCOL_VERSION):
            newer = any(
                isinstance(v, int) and v > mine
                for v, mine in zip(found, (RUN_FORMAT, PROTOCOL_VERSION), strict=True)
            )
            raise InputError(
                f"this run was written by {'a newer' if newer else 'an older'} madbench (run "
                f"format {found[0]}, protocol version {found[1]}; this one reads format "
                f"{RUN_FORMAT} and protocol {PROTOCOL_VERSION}): "
                + (
                    "upgrade madbench to use it"
                    if newer
                    else "use it with the madbench that wrote it (provenance.json names it)"
                )
            )
        try:
            config = cls(
                d["model"],
                d["model_args"],
                d["data"],
                Protocol(**d["protocol"]),
                d.get("data_dir"),
                d["threads"],
                ScoringSettings(**d["scoring"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"config.json lacks or mistypes a field ({exc!r})") from None
        if config.as_dict() != d:
            raise InputError(
                "config.json does not match the configuration it describes (a field was "
                "edited, e.g. protocol_hash no longer fits the protocol); restore it, or start "
                "a new run"
            )
        return config
