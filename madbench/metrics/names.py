"""The metrics madbench computes, by name: what ``--metrics`` (and ``metrics=``) may ask for
and the result keys each fills. A module with no heavy imports, so that configurations and
command-line checks can name metrics without loading the numeric back ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from madbench.errors import InputError

#: The metrics one can ask for, and the keys each fills.
METRICS = {
    "prdc": ("precision", "recall", "density", "coverage"),
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "vendi": ("vendi",),
    "copying": ("ct", "authenticity", "memorised", "memorised_p"),
    "rarity": ("rarity",),
    "cover": ("precision_cover", "recall_cover"),
    "probabilistic": ("p_precision", "p_recall"),
    "clipped": ("clipped_density", "clipped_coverage"),
    "rke": ("rke",),
    "cmmd": ("cmmd",),
}
#: The metrics computed unless others are named (``default``): those every published
#: leaderboard holds. The later k-NN and kernel metrics (rarity, cover, probabilistic,
#: clipped, rke, cmmd) are computed when named, or with ``all``.
DEFAULT_METRICS = ("prdc", "fid", "kid", "vendi", "copying")
#: The metric keys, in the order tables print them.
METRIC_KEYS = tuple(key for keys in METRICS.values() for key in keys)
#: The keys that get an interval (``<key>_ci_low``, ``<key>_ci_high``): each metric's value,
#: not its spread (``kid_std``); the copying metrics carry their own test (``memorised_p``).
INTERVAL_KEYS = ("precision", "recall", "density", "coverage", "fid", "kid", "vendi")
#: The keys a loop's generations get intervals of (results.csv's ``<key>_ci_low`` and
#: ``_ci_high`` columns, in this order): :data:`INTERVAL_KEYS` but Vendi's.
LOOP_INTERVAL_KEYS = ("fid", "precision", "recall", "density", "coverage", "kid")
#: The keys of the metrics that came after the first five (:mod:`madbench.metrics.later`):
#: those of run format 12 and leaderboard schema 9, then CMMD's (:data:`CMMD_KEYS`).
LATER_KEYS = tuple(key for name in METRICS if name not in DEFAULT_METRICS for key in METRICS[name])
#: CMMD's key, which came with run format 13 and leaderboard schema 10.
CMMD_KEYS = METRICS["cmmd"]
#: A text loop's statistics of each generation's documents (:mod:`madbench.metrics.text`),
#: computed from the kept samples for text data only, like W2 for vectors.
TEXT_KEYS = (
    *("distinct_1", "distinct_2", "distinct_3", "self_bleu", "unigram_entropy", "zipf_slope"),
    *("vocabulary", "ngram2_recall", "ngram2_precision"),
)
#: A text loop's perplexity of the held-out real text under each generation's model
#: (:mod:`madbench.metrics.perplexity`), for models that offer ``log_likelihood``.
PERPLEXITY_KEYS = ("perplexity", "perplexity_q50", "perplexity_q90", "perplexity_q95", "tail_mass")
#: Metrics that need the generator's training set.
NEED_TRAIN = ("copying",)


def named(metrics: str | Sequence[str] | None) -> list[str]:
    """The names ``metrics`` lists as written, ``default`` and ``all`` not expanded."""
    if metrics is None:
        return []
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    return [str(name).strip() for name in names if str(name).strip()]


def parse_metrics(metrics: str | Sequence[str] | None) -> tuple[str, ...]:
    """``metrics`` (a comma-separated string or names from :data:`METRICS`) as a tuple in
    canonical order; None or "default" means :data:`DEFAULT_METRICS`, "all" every metric,
    and either may stand among names (``default,cmmd``)."""
    if metrics is None:
        return DEFAULT_METRICS
    names = named(metrics)
    groups = {"default": DEFAULT_METRICS, "all": tuple(METRICS)}
    names = [each for name in names for each in groups.get(name, (name,))]
    unknown = sorted(set(names) - set(METRICS))
    if unknown or not names:
        raise InputError(
            f"unknown metrics {unknown or names}; choose any of {', '.join(METRICS)} "
            "(comma-separated), default or all"
        )
    return tuple(name for name in METRICS if name in names)


#: The cells that say how the metrics were computed, beside their values.
SETTING_KEYS = (
    *("k", "rule", "backend", "exact", "n_real", "n_fake", "dim"),
    *("kid_subsets", "kid_subset_size", "kid_scale", "seed", "ct_cells"),
    *("cover_k", "cover_c", "ppr_k", "ppr_a", "rke_bandwidth"),
)


def interval_columns(keys: Sequence[str] = INTERVAL_KEYS) -> tuple[str, ...]:
    """``<key>_ci_low`` and ``<key>_ci_high`` of each key, in order."""
    return tuple(f"{key}_ci_{end}" for key in keys for end in ("low", "high"))


class MetricValues(TypedDict, total=False):
    """What :func:`madbench.compute_metrics` returns (and ``madbench metrics --json`` prints):
    the metrics asked for under :data:`METRIC_KEYS`, their intervals under
    :func:`interval_columns` when asked for, and the settings under :data:`SETTING_KEYS`. A
    test holds these keys to those registries."""

    precision: float
    recall: float
    density: float
    coverage: float
    fid: float
    kid: float
    kid_std: float
    vendi: float
    ct: float
    authenticity: float
    memorised: float
    memorised_p: float
    rarity: float
    precision_cover: float
    recall_cover: float
    p_precision: float
    p_recall: float
    clipped_density: float
    clipped_coverage: float
    rke: float
    cmmd: float
    precision_ci_low: float
    precision_ci_high: float
    recall_ci_low: float
    recall_ci_high: float
    density_ci_low: float
    density_ci_high: float
    coverage_ci_low: float
    coverage_ci_high: float
    fid_ci_low: float
    fid_ci_high: float
    kid_ci_low: float
    kid_ci_high: float
    vendi_ci_low: float
    vendi_ci_high: float
    k: int
    rule: str
    backend: str
    exact: bool
    n_real: int
    n_fake: int
    dim: int
    kid_subsets: int
    kid_subset_size: int
    kid_scale: float
    seed: int
    ct_cells: int
    cover_k: int
    cover_c: int
    ppr_k: int
    ppr_a: float
    rke_bandwidth: float
