"""The metrics madbench computes, by name: what ``--metrics`` (and ``metrics=``) may ask for
and the result keys each fills. A module with no heavy imports, so that configurations and
command-line checks can name metrics without loading the numeric back ends."""

from __future__ import annotations

from madbench.errors import InputError

#: The metrics one can ask for, and the keys each fills.
METRICS = {
    "prdc": ("precision", "recall", "density", "coverage"),
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "vendi": ("vendi",),
    "copying": ("ct", "authenticity", "memorised", "memorised_p"),
}
#: The metric keys, in the order tables print them.
METRIC_KEYS = tuple(key for keys in METRICS.values() for key in keys)
#: Metrics that need the generator's training set.
NEED_TRAIN = ("copying",)


def parse_metrics(metrics) -> tuple[str, ...]:
    """``metrics`` (a comma-separated string or names from :data:`METRICS`) as a tuple in
    canonical order; None or "all" means every metric."""
    if metrics is None or metrics == "all":
        return tuple(METRICS)
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    names = [str(name).strip() for name in names if str(name).strip()]
    unknown = sorted(set(names) - set(METRICS))
    if unknown or not names:
        raise InputError(
            f"unknown metrics {unknown or names}; choose any of {', '.join(METRICS)} "
            "(comma-separated), or all"
        )
    return tuple(name for name in METRICS if name in names)
