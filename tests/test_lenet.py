"""LeNet feature space: deterministic training, shipped weights verified against manifests."""

import numpy as np
import pytest
import torch

from madbench.cli import main
from madbench.data.datasets import get_dataset
from madbench.errors import DataFileError, FeatureError
from madbench.features.lenet import (
    FEATURE_DIM,
    LeNetFeatures,
    lenet_for,
    save_weights,
    train_lenet,
    weights_digest,
)


def test_training_is_deterministic(tmp_path):
    train = get_dataset("digits").split("train", n=200, seed=0)
    digests = [
        save_weights(train_lenet(train.x, train.y, epochs=2, seed=7), tmp_path / f"{i}.pt")
        for i in range(2)
    ]
    assert digests[0] == digests[1]
    other = save_weights(train_lenet(train.x, train.y, epochs=2, seed=8), tmp_path / "other.pt")
    assert other != digests[0]


def test_shipped_digits_weights_match_manifest_and_classify():
    data = get_dataset("digits")
    features = lenet_for(data)
    test = data.split("test")
    assert features.accuracy(test.x, test.y) >= 0.9
    out = features(test.x[:10])
    assert out.shape == (10, FEATURE_DIM) and out.dtype == np.float32


@pytest.mark.slow
@pytest.mark.needs_fashion_mnist
def test_shipped_fashion_weights_match_manifest_and_classify():
    data = get_dataset("fashion-mnist")
    test = data.split("test", n=2000, seed=0)
    assert lenet_for(data).accuracy(test.x, test.y) >= 0.8


def test_tampered_or_missing_weights(tmp_path):
    data = get_dataset("digits")
    spec = data.manifest.feature_weights
    from madbench.features.lenet import weights_path

    state = torch.load(weights_path(spec["file"]), weights_only=True)
    state["head.bias"] = state["head.bias"] + 1e-3
    torch.save(state, tmp_path / "tampered.pt")
    assert weights_digest(state) != spec["digest"]
    with pytest.raises(DataFileError, match="differ from the manifest"):
        LeNetFeatures(tmp_path / "tampered.pt", spec["digest"])
    with pytest.raises(FeatureError, match="missing"):
        LeNetFeatures(tmp_path / "none.pt", spec["digest"])
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(DataFileError, match="not a LeNet weights file"):
        LeNetFeatures(tmp_path / "junk.pt")
    with pytest.raises(FeatureError, match=r"grayscale images \(n, height, width\)"):
        lenet_for(data)(np.zeros((3, 8)))


def test_engine_scores_images_in_lenet_space(tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "gmm",
            "--model-args",
            "n_components=2",
            "--data",
            "digits",
            "--generations",
            "1",
            "--n-ini",
            "300",
            "--n-synth",
            "300",
            "--eval-n",
            "100",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 0
    rows = (tmp_path / "r" / "results.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",lenet," in row for row in rows[1:])


def test_train_lenet_command(tmp_path, capsys):
    assert (
        main(
            [
                "features",
                "train-lenet",
                "--data",
                "digits",
                "--epochs",
                "1",
                "--out",
                str(tmp_path / "w.pt"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "held-out accuracy" in out and "manifest entry: feature_weights" in out and "digest" in out
    )
    assert main(["features", "train-lenet", "--data", "gmm-25"]) == 2
    assert "not an image data set" in capsys.readouterr().err
