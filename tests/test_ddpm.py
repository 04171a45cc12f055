"""The conditional DDPM (`ddpm`), tiny preset on the CPU, on scikit-learn's digits."""

import copy
import csv

import numpy as np
import pytest
import torch

from madbench.adapters import check_adapter
from madbench.cli import main
from madbench.data.datasets import get_dataset
from madbench.errors import InputError
from madbench.features.lenet import lenet_for
from madbench.generators.ddpm import DDPMGenerator
from madbench.metrics.knn import knn_metrics

QUICK = {"steps": 4, "T": 6, "sample_steps": 3}  # plumbing tests: shapes and seeds, not quality


@pytest.fixture(scope="module")
def digits():
    return get_dataset("digits")


@pytest.fixture(scope="module")
def fitted(digits):
    """The tiny preset trained on the 1437 training digits (about 20 s on two cores)."""
    train = digits.split("train")
    return DDPMGenerator().fit(train.x, labels=train.y, seed=0)


def test_contract():
    assert check_adapter("ddpm", QUICK, data_shape=(8, 8)) == []
    assert check_adapter("ddpm", {**QUICK, "sampler": "ddim"}, data_shape=(12, 8)) == []


@pytest.mark.slow  # trains the shared model: 8 s
def test_training_lowers_the_loss(fitted):
    assert np.mean(fitted.losses_[-50:]) < 0.5 * np.mean(fitted.losses_[:20])


@pytest.mark.slow  # trains the shared model: 8 s
def test_samples_are_of_the_asked_class_more_so_under_guidance(fitted, digits):
    """The digits' own LeNet reads samples as the class they were drawn for (chance: 0.1)."""
    labels = np.arange(300) % 10
    lenet = lenet_for(digits)
    images = {bias: fitted.sample(300, bias=bias, seed=1, labels=labels) for bias in (1.0, 0.5)}
    assert images[1.0].shape == (300, 8, 8)
    assert images[1.0].min() >= 0.0 and images[1.0].max() <= 1.0
    assert lenet.accuracy(images[1.0], labels) > 0.7  # 0.80 when written
    assert lenet.accuracy(images[0.5], labels) > 0.9  # 0.99: guidance w = 1 sharpens the class


@pytest.mark.slow  # CI runs it in its own step: pytest -m slow
def test_guidance_trades_recall_for_precision(fitted, digits):
    """The paper's trade-off: lambda = 0.5 (w = 1) against lambda = 1, in LeNet features."""
    lenet = lenet_for(digits)
    real = lenet(digits.split("train").x)
    full, guided = (
        knn_metrics(real, lenet(fitted.sample(1000, bias=bias, seed=2))) for bias in (1.0, 0.5)
    )
    assert guided.precision > full.precision + 0.01 and guided.density > full.density
    assert guided.recall < full.recall - 0.05 and guided.coverage < full.coverage


@pytest.mark.slow  # trains the shared model: 8 s
def test_ddim_sampler_is_deterministic_given_the_noise(fitted, digits):
    ddim = copy.copy(fitted)
    ddim.settings = {**fitted.settings, "sampler": "ddim"}  # 20 steps instead of T = 50
    labels = np.arange(200) % 10
    images = ddim.sample(200, bias=0.5, seed=3, labels=labels)
    np.testing.assert_array_equal(images, ddim.sample(200, bias=0.5, seed=3, labels=labels))
    assert not np.array_equal(images, fitted.sample(200, bias=0.5, seed=3, labels=labels))
    assert lenet_for(digits).accuracy(images, labels) > 0.85  # 0.95 when written


@pytest.mark.slow  # trains the shared model: 8 s
def test_save_load_sample_reproduces(fitted, tmp_path):
    fitted.save(tmp_path)
    loaded = DDPMGenerator(preset="paper").load(tmp_path)  # the checkpoint's settings win
    assert loaded.settings == fitted.settings and loaded.n_classes_ == 10
    np.testing.assert_array_equal(
        loaded.sample(40, bias=0.66, seed=4), fitted.sample(40, bias=0.66, seed=4)
    )


def test_same_seed_same_model_and_samples(digits):
    train = digits.split("train", n=200, seed=0)
    a, b = (DDPMGenerator(**QUICK).fit(train.x, labels=train.y, seed=7) for _ in range(2))
    np.testing.assert_array_equal(a.sample(30, seed=1), b.sample(30, seed=1))
    assert not np.array_equal(a.sample(30, seed=1), a.sample(30, seed=2))
    # Default labels: every class equally often.
    assert a.sample(20, seed=1).shape == (20, 8, 8)


