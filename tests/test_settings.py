"""One home for metric settings and metric keys: MetricSettings validates every option once,
and compute_metrics' keys, a loop's interval columns and the typed result all derive from
the registry in madbench.metrics.names."""

import typing

import numpy as np
import pytest

import madbench
from madbench.errors import InputError
from madbench.loops.config import ScoringSettings
from madbench.metrics import names
from madbench.metrics.settings import MetricSettings
from madbench.runs.schema import COLUMNS


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("k", 0, "k must be an integer >= 1, got 0"),
        ("k", True, "k must be an integer >= 1, got True"),
        ("kid_subsets", 0, "kid_subsets must be an integer >= 1"),
        ("kid_subset_size", 1, "kid_subset_size must be an integer >= 2"),
        ("kid_scale", "unit", "kid_scale must be one of real-norm, none, got 'unit'"),
        ("backend", "gpu", "backend must be one of auto, torch, faiss, got 'gpu'"),
        ("memory_budget", 0, "memory_budget must be a number of bytes > 0"),
        ("strict", "yes", "strict must be True or False"),
    ],
)
def test_metric_settings_refuse_bad_values_by_name(field, value, message):
    with pytest.raises(InputError, match=message):
        MetricSettings(**{field: value})
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    with pytest.raises(InputError, match=message):  # before any feature is computed
        madbench.compute_metrics(real, fake, **{field: value})


def test_a_loops_settings_are_checked_by_the_same_rules():
    with pytest.raises(InputError, match="kid_subset_size must be an integer >= 2, got 1"):
        ScoringSettings(kid_subset_size=1)
    with pytest.raises(InputError, match="kid_scale must be one of real-norm, none"):
        ScoringSettings(kid_scale="unit")
    resolved = ScoringSettings(kid_scale="real-norm", strict=True).metric_settings(7)
    assert resolved == MetricSettings(k=7, strict=True, kid_scale="real-norm")


def test_result_keys_derive_from_one_registry():
    """compute_metrics' typed result holds exactly the registry's keys; what it returns (every
    metric but copying, without a training set, with intervals) is within them; a loop's
    interval columns are results.csv's."""
    typed = set(typing.get_type_hints(names.MetricValues))
    registry = {*names.METRIC_KEYS, *names.interval_columns(), *names.SETTING_KEYS}
    assert typed == registry
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((80, 4)), 0.3 + rng.standard_normal((80, 4))
    out = madbench.compute_metrics(
        real, fake, metrics="all", intervals=0.9, replicates=10, kid_subsets=5
    )
    copying = set(names.METRICS["copying"])
    assert set(out) <= typed
    assert set(names.METRIC_KEYS) - copying <= set(out)
    assert set(names.interval_columns()) <= set(out)
    loop_columns = names.interval_columns(names.LOOP_INTERVAL_KEYS)
    assert [c for c in COLUMNS if c.endswith(("_ci_low", "_ci_high"))] == list(loop_columns)
