"""Generated images live in the data's domain: clipped to its range, quantised to its levels."""

import csv

import numpy as np
import pytest

from madbench.data.datasets import get_dataset
from madbench.data.domain import Domain
from madbench.errors import DataFileError
from madbench.loops.config import RunConfig
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir


@pytest.mark.parametrize(
    "data,levels",
    [
        ("digits", 17),
        pytest.param(
            "fashion-mnist", 256, marks=[pytest.mark.needs_fashion_mnist, pytest.mark.slow]
        ),
    ],
)
def test_stored_data_takes_exactly_the_domain_levels(data, levels):
    dataset = get_dataset(data)
    assert dataset.domain == Domain(0.0, 1.0, levels)
    table = (np.arange(levels) / (levels - 1)).astype(np.float32)
    values = np.unique(dataset.split("test").x)
    assert np.isin(values, table).all() and values[0] == 0.0 and values[-1] == 1.0
    # Quantising real data changes nothing.
    x = dataset.split("test", n=50, seed=0).x
    same, outside = dataset.domain.apply(x)
    assert np.array_equal(same, x) and outside == 0.0


def test_apply_clips_rounds_to_levels_and_counts_what_was_outside():
    domain = Domain(0.0, 1.0, 5)  # levels 0, .25, .5, .75, 1
    x = np.array([[-3.0, 0.1, 0.13, 0.5], [0.62, 0.63, 1.0, 7.0]])
    out, outside = domain.apply(x)
    assert out.dtype == np.float32
    assert out.tolist() == [[0.0, 0.0, 0.25, 0.5], [0.5, 0.75, 1.0, 1.0]]
    assert outside == 2 / 8
    shifted, _ = Domain(-1.0, 1.0, 3).apply(np.array([-0.4, 0.6, 2.0]))
    assert shifted.tolist() == [0.0, 1.0, 1.0]


def test_bad_domains_are_refused():
    with pytest.raises(DataFileError, match="levels"):
        Domain(0.0, 1.0, 1)
    with pytest.raises(DataFileError, match="low < high"):
        Domain(1.0, 0.0, 10)
    with pytest.raises(DataFileError, match="range"):
        Domain.from_manifest({"levels": 3})
    with pytest.raises(DataFileError, match="outside the domain's levels"):
        Domain(0.0, 1.0, 17).values(np.array([0, 17]))


def test_out_of_range_adapter_is_clipped_and_reported(tmp_path):
    protocol = make_protocol("fully-synthetic", generations=2, n_ini=200, eval_n=100)
    config = RunConfig("toy_adapters:OutOfRange", {}, "digits", protocol)
    Loop(config, RunDir(tmp_path / "r"), echo=lambda line: None).start()
    with open(tmp_path / "r" / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["clipped_frac"] == ""  # the noise floor scores real data
    for t in (1, 2):
        assert float(rows[t]["clipped_frac"]) == pytest.approx(2 / 3, abs=1 / 64)
        for name in ("samples", "eval_samples"):  # kept, fed back and scored in the domain
            kept = np.load(tmp_path / "r" / f"gen-{t:03d}" / f"{name}.npy")
            assert set(np.unique(kept).tolist()) == {0.0, 5 / 16, 1.0}


def test_vector_data_is_left_as_it_is(tmp_path):
    protocol = make_protocol("fully-synthetic", generations=1, n_ini=100, eval_n=60)
    config = RunConfig("toy_adapters:Honest", {"scale": 50.0}, "gaussian-2", protocol)
    rows = Loop(config, RunDir(tmp_path / "r"), echo=lambda line: None).start()
    assert "clipped_frac" not in rows[1]
    assert np.abs(np.load(tmp_path / "r" / "gen-001" / "eval_samples.npy")).max() > 10
