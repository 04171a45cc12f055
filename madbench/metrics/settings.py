"""How metrics are computed, as one value: :class:`MetricSettings`.

Every option that changes how (not which) metrics of a (real, fake) pair are computed lives
here, with its default (from :mod:`madbench.defaults`), its choices and its validation, once:
:func:`madbench.compute_metrics`, ``madbench metrics``, :func:`~madbench.metrics.report.
all_metrics` and a loop's :class:`~madbench.loops.scoring.Scorer` all pass one. A module with
no heavy imports, so that configurations and the command line can check settings without
loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from madbench import defaults
from madbench.errors import InputError


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class MetricSettings:
    """``k``: neighbours of the k-NN balls. ``strict``: ball membership with ``<`` (prdc's
    rule) instead of ``<=``. ``kid_subsets``, ``kid_subset_size``: KID's subsets and their
    size (clean-fid's defaults). ``kid_scale``: ``none`` (clean-fid's KID, for Inception
    features) or ``real-norm`` (both sets divided by the real features' mean norm over sqrt(d),
    for every other space; :mod:`madbench.metrics.kid`). ``backend``: ``auto``, ``torch`` or
    ``faiss``; ``approximate``: FAISS's IVF index instead of exact search; ``device``:
    ``cpu``, ``cuda`` or ``cuda:N`` (None: CUDA when available; :func:`madbench.devices.
    pick_device` checks it); ``memory_budget``: bytes for one block of
    distances (sets block sizes, never results)."""

    k: int = defaults.K
    strict: bool = False
    kid_subsets: int = defaults.KID_SUBSETS
    kid_subset_size: int = defaults.KID_SUBSET_SIZE
    kid_scale: str = defaults.KID_SCALE
    backend: str = defaults.BACKEND
    approximate: bool = False
    device: str | None = None
    memory_budget: int = defaults.MEMORY_BUDGET

    def __post_init__(self):
        problems = []
        for name, least in (("k", 1), ("kid_subsets", 1), ("kid_subset_size", 2)):
            value = getattr(self, name)
            if not _is_int(value) or value < least:
                problems.append(f"{name} must be an integer >= {least}, got {value!r}")
        if not _is_int(self.memory_budget) or self.memory_budget <= 0:
            problems.append(
                f"memory_budget must be a number of bytes > 0, got {self.memory_budget!r}"
            )
        for name in ("strict", "approximate"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.kid_scale not in defaults.KID_SCALES:
            problems.append(
                f"kid_scale must be one of {', '.join(defaults.KID_SCALES)}, got {self.kid_scale!r}"
            )
        if self.backend not in defaults.BACKENDS:
            problems.append(
                f"backend must be one of {', '.join(defaults.BACKENDS)}, got {self.backend!r}"
            )
        if problems:
            raise InputError("; ".join(problems))

    def knn_options(self) -> dict:
        """The arguments :func:`~madbench.metrics.knn.knn_metrics` takes from these settings."""
        return dict(
            k=self.k,
            backend=self.backend,
            strict=self.strict,
            approximate=self.approximate,
            device=self.device,
            memory_budget=self.memory_budget,
        )

    def search_options(self) -> dict:
        """Where and how neighbours are searched (for calls that fix k and the rule)."""
        return dict(backend=self.backend, device=self.device, memory_budget=self.memory_budget)


#: Every default of :class:`MetricSettings`.
DEFAULT_SETTINGS = MetricSettings()
