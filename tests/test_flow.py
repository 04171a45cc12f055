"""The RealNVP-type flow generator (`flow`, tiny preset on the CPU)."""

import numpy as np
import pytest

from madbench.adapters import check_adapter
from madbench.cli import main
from madbench.errors import InputError
from madbench.generators.flow import FlowGenerator
from madbench.metrics.knn import knn_metrics


def test_contract():
    assert check_adapter("flow", {"steps": 30}) == []
    assert check_adapter("flow", {"steps": 30}, data_shape=(3, 4)) == []


def test_fits_a_gaussian_to_its_entropy(rng):
    """Mean log-density of held-out N(0, I_2) samples approaches -entropy = -log(2 pi e)."""
    flow = FlowGenerator(steps=600).fit(rng.standard_normal((4000, 2)), seed=0)
    mean_log_prob = flow.log_prob(rng.standard_normal((4000, 2))).mean()
    assert mean_log_prob == pytest.approx(-np.log(2 * np.pi * np.e), abs=0.1)


def test_training_lowers_the_loss(rng):
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    flow = FlowGenerator().fit(
        centres[rng.integers(0, 3, 1000)] + rng.standard_normal((1000, 2)), seed=0
    )
    assert np.mean(flow.losses_[-50:]) < np.mean(flow.losses_[:50]) - 0.3


def test_lower_lambda_trades_recall_for_precision(rng):
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    real = centres[rng.integers(0, 3, 2000)] + rng.standard_normal((2000, 2))
    flow = FlowGenerator().fit(real, seed=0)
    full = knn_metrics(real, flow.sample(2000, bias=1.0, seed=1))
    biased = knn_metrics(real, flow.sample(2000, bias=0.5, seed=1))
    assert biased.precision >= full.precision and biased.density > full.density
    assert biased.recall < full.recall and biased.coverage < full.coverage


def test_same_seed_same_model_and_samples(rng):
    x = rng.standard_normal((300, 3))
    a, b = FlowGenerator(steps=40).fit(x, seed=5), FlowGenerator(steps=40).fit(x, seed=5)
    np.testing.assert_array_equal(a.sample(50, seed=1), b.sample(50, seed=1))
    assert not np.array_equal(a.sample(50, seed=1), a.sample(50, seed=2))


def test_bad_settings_and_data(rng):
    with pytest.raises(InputError, match="unknown flow preset 'huge'"):
        FlowGenerator(preset="huge")
    with pytest.raises(InputError, match=r"unknown flow options \['depth'\]"):
        FlowGenerator(depth=3)
    with pytest.raises(InputError, match="at least 2 dimensions"):
        FlowGenerator(steps=5).fit(rng.standard_normal((50, 1)), seed=0)


def test_flow_through_evaluate(tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "flow",
            "--model-args",
            "steps=60",
            "--data",
            "gmm-25",
            "--generations",
            "2",
            "--n-ini",
            "500",
            "--n-synth",
            "500",
            "--eval-n",
            "300",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "r" / "gen-002" / "model" / "flow.pt").is_file()