def test_partial_fit_goes_on_from_the_current_weights(digits):
    train = digits.split("train", n=200, seed=0)
    model = DDPMGenerator(**QUICK).fit(train.x, labels=train.y, seed=0)
    before = [p.detach().clone() for p in model.net.parameters()]
    model.partial_fit(train.x, labels=train.y, seed=1)
    assert len(model.losses_) == 2 * QUICK["steps"]
    after = model.net.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize(
    "shape,labels,message",
    [
        ((10, 64), np.zeros(10, int), "needs images"),
        ((10, 9, 9), np.zeros(10, int), "needs images"),
        ((10, 8, 8), None, "conditional: pass labels="),
        ((10, 8, 8), np.zeros(9, int), "labels must be 10 integers"),
        ((10, 8, 8), np.zeros(10), "labels must be 10 integers"),
        ((10, 8, 8), -np.ones(10, int), "class indices non-negative"),
    ],
)
def test_bad_training_data(shape, labels, message):
    with pytest.raises(InputError, match=message):
        DDPMGenerator(**QUICK).fit(np.zeros(shape), labels=labels, seed=0)


def test_bad_sampling_requests_and_settings(digits):
    train = digits.split("train", n=100, seed=0)
    model = DDPMGenerator(**QUICK).fit(train.x, labels=train.y, seed=0)
    with pytest.raises(InputError, match=r"class indices 0\.\.9, got 0\.\.10"):
        model.sample(11, seed=0, labels=np.arange(11))
    with pytest.raises(InputError, match=r"lambda\) must be in \(0, 1\]"):
        model.sample(5, bias=0.0, seed=0)
    with pytest.raises(InputError, match="call fit"):
        DDPMGenerator().sample(5, seed=0)
    with pytest.raises(InputError, match="unknown sampler 'euler'"):
        DDPMGenerator(sampler="euler")
    with pytest.raises(InputError, match=r"sample_steps must be in \[2, T = 50\]"):
        DDPMGenerator(sample_steps=80)
    with pytest.raises(InputError, match=r"unknown ddpm options \['depth'\]"):
        DDPMGenerator(depth=2)


@pytest.mark.slow  # CI runs it in its own step: pytest -m slow
def test_three_generations_fully_synthetic_on_digits(tmp_path, capsys):
    """A loop: `ddpm` tiny, fully synthetic, 3 generations, through `madbench evaluate`
    (200 training steps and 20 DDIM steps, so that the test suite stays within minutes)."""
    out = tmp_path / "run"
    args = ["evaluate", "--model", "ddpm", "--data", "digits", "--protocol", "fully-synthetic"]
    args += ["--model-args", "steps=200,sampler=ddim,sample_steps=20"]
    sizes = ["--generations", "3", "--n-ini", "500", "--n-synth", "500", "--eval-n", "300"]
    assert main([*args, *sizes, "--out", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "generation 3/3: training on 500 samples (0 real, 500 synthetic)" in printed
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["status"] for r in rows] == ["ok"] * 4 and rows[1]["features"] == "lenet"
    assert float(rows[1]["precision"]) > 0.7 and float(rows[1]["recall"]) > 0.7
    for t in (1, 2, 3):
        gen = out / f"gen-{t:03d}"
        assert (gen / "samples.png").is_file() and (gen / "model" / "ddpm.pt").is_file()
        assert np.bincount(np.load(gen / "labels.npy")).tolist() == [50] * 10


@pytest.mark.parametrize("model", ["ddpm", "wgan"])
def test_image_models_refuse_vector_data_before_writing(model, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["evaluate", "--model", model, "--data", "gmm-25", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{model} takes image data; gmm-25 is vector data" in err and err.count("\n") == 1
    assert not out.exists()


def test_colour_images_keep_their_channels(tmp_path):
    from madbench.data.shapes import render

    x, y = render(64, np.random.default_rng(0))
    model = DDPMGenerator(steps=3, width=8, T=10, sample_steps=3, sampler="ddim")
    model.fit(x, labels=y, seed=0)
    samples = model.sample(6, seed=1)
    assert samples.shape == (6, 32, 32, 3) and 0 <= samples.min() and samples.max() <= 1
    assert model.net.inp.in_channels == 3 and model.net.out[-1].out_channels == 3
    model.save(tmp_path)
    again = DDPMGenerator(steps=3, width=8, T=10, sample_steps=3, sampler="ddim").load(tmp_path)
    np.testing.assert_array_equal(again.sample(6, seed=1), samples)
