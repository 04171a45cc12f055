"""Bring your own data: image folders and array files as data sets (data add), the built-in
RGB set ``shapes`` and its modes, and chosen feature spaces in loops."""

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import yaml
from PIL import Image

import madbench
from madbench.cli import main
from madbench.data import shapes
from madbench.data.datasets import get_dataset
from madbench.data.domain import Domain
from madbench.errors import FeatureError, InputError
from madbench.features.spaces import feature_space
from madbench.home import user
from madbench.runs.rundir import RunDir


def write_pngs(folder: Path, images, labels=None) -> Path:
    """Images in [0, 1] as 8-bit PNGs, in class folders named for their mode when labelled."""
    for i, image in enumerate(images):
        where = folder if labels is None else folder / shapes.mode_name(labels[i]).replace(" ", "-")
        where.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(np.asarray(image) * 255).astype(np.uint8)).save(
            where / f"{i:04d}.png"
        )
    return folder


# -- the built-in RGB set -----------------------------------------------------------------
def test_shapes_modes_are_uniform_and_read_back_from_the_pixels():
    x, y = shapes.render(2400, np.random.default_rng(0))
    assert x.shape == (2400, 32, 32, 3) and x.dtype == np.float32
    assert np.array_equal(Domain().apply(x)[0], x)  # already at the 8-bit levels
    np.testing.assert_array_equal(shapes.classify(x), y)  # every real image read right
    assert scipy.stats.chisquare(np.bincount(y, minlength=12)).pvalue > 1e-3
    assert shapes.modes_held(x) == 12


def test_shapes_is_a_seeded_stream_like_the_other_generated_sets():
    data = get_dataset("shapes")
    assert (data.kind, data.shape, data.classes) == ("image", (32, 32, 3), 12)
    short, long = data.split("train", n=50, seed=3), data.split("train", n=1100, seed=3)
    np.testing.assert_array_equal(short.x, long.x[:50])
    assert not np.array_equal(data.split("test", n=50, seed=3).x, short.x)


@pytest.mark.slow  # about 6 s: two 8-generation loops on shapes
def test_fully_synthetic_loop_loses_modes_fresh_data_keeps_them(tmp_path):
    held = {}
    for protocol, extra in (("fully-synthetic", {}), ("fresh-data", {"n_real": 36, "n_synth": 36})):
        madbench.evaluate(
            "kde", "shapes", protocol, model_args={"bandwidth": 0.02}, generations=6, n_ini=36,
            eval_n=60, k=3, seed=0, features="identity", metrics="fid",
            out=tmp_path / protocol, **extra,
        )  # fmt: skip
        run = RunDir(tmp_path / protocol)
        held[protocol] = [shapes.modes_held(run.load_array(t, "eval_samples")) for t in range(1, 7)]
    synthetic, fresh = held["fully-synthetic"], held["fresh-data"]
    assert synthetic[0] >= 11 and synthetic[-1] <= synthetic[0] - 3, synthetic
    assert min(fresh[1:]) >= 11, fresh


# -- data add -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rgb_folder(tmp_path_factory):
    x, y = shapes.render(60, np.random.default_rng(1))
    return write_pngs(tmp_path_factory.mktemp("rgb") / "pngs", x, y), x, y


def test_image_folder_with_class_folders(rgb_folder, capsys):
    folder, x, y = rgb_folder
    assert main(["data", "add", "rgb-a", "--from", str(folder), "--test-fraction", "0.25"]) == 0
    assert "image 32x32x3, 12 classes, train: 45, test: 15" in capsys.readouterr().out
    data = get_dataset("rgb-a")
    train, test = data.split("train"), data.split("test")
    assert (data.kind, data.shape, data.classes) == ("image", (32, 32, 3), 12)
    # The stored images are the PNGs' pixels; labels are the class folders, sorted by name.
    names = sorted({shapes.mode_name(label).replace(" ", "-") for label in y})
    both = np.concatenate([train.x, test.x])
    labels = np.concatenate([train.y, test.y])
    assert sorted(map(bytes, (both * 255).round().astype(np.uint8))) == sorted(
        map(bytes, (x * 255).round().astype(np.uint8))
    )
    for image, label in zip(both, labels, strict=True):
        assert names[label] == shapes.mode_name(shapes.classify(image[None])[0]).replace(" ", "-")
    manifest = yaml.safe_load((user("manifests") / "rgb-a.yaml").read_text())
    assert manifest["domain"] == {"range": [0.0, 1.0], "levels": 256}
    assert manifest["class_names"] == names and manifest["format"] == "npz"
    assert main(["data", "verify", "rgb-a"]) == 0


