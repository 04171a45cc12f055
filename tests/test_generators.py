"""Reference generators: fitting, the bias lambda, reproducibility and save/load."""

import numpy as np
import pytest

from madbench.adapters import check_adapter
from madbench.errors import InputError
from madbench.generators.gaussian import GaussianGenerator
from madbench.generators.gmm import GMMGenerator
from madbench.generators.kde import KDEGenerator
from madbench.metrics.knn import knn_metrics

GENERATORS = [GaussianGenerator, GMMGenerator, KDEGenerator]


@pytest.mark.parametrize("alias", ["gaussian", "gmm", "kde"])
def test_contract(alias):
    assert check_adapter(alias) == []
    assert check_adapter(alias, data_shape=(3, 4)) == []  # image-like samples keep their shape


def test_gaussian_fits_unbiased_covariance_and_lambda_scales_it(rng):
    x = rng.standard_normal((50, 3)) @ np.diag([1.0, 2.0, 0.5])
    g = GaussianGenerator().fit(x, seed=0)
    np.testing.assert_allclose(g.cov_, np.cov(x, rowvar=False, ddof=1), rtol=1e-12)
    samples = g.sample(200_000, bias=0.8, seed=1)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), 0.8 * g.cov_, atol=0.03)


def test_gmm_lambda_scales_component_covariances(rng):
    x = np.concatenate([rng.normal(-5, 1, (500, 1)), rng.normal(5, 1, (500, 1))])
    g = GMMGenerator(n_components=2).fit(x, seed=0)
    for bias in (1.0, 0.5):
        s = g.sample(100_000, bias=bias, seed=1)
        within = np.concatenate([s[s < 0] + 5, s[s > 0] - 5])
        assert within.var() == pytest.approx(bias, rel=0.05)


def test_kde_lambda_scales_bandwidth(rng):
    x = np.zeros((10, 2))
    g = KDEGenerator(bandwidth=0.5).fit(x, seed=0)
    assert g.sample(100_000, bias=0.6, seed=1).std() == pytest.approx(0.3, rel=0.02)
    assert KDEGenerator().fit(rng.standard_normal((1000, 2)), seed=0).h_ == pytest.approx(
        1000 ** (-1 / 6), rel=0.1
    )


@pytest.mark.parametrize("cls", [GaussianGenerator, GMMGenerator])
def test_lower_lambda_trades_recall_for_precision(cls, rng):
    """The paper's trade-off, measured with madbench's own metrics. (A KDE's samples sit on its
    training points, so a narrower kernel raises precision without costing recall in one
    generation: see test_kde_lambda_raises_precision.)"""
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    real = centres[rng.integers(0, 3, 2000)] + rng.standard_normal((2000, 2))
    model = cls().fit(real, seed=0)
    full = knn_metrics(real, model.sample(2000, bias=1.0, seed=1))
    biased = knn_metrics(real, model.sample(2000, bias=0.5, seed=1))
    assert biased.precision > full.precision and biased.recall < full.recall


def test_kde_lambda_raises_precision(rng):
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    real = centres[rng.integers(0, 3, 2000)] + rng.standard_normal((2000, 2))
    model = KDEGenerator().fit(real, seed=0)
    full = knn_metrics(real, model.sample(2000, bias=1.0, seed=1))
    assert knn_metrics(real, model.sample(2000, bias=0.5, seed=1)).precision > full.precision


@pytest.mark.parametrize("cls", GENERATORS)
def test_bad_input(cls):
    with pytest.raises(InputError, match="call fit"):
        cls().sample(3, seed=0)
    with pytest.raises(InputError, match="at least 2 samples"):
        cls().fit(np.zeros((1, 2)), seed=0)
    with pytest.raises(InputError, match="NaN"):
        cls().fit(np.array([[0.0, np.nan], [1, 2]]), seed=0)
    with pytest.raises(InputError, match=r"bias \(lambda\) must be in \(0, 1\]"):
        cls().fit(np.random.default_rng(0).standard_normal((20, 2)), seed=0).sample(
            3, bias=1.5, seed=0
        )


@pytest.mark.parametrize(
    "model,args,message",
    [
        ("gmm", "n_components=abc", "gmm: n_components must be an integer >= 1, got 'abc'"),
        ("gmm", "n_components=0", "gmm: n_components must be an integer >= 1, got 0"),
        ("gmm", "reg_covar=-1", "gmm: reg_covar must be a number > 0, got -1"),
        ("kde", "bandwidth=wide", "kde: bandwidth must be a number > 0, got 'wide'"),
        ("flow", "steps=0", "flow: steps must be an integer >= 1, got 0"),
        ("wgan", "width=2.5", "wgan: width must be an integer >= 1, got 2.5"),
        ("ddpm", "ema=1.5", "ddpm: ema must be a number in [0, 1), got 1.5"),
        ("ddpm", "preset=3", "unknown ddpm preset 3"),
    ],
)
def test_bad_constructor_arguments_stop_before_anything_is_written(
    tmp_path, capsys, model, args, message
):
    from madbench.cli import main

    out = tmp_path / "run"
    code = main(["evaluate", "--model", model, "--data", "digits", "--model-args", args,
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr()
    assert code == 2 and message in err.err and len(err.err.strip().splitlines()) == 1
    assert not out.exists() and "run directory" not in err.out


def test_torch_generators_read_back_their_arguments():
    from madbench.adapters import instance_args
    from madbench.generators.wgan import WGANGenerator

    assert instance_args(WGANGenerator("tiny", device="cpu", steps=5)) == {
        "preset": "tiny", "device": "cpu", "steps": 5
    }  # fmt: skip
