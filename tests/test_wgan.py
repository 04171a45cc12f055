"""WGAN-GP generator: contract, seeds, truncation and its trade-off, shapes."""

import numpy as np
import pytest

from madbench.adapters import check_adapter
from madbench.data.datasets import get_dataset
from madbench.errors import InputError
from madbench.features.lenet import lenet_for
from madbench.generators.wgan import WGANGenerator
from madbench.metrics.knn import knn_metrics


@pytest.fixture(scope="module")
def digits():
    return get_dataset("digits").split("train", n=300, seed=0).x


def test_contract():
    assert check_adapter("wgan", {"steps": 3, "critic_steps": 1}, data_shape=(8, 8)) == []


def test_seeded_training_and_sampling(digits):
    a = WGANGenerator(steps=5).fit(digits, seed=3)
    b = WGANGenerator(steps=5).fit(digits, seed=3)
    np.testing.assert_array_equal(a.sample(20, seed=1), b.sample(20, seed=1))
    out = a.sample(20, seed=1)
    assert out.shape == (20, 8, 8) and out.min() >= 0.0 and out.max() <= 1.0


def test_truncation_collapses_toward_the_mean_latent(digits):
    gan = WGANGenerator(steps=20).fit(digits, seed=0)
    spread = {bias: gan.sample(200, bias=bias, seed=1).std(axis=0).mean() for bias in (1.0, 0.01)}
    assert spread[0.01] < 0.2 * spread[1.0]


@pytest.mark.parametrize("shape", [(10, 64), (10, 9, 9), (1, 8, 8), (10, 8, 8, 5)])
def test_wrong_shapes(shape):
    with pytest.raises(InputError, match="needs images"):
        WGANGenerator(steps=1).fit(np.zeros(shape), seed=0)


def test_bad_settings():
    with pytest.raises(InputError, match="unknown wgan preset"):
        WGANGenerator(preset="big")
    with pytest.raises(InputError, match=r"unknown wgan options \['depth'\]"):
        WGANGenerator(depth=2)


@pytest.mark.slow  # CI runs it in its own step: pytest -m slow
def test_truncation_trades_recall_for_precision():
    """The paper's trade-off at the tiny preset, measured in the digits' LeNet features."""
    digits = get_dataset("digits")
    train = digits.split("train").x
    lenet = lenet_for(digits)
    real = lenet(train)
    gan = WGANGenerator().fit(train, seed=0)
    full, truncated = (
        knn_metrics(real, lenet(gan.sample(1000, bias=bias, seed=1))) for bias in (1.0, 0.5)
    )
    assert truncated.precision > full.precision + 0.02
    assert truncated.recall < full.recall - 0.1 and truncated.coverage < full.coverage


def test_save_load_sample_reproduces(digits, tmp_path):
    gan = WGANGenerator(steps=5).fit(digits, seed=0)
    gan.save(tmp_path)
    loaded = WGANGenerator(preset="paper").load(tmp_path)
    np.testing.assert_array_equal(
        loaded.sample(30, bias=0.7, seed=2), gan.sample(30, bias=0.7, seed=2)
    )


def test_colour_images_keep_their_channels(tmp_path):
    from madbench.data.shapes import render

    x, _ = render(64, np.random.default_rng(0))
    gan = WGANGenerator(steps=3, width=8).fit(x, seed=0)
    samples = gan.sample(5, seed=1)
    assert samples.shape == (5, 32, 32, 3) and np.isfinite(samples).all()
    assert gan.net[-2].out_channels == 3 and gan.meta()["width"] == 8
    gan.save(tmp_path)
    again = WGANGenerator().load(tmp_path).sample(5, seed=1)
    np.testing.assert_array_equal(again, samples)