def test_same_seed_same_split_and_tampering_is_refused(rgb_folder, capsys):
    folder, _, _ = rgb_folder
    for name in ("rgb-b", "rgb-c"):
        assert main(["data", "add", name, "--from", str(folder)]) == 0
    b, c = (get_dataset(n).split("test").x for n in ("rgb-b", "rgb-c"))
    np.testing.assert_array_equal(b, c)
    stored = user("data") / "rgb-c" / "train.npz"
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    capsys.readouterr()
    assert main(["data", "verify", "rgb-c"]) == 2
    err = capsys.readouterr().err
    assert "train.npz does not match its manifest" in err and len(err.strip().splitlines()) == 1
    assert main(["data", "remove", "rgb-c"]) == 0 and not (user("data") / "rgb-c").exists()


def test_grayscale_unlabelled_folder_resized_and_given_test_split(tmp_path):
    from madbench.data.imports import add_dataset

    rng = np.random.default_rng(2)
    write_pngs(tmp_path / "train", rng.random((20, 12, 10)))
    write_pngs(tmp_path / "held", rng.random((6, 12, 10)))
    write_pngs(tmp_path / "other", rng.random((6, 9, 9)))
    add_dataset("gray-a", tmp_path / "train", test_from=tmp_path / "held")
    data = get_dataset("gray-a")
    assert (data.kind, data.shape, data.classes) == ("image", (12, 10), None)
    assert len(data.split("train").x) == 20 and data.split("test").y is None
    add_dataset("gray-b", tmp_path / "train", test_from=tmp_path / "other", size=8)
    assert get_dataset("gray-b").split("test").x.shape == (6, 8, 8)
    with pytest.raises(InputError, match="--test-from holds image samples shaped"):
        add_dataset("gray-c", tmp_path / "train", test_from=tmp_path / "other")
    assert not (user("manifests") / "gray-c.yaml").exists()


