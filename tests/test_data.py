"""Data sets: the IDX reader, manifests and their verification, generated and stored sets."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest
import yaml

from madbench.cli import main
from madbench.data import manifest as manifests
from madbench.data.datasets import GMM_GRID, get_dataset
from madbench.data.idx import read_idx, write_idx
from madbench.errors import DataFileError, InputError


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_idx_reads_the_mnist_layout_byte_for_byte(tmp_path):
    # Header by hand: 0, 0, type 0x08, 3 dims, sizes 2 x 2 x 3, then the pixels.
    raw = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(12))
    (tmp_path / "x-idx3-ubyte").write_bytes(raw)
    np.testing.assert_array_equal(
        read_idx(tmp_path / "x-idx3-ubyte"), np.arange(12).reshape(2, 2, 3)
    )


def test_corrupt_idx_files(tmp_path):
    write_idx(tmp_path / "ok.idx", np.zeros((4, 5), np.uint8))
    raw = (tmp_path / "ok.idx").read_bytes()
    (tmp_path / "short.idx").write_bytes(raw[:-3])
    (tmp_path / "magic.idx").write_bytes(b"\x01\x02" + raw[2:])
    (tmp_path / "bad.gz").write_bytes(gzip.compress(raw)[:30])
    with pytest.raises(
        DataFileError, match=r"IDX shape \(4, 5\) needs 32 bytes but the file has 29"
    ):
        read_idx(tmp_path / "short.idx")
    with pytest.raises(DataFileError, match="not an IDX file"):
        read_idx(tmp_path / "magic.idx")
    with pytest.raises(DataFileError, match="cannot be read"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(DataFileError, match="no such file"):
        read_idx(tmp_path / "missing.idx")


def test_generated_sets_are_seeded_and_split(rng):
    data = get_dataset("gaussian-100")
    a, b = data.split("train", n=4000, seed=3), data.split("train", n=4000, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, data.split("test", n=4000, seed=3).x)
    assert not np.array_equal(a.x, data.split("train", n=4000, seed=4).x)
    assert a.x.shape == (4000, 100) and a.y is None
    assert np.abs(a.x.mean(axis=0)).max() < 0.1
    assert np.abs(np.cov(a.x, rowvar=False) - np.eye(100)).max() < 0.15


def test_gmm_25_modes():
    split = get_dataset("gmm-25").split("train", n=5000)
    assert set(np.unique(split.y)) == set(range(25))
    means = np.array([(a, b) for a in GMM_GRID for b in GMM_GRID])
    assert np.abs(split.x - means[split.y]).max() < 0.5
    assert 0.04 < (split.x - means[split.y]).std() < 0.06


def test_digits_splits():
    data = get_dataset("digits")
    train, test = data.split("train"), data.split("test")
    assert train.x.shape == (1437, 8, 8) and test.x.shape == (360, 8, 8)
    assert train.x.dtype == np.float32 and 0.0 <= train.x.min() and train.x.max() == 1.0
    assert set(np.unique(test.y)) == set(range(10))
    sub = data.split("train", n=100, seed=1)
    assert sub.x.shape == (100, 8, 8) and len(np.unique(sub.x.reshape(100, -1), axis=0)) == 100
    with pytest.raises(InputError, match="has 360 samples; asked for 361"):
        data.split("test", n=361)
    with pytest.raises(InputError, match="unknown split"):
        data.split("validation")


@pytest.mark.parametrize(
    "name,hint",
    [("fashion_mnist", "fashion-mnist"), ("gausian-2", "gaussian-2"), ("digit", "digits")],
)
def test_unknown_names_suggest(name, hint):
    with pytest.raises(InputError, match=f"did you mean '{hint}'"):
        get_dataset(name)


@pytest.fixture
def tiny_fashion(tmp_path, monkeypatch):
    """Four tiny IDX files and a manifest for them, in place of the real Fashion-MNIST."""
    files, entries = tmp_path / "files", {}
    files.mkdir()
    arrays = {
        "train-images": np.arange(5 * 28 * 28, dtype=np.uint8).reshape(5, 28, 28),
        "train-labels": np.arange(5, dtype=np.uint8),
        "test-images": np.full((2, 28, 28), 255, np.uint8),
        "test-labels": np.array([7, 9], np.uint8),
    }
    for key, array in arrays.items():
        write_idx(files / f"{key}.gz", array, compress=True)
        raw = gzip.decompress((files / f"{key}.gz").read_bytes())
        entries[key] = {
            "path": f"{key}.gz",
            "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "shape": list(array.shape),
        }
    real = yaml.safe_load(manifests.manifest_path("fashion-mnist").read_text())
    real["files"], real["name"] = entries, "tiny-fashion"
    (tmp_path / "home" / "manifests").mkdir(parents=True)
    (tmp_path / "home" / "manifests" / "tiny-fashion.yaml").write_text(yaml.safe_dump(real))
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    return files


def test_fashion_reader_on_tiny_files(tiny_fashion):
    data = get_dataset("tiny-fashion", data_dir=str(tiny_fashion))
    train, test = data.split("train"), data.split("test")
    assert train.x.shape == (5, 28, 28) and train.x.dtype == np.float32
    np.testing.assert_allclose(train.x[0, 0, :3], np.array([0, 1, 2]) / 255.0)
    assert test.x.max() == 1.0 and list(test.y) == [7, 9]


def test_a_changed_file_is_refused_by_name(tiny_fashion):
    write_idx(tiny_fashion / "test-labels.gz", np.array([7, 8], np.uint8), compress=True)
    with pytest.raises(
        manifests.VerificationError, match=r"test-labels.gz does not match its manifest"
    ):
        get_dataset("tiny-fashion", data_dir=str(tiny_fashion)).split("train")
    (tiny_fashion / "train-images.gz").unlink()
    with pytest.raises(manifests.VerificationError) as info:
        get_dataset("tiny-fashion", data_dir=str(tiny_fashion)).verify()
    assert "train-images.gz is missing" in str(info.value)
    assert "test-labels.gz does not match" in str(info.value)


def test_digits_copy_verifies_and_corruption_is_caught(tmp_path):
    source = get_dataset("digits").directory / "digits.csv.gz"
    shutil.copy(source, tmp_path / "digits.csv.gz")
    get_dataset("digits", data_dir=str(tmp_path)).verify()
    raw = bytearray(gzip.decompress(source.read_bytes()))
    raw[100] = ord("9") if raw[100] != ord("9") else ord("8")
    (tmp_path / "digits.csv.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(manifests.VerificationError, match="digits.csv.gz does not match"):
        get_dataset("digits", data_dir=str(tmp_path)).split("train")


@pytest.mark.slow
@pytest.mark.needs_fashion_mnist
def test_real_fashion_mnist():
    data = get_dataset("fashion-mnist")
    train, test = data.split("train"), data.split("test")
    assert train.x.shape == (60000, 28, 28) and test.x.shape == (10000, 28, 28)
    assert np.bincount(test.y).tolist() == [1000] * 10


def test_cli_data_commands(capsys, tmp_path):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist" in out and "gmm-25" in out and "train: 1437, test: 360" in out
    from madbench.data.datasets import catalogue

    rows = {row["name"]: row for row in catalogue()}
    assert rows["digits"]["splits"] == {"train": 1437, "test": 360}
    assert rows["gaussian-<d>"]["shape"] == "d" and rows["digits"]["shape"] == "8x8"
    assert main(["data", "verify", "digits"]) == 0
    assert "digits: 1 of 1 files match" in capsys.readouterr().out
    assert main(["data", "verify", "digits", "--data-dir", str(tmp_path)]) == 0
    assert "digits is not installed (none of its files is in" in capsys.readouterr().out
    (tmp_path / "digits.csv.gz").write_bytes(b"damaged")
    assert main(["data", "verify", "digits", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "digits.csv.gz" in err


def test_a_set_not_installed_says_how_to_install_it(tmp_path, capsys):
    assert main(["data", "verify", "fashion-mnist", "--data-dir", str(tmp_path)]) == 0
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().out


def test_user_idx_set_added_trained_and_evaluated(tmp_path, monkeypatch, capsys):
    """MNIST-style files a user points at: manifest written, verified, LeNet trained, run."""
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    files = tmp_path / "mnist-like"
    files.mkdir()
    labels = rng.integers(0, 10, 600).astype(np.uint8)
    images = (rng.random((600, 12, 12)) * 60 + labels[:, None, None] * 19).astype(np.uint8)
    write_idx(files / "train-images-idx3-ubyte.gz", images[:500], compress=True)
    write_idx(files / "train-labels-idx1-ubyte.gz", labels[:500], compress=True)
    write_idx(files / "t10k-images-idx3-ubyte", images[500:])
    write_idx(files / "t10k-labels-idx1-ubyte", labels[500:])

    assert main(["data", "add", "tiny", "--from", str(files)]) == 0
    assert main(["data", "verify", "tiny"]) == 0
    assert "tiny: 4 of 4 files match" in capsys.readouterr().out
    assert main(["data", "add", "tiny", "--data-dir", str(files)]) == 2  # no silent overwrite
    assert "exists already" in capsys.readouterr().err  # (--data-dir: --from's former name)
    weights = tmp_path / "lenet-tiny.pt"
    assert (
        main(["features", "train-lenet", "--data", "tiny", "--epochs", "2", "--out", str(weights)])
        == 0
    )
    assert "recorded in" in capsys.readouterr().out
    assert get_dataset("tiny").manifest.feature_weights["file"] == str(weights)
    code = main(
        [
            "evaluate",
            "--model",
            "gaussian",
            "--data",
            "tiny",
            "--generations",
            "1",
            "--n-ini",
            "300",
            "--n-synth",
            "100",
            "--eval-n",
            "100",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    (files / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x05")
    assert main(["data", "verify", "tiny"]) == 2
    assert "t10k-labels-idx1-ubyte does not match" in capsys.readouterr().err
