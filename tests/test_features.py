"""Feature extraction: identity, and the Inception path through clean-fid (with a stand-in
TorchScript network, since the real weights cannot be downloaded here)."""

import dataclasses
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from madbench.errors import DataFileError, FeatureError
from madbench.features import extractors, weights
from madbench.features.extractors import (
    IdentityFeatures,
    InceptionFeatures,
    resolve_inception_weights,
)
from madbench.features.files import load_features, load_stats_or_features


class _Layers(torch.nn.Module):
    def forward(self, x):
        # (B, 3, 299, 299) in [-1, 1] -> (B, 2048, 1, 1): pooled colours, repeated.
        pooled = torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1)  # 192 values
        return pooled.repeat(1, 11)[:, :2048].reshape(-1, 2048, 1, 1)


class _StandIn(torch.nn.Module):
    """Same interface as the TorchScript Inception file clean-fid loads."""

    def __init__(self):
        super().__init__()
        self.layers = _Layers()

    def forward(self, x, return_features: bool = False):
        return self.layers(x)


@pytest.fixture
def stand_in_weights(tmp_path):
    path = tmp_path / "my-weights.pt"
    torch.jit.script(_StandIn()).save(str(path))
    return path


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(6, 32, 32, 3), dtype=np.uint8)


@pytest.fixture
def image_folder(tmp_path, images):
    folder = tmp_path / "images" / "nested"
    folder.mkdir(parents=True)
    for i, pixels in enumerate(images):
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return tmp_path / "images"


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No weights anywhere, and a download URL that refuses at once."""
    monkeypatch.delenv(extractors.INCEPTION.env, raising=False)
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    refusing = dataclasses.replace(
        extractors.INCEPTION,
        url="http://127.0.0.1:9/inception-2015-12-05.pt",
    )
    monkeypatch.setattr(extractors, "INCEPTION", refusing)


def test_identity_returns_validated_array(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    assert IdentityFeatures()(x) is x


def test_folder_features_through_clean_fid(stand_in_weights, image_folder):
    extractor = InceptionFeatures(stand_in_weights, device="cpu")
    feats = extractor.folder(image_folder)
    assert feats.shape == (6, 2048) and feats.dtype == np.float32
    np.testing.assert_array_equal(
        feats, InceptionFeatures(stand_in_weights, device="cpu").folder(image_folder)
    )
    assert len(np.unique(feats[:, 0])) == 6  # one row per distinct image


def test_image_array_equals_folder(stand_in_weights, image_folder, images):
    extractor = InceptionFeatures(stand_in_weights, device="cpu", batch_size=4)
    np.testing.assert_allclose(extractor(images), extractor(str(image_folder)), rtol=1e-6)
    # A loop's float images in [0, 1]: 8-bit values, grayscale repeated over the channels.
    gray = images[..., 0]
    np.testing.assert_array_equal(
        extractor(gray / np.float32(255)), extractor(np.repeat(gray[..., None], 3, axis=-1))
    )
    with pytest.raises(FeatureError, match=r"lie in \[0, 1\]"):
        extractor(np.full((2, 32, 32), 2.0))
    with pytest.raises(FeatureError, match=r"\(n, height, width, 1 or 3\), got \(6, 32, 32, 2\)"):
        extractor(np.zeros((6, 32, 32, 2)))


def test_weights_from_environment(stand_in_weights, monkeypatch):
    monkeypatch.setenv(extractors.INCEPTION.env, str(stand_in_weights))
    assert resolve_inception_weights() == stand_in_weights


def test_offline_without_weights_says_what_to_do(offline, image_folder):
    with pytest.raises(FeatureError) as info:
        InceptionFeatures(device="cpu").folder(image_folder)
    message = str(info.value)
    assert "--feature-weights" in message and extractors.INCEPTION.env in message
    assert "inception-2015-12-05.pt" in message


def test_failed_download_leaves_no_partial_file(offline, tmp_path):
    with pytest.raises(FeatureError):
        resolve_inception_weights()
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_weights_planted_in_the_temporary_folder_are_never_used(offline, stand_in_weights):
    """clean-fid keeps its copy in the world-writable temporary folder; madbench never looks
    there (a TorchScript file is a program), so a file planted there is not loaded."""
    planted = Path(tempfile.gettempdir()) / extractors.INCEPTION_FILENAME
    if planted.exists():
        pytest.skip(f"{planted} exists on this machine; not replacing it")
    planted.write_bytes(stand_in_weights.read_bytes())
    try:
        with pytest.raises(FeatureError, match="not available offline"):
            resolve_inception_weights()
    finally:
        planted.unlink()


def test_weights_with_a_published_digest_are_checked_unless_named(offline, tmp_path, monkeypatch):
    """Where a publisher gives a sha256, a cached (or downloaded) file must have it; a file
    the user names explicitly is taken as given (its digest goes into provenance)."""
    good = b"the published weights"
    network = dataclasses.replace(extractors.INCEPTION, sha256=hashlib.sha256(good).hexdigest())
    cached = tmp_path / "cache" / network.filename
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"something else")
    with pytest.raises(FeatureError, match="not the published") as info:
        weights.resolve(network)
    assert "--feature-weights" in str(info.value)
    assert weights.resolve(network, cached) == cached  # named explicitly: used as given
    cached.write_bytes(good)
    assert weights.resolve(network) == cached


def test_missing_or_broken_weights(tmp_path, image_folder):
    with pytest.raises(FeatureError, match="does not exist"):
        resolve_inception_weights(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage")
    with pytest.raises(FeatureError, match="not a TorchScript Inception file"):
        InceptionFeatures(junk, device="cpu").folder(image_folder)


def test_empty_folder(tmp_path, stand_in_weights):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FeatureError, match="no images found"):
        InceptionFeatures(stand_in_weights, device="cpu").folder(tmp_path / "empty")


def test_feature_files(tmp_path, rng):
    x = rng.standard_normal((20, 3))
    np.save(tmp_path / "a.npy", x)
    np.savez(tmp_path / "b.npz", features=x, labels=np.arange(20))
    np.savez(tmp_path / "c.npz", anything=x)
    np.savez(tmp_path / "two.npz", a=x, b=x)
    np.savez(tmp_path / "stats.npz", mu=x.mean(0), sigma=np.cov(x, rowvar=False), n=20)
    for name in ("a.npy", "b.npz", "c.npz"):
        np.testing.assert_array_equal(load_features(tmp_path / name), x)
    with pytest.raises(DataFileError, match="several arrays"):
        load_features(tmp_path / "two.npz")
    with pytest.raises(DataFileError, match="holds Gaussian statistics"):
        load_features(tmp_path / "stats.npz")
    assert load_stats_or_features(tmp_path / "stats.npz").n == 20
    assert load_stats_or_features(tmp_path / "a.npy").n == 20
    (tmp_path / "x.csv").write_text("1,2")
    with pytest.raises(DataFileError, match="unsupported file type .csv"):
        load_features(tmp_path / "x.csv")
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "a.npy").read_bytes()[:100])
    with pytest.raises(DataFileError, match="not a plain numeric .npy"):
        load_features(tmp_path / "trunc.npy")