def test_array_files(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((200, 5))
    np.savez(tmp_path / "v.npz", x=vectors, y=rng.integers(0, 3, 200))
    np.save(tmp_path / "img.npy", rng.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8))
    assert main(["data", "add", "vec-a", "--from", str(tmp_path / "v.npz")]) == 0
    assert main(["data", "add", "img-a", "--from", str(tmp_path / "img.npy")]) == 0
    vec, img = get_dataset("vec-a"), get_dataset("img-a")
    assert (vec.kind, vec.shape, vec.classes, vec.domain) == ("vector", (5,), 3, None)
    assert (img.kind, img.shape, img.classes) == ("image", (8, 8, 3), None)
    both = np.concatenate([vec.split("train").x, vec.split("test").x])
    assert sorted(map(tuple, both)) == sorted(map(tuple, vectors))  # stored exactly
    run = madbench.evaluate(
        "gaussian", "vec-a", generations=1, n_ini=100, eval_n=20, k=3, out=tmp_path / "run"
    )
    assert run.results.iloc[1]["features"] == "identity" and np.isfinite(run.results.iloc[1]["w2"])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: np.save(p / "s.npy", np.zeros((4, 3, 3, 2))), "expected vectors"),
        (lambda p: np.save(p / "s.npy", np.full((9, 4, 4), 1.5)), r"lie in \[0, 1\]"),
        (lambda p: np.save(p / "s.npy", np.full((9, 3), np.nan)), "NaN"),
        (lambda p: np.savez(p / "s.npz", images=np.zeros((9, 3))), "holds its samples as x"),
        (lambda p: np.savez(p / "s.npz", x=np.zeros((9, 3)), y=np.zeros(8, int)), "one label"),
        (lambda p: np.save(p / "s.npy", np.zeros((2, 3))), "cannot be split"),
        (lambda p: (p / "s.npy").write_bytes(b"\x93NUMPY garbage"), "not a plain numeric"),
    ],
)
def test_bad_array_files_are_one_line_errors(tmp_path, capsys, make, message):
    make(tmp_path)
    source = next(tmp_path.iterdir())
    assert main(["data", "add", "bad-array", "--from", str(source)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(message, err), err
    assert not (user("manifests") / "bad-array.yaml").exists()
    assert not (user("data") / "bad-array").exists()


def test_bad_folders_are_one_line_errors(tmp_path, capsys):
    rng = np.random.default_rng(4)
    write_pngs(tmp_path / "sizes", [rng.random((8, 8)), rng.random((9, 8))])
    write_pngs(tmp_path / "broken", rng.random((3, 8, 8)))
    (tmp_path / "broken" / "0001.png").write_bytes(b"not a png")
    write_pngs(tmp_path / "mixed" / "cats", rng.random((2, 8, 8)))
    write_pngs(tmp_path / "mixed", rng.random((2, 8, 8)))
    (tmp_path / "empty").mkdir()
    cases = {
        "sizes": "pass --size N",
        "broken": "0001.png: not a readable image",
        "mixed": "beside class sub-folders",
        "empty": "no images found",
    }
    for folder, message in cases.items():
        assert main(["data", "add", "bad-folder", "--from", str(tmp_path / folder)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    for name in ("digits", "shapes", "gaussian-3", "Bad_Name"):
        assert main(["data", "add", name, "--from", str(tmp_path / "sizes")]) == 2
        assert "cannot name a data set" in capsys.readouterr().err


# -- feature spaces -----------------------------------------------------------------------
def test_default_spaces_and_refusals():
    assert feature_space(None, get_dataset("gaussian-2")).name == "identity"
    assert feature_space(None, get_dataset("digits")).name == "lenet"
    assert feature_space(None, get_dataset("shapes")).name == "inception"
    assert feature_space("dinov2", get_dataset("shapes")).name == "dinov2-vitl14"
    with pytest.raises(FeatureError, match="grayscale"):
        feature_space("lenet", get_dataset("shapes"))
    with pytest.raises(FeatureError, match="holds vectors"):
        feature_space("dinov2-vits14", get_dataset("gaussian-2"))
    with pytest.raises(FeatureError, match="unknown DINOv2 variant"):
        feature_space("dinov2-vitx14", get_dataset("shapes"))
    with pytest.raises(FeatureError, match="unknown feature space 'nonsense'"):
        feature_space("nonsense", get_dataset("shapes"))


def test_custom_extractor_in_a_loop_with_its_digest(tmp_path):
    run = madbench.evaluate(
        "kde", "shapes", model_args={"bandwidth": 0.02}, generations=1, n_ini=40, eval_n=30,
        k=3, features="toy_features:ChannelStats", out=tmp_path / "run",
    )  # fmt: skip
    assert set(run.results["features"]) == {"toy_features:ChannelStats"}
    provenance = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert provenance["features"]["name"] == "toy_features:ChannelStats"
    assert len(provenance["features"]["sha256"]) == 64
    # rescore imports no code a run's config names: the user names the extractor again
    sys.modules.pop("toy_features", None)
    assert main(["rescore", str(tmp_path / "run")]) == 2
    assert "toy_features" not in sys.modules
    named = ["rescore", str(tmp_path / "run"), "--features", "toy_features:ChannelStats"]
    assert main(named) == 0  # the same space: every cell equal
    # --resume likewise, once generation 1 is gone
    shutil.rmtree(tmp_path / "run" / "gen-001")
    lines = (tmp_path / "run" / "results.csv").read_text().splitlines(keepends=True)
    (tmp_path / "run" / "results.csv").write_text("".join(lines[:2]))
    sys.modules.pop("toy_features", None)
    assert main(["evaluate", "--resume", str(tmp_path / "run")]) == 2
    assert "toy_features" not in sys.modules
    resume = ["evaluate", "--resume", str(tmp_path / "run")]
    assert main([*resume, "--features", "toy_features:ChannelStats"]) == 0


@pytest.mark.parametrize(
    "spec, message",
    [
        ("toy_features:Raises", "raised RuntimeError"),
        ("toy_features:OneRowShort", "returned 1 rows for 2 samples"),
        ("toy_features:Missing", "has no 'Missing'"),
        ("os:getcwd", "not a class"),
    ],
)
def test_broken_extractors_are_one_line_errors(tmp_path, capsys, spec, message):
    args = ["evaluate", "--model", "kde", "--data", "shapes", "--generations", "1"]
    args += ["--n-ini", "40", "--eval-n", "30", "--features", spec, "--out", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists()  # stopped before anything was written


@pytest.mark.parametrize("model", ["wgan", "ddpm"])
def test_rgb_reference_generators_run_a_loop(tmp_path, model):
    args = {
        "wgan": {"steps": 2, "width": 8},
        "ddpm": {"steps": 2, "width": 8, "T": 10, "sample_steps": 5},
    }[model]
    run = madbench.evaluate(
        model, "shapes", model_args=args, generations=1, n_ini=64, eval_n=40, k=3,
        features="identity", metrics="prdc,fid", out=tmp_path / model,
    )  # fmt: skip
    assert list(run.results["status"]) == ["ok", "ok"]
    assert RunDir(tmp_path / model).load_array(1, "eval_samples").shape == (40, 32, 32, 3)


def test_feature_extractor_from_an_entry_point(monkeypatch):
    from toy_features import ChannelStats

    import madbench.adapters as adapters

    class FakeEntryPoint:
        def load(self):
            return ChannelStats

    groups = []

    def entry_points(group):
        groups.append(group)
        return {"channel-stats": FakeEntryPoint()}

    monkeypatch.setattr(adapters, "_entry_points", entry_points)
    extractor = feature_space("channel-stats", get_dataset("shapes"))
    assert extractor.name == "channel-stats" and groups == ["madbench.features"]
    assert extractor(np.zeros((3, 32, 32, 3))).shape == (3, 6)


# -- a small grayscale set of one's own, first try -------------------------------------------
@pytest.fixture
def small_gray(tmp_path, monkeypatch):
    """120 grayscale digits (16 x 16 PNGs, labelled) added as data set ``small-gray`` to this
    test's own home: 108 training images, 12 held out."""
    from sklearn.datasets import load_digits

    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    digits = load_digits()
    images = np.kron(digits.images[:120], np.ones((2, 2))) / 16
    for i, (image, label) in enumerate(zip(images, digits.target[:120], strict=True)):
        where = tmp_path / "pngs" / str(label)
        where.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(where / f"{i}.png")
    assert main(["data", "add", "small-gray", "--from", str(tmp_path / "pngs")]) == 0
    return "small-gray"


def test_a_small_set_gets_sizes_it_holds_and_offline_hints(
    small_gray, tmp_path, capsys, monkeypatch
):
    import dataclasses

    from madbench.features import extractors, weights

    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.delenv(extractors.INCEPTION.env, raising=False)
    offline = dataclasses.replace(extractors.INCEPTION, url="http://127.0.0.1:9/x.pt")
    monkeypatch.setattr(extractors, "INCEPTION", offline)
    capsys.readouterr()
    args = ["evaluate", "--model", "gmm", "--data", small_gray, "--generations", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2  # grayscale, no LeNet, offline
    out, err = capsys.readouterr()
    assert "note: small-gray holds 108 training samples; n_ini = 108" in out
    assert "features train-lenet --data small-gray" in err and "--features identity" in err
    assert not (tmp_path / "a").exists()
    assert main([*args, "--n-ini", "500", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "fully-synthetic needs n_ini = 500 real training samples" in err and "--n-ini" in err
    fresh = ["--protocol", "fresh-data", "--generations", "3", "--n-ini", "500"]
    assert main([*args[:-2], *fresh, "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "n_ini + (generations - 1) * n_real = 500 + 2 * 100 = 700" in err
    assert main([*args, "--features", "identity", "--out", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert err.count("eval_n = 12 samples for 256 identity features") == 1


def test_train_lenet_warns_below_90_percent_and_records_its_accuracy(small_gray, capsys):
    assert main(["features", "train-lenet", "--data", small_gray, "--epochs", "1"]) == 0
    out, err = capsys.readouterr()
    accuracy = float(re.search(r"held-out accuracy ([0-9.]+)", out).group(1))
    assert accuracy < 0.9 and "is below 0.90" in err and "--features identity" in err
    assert "train LeNet" not in err  # no progress bar into a log
    entry = get_dataset(small_gray).manifest.feature_weights
    assert entry["test_accuracy"] == round(accuracy, 4) and len(entry["digest"]) == 64
