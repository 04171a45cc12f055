"""CLIP features (madbench.features.clip) on stand-in weights, against CMMD's authors'
preprocessing written out separately here: PIL's centre crop and bicubic resize, torch's
bicubic resize to the same side, transformers' own CLIPImageProcessor for the normalisation,
and a CLIPVisionModelWithProjection built from a hand-written config; then CMMD through the
command line against the float64 reference. The stand-in is clip-small (CLIP's 336 x 336
input in a narrow two-layer tower), so these run in a second."""

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image

from madbench.checks.references import cmmd_reference
from madbench.cli import main
from madbench.errors import DataFileError, FeatureError
from madbench.features import clip, standins, weights
from madbench.features.clip import ClipFeatures


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "clip-small.safetensors"
    return path, standins.clip(path, small=True)


def write_images(folder, seed, sizes=((40, 30), (30, 52), (33, 33), (64, 20))):
    """Non-square RGB images of several sizes, so that the centre crop matters."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i, (w, h) in enumerate(sizes * 2):
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    return folder


def authors_embeddings(folder, weights_path):
    """CMMD's pipeline (google-research/cmmd: io_util, embedding), written out here."""
    from safetensors.torch import load_file
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    size = 336
    images = []
    for file in sorted(folder.glob("*.png")):
        im = Image.open(file).convert("RGB")
        w, h = im.size
        side = min(w, h)
        top, left = (h - side) // 2, (w - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        images.append(np.asarray(im).astype(np.float32) / 255.0)
    batch = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2))
    batch = torch.nn.functional.interpolate(batch, size=(size, size), mode="bicubic")
    inputs = CLIPImageProcessor()(
        images=batch.permute(0, 2, 3, 1).numpy(),
        do_normalize=True,
        do_center_crop=False,
        do_resize=False,
        do_rescale=False,
        return_tensors="pt",
    )
    config = CLIPVisionConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=1,
        image_size=336, patch_size=14, projection_dim=32, hidden_act="quick_gelu",
    )  # fmt: skip
    model = CLIPVisionModelWithProjection(config).eval()
    state = load_file(str(weights_path))
    model.load_state_dict({k: v for k, v in state.items() if k != "madbench_stand_in"})
    with torch.no_grad():
        embeds = model(**inputs).image_embeds
    return (embeds / torch.linalg.norm(embeds, axis=-1, keepdims=True)).numpy()


def test_clip_features_are_the_authors_embeddings(stand_in, tmp_path):
    folder = write_images(tmp_path / "images", 0)
    extractor = ClipFeatures(stand_in[0], device="cpu", batch_size=3)
    got = extractor.folder(folder)
    assert got.shape == (8, 32) and extractor.stand_in
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-6)
    theirs = authors_embeddings(folder, stand_in[0])
    assert theirs.std(axis=0).mean() > 1e-3  # images tell apart: the check can fail
    np.testing.assert_allclose(got, theirs, atol=2e-6)
    assert extractor.digest() == stand_in[1]


def test_arrays_and_folders_give_the_same_features(stand_in, tmp_path):
    rng = np.random.default_rng(1)
    arrays = rng.integers(0, 256, (5, 24, 40, 3), dtype=np.uint8)
    for i, image in enumerate(arrays):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
    extractor = ClipFeatures(stand_in[0], device="cpu")
    np.testing.assert_allclose(extractor(arrays), extractor.folder(tmp_path), atol=1e-6)
    gray = extractor(arrays[..., 0].astype(np.float32) / 255)  # float grayscale in [0, 1]
    assert gray.shape == (5, 32) and np.isfinite(gray).all()


def test_a_whole_clip_torch_file_loads_like_its_vision_safetensors(stand_in, tmp_path):
    """The published file is a whole CLIP model (text tower too) saved by torch."""
    from safetensors.torch import load_file

    state = load_file(str(stand_in[0]))
    state["text_model.embeddings.token_embedding.weight"] = torch.zeros(4, 8)
    state["logit_scale"] = torch.ones(())
    state["vision_model.embeddings.position_ids"] = torch.arange(577)[None]
    whole = tmp_path / "pytorch_model.bin"
    torch.save(state, whole)
    arrays = np.random.default_rng(2).integers(0, 256, (3, 30, 30, 3), dtype=np.uint8)
    expected = ClipFeatures(stand_in[0], device="cpu")(arrays)
    np.testing.assert_allclose(ClipFeatures(whole, device="cpu")(arrays), expected, atol=1e-6)


def test_wrong_files_are_refused(stand_in, tmp_path):
    from safetensors.torch import load_file, save_file

    images = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"junk")
    with pytest.raises(DataFileError, match="not a CLIP checkpoint"):
        ClipFeatures(junk, device="cpu")(images)
    state = load_file(str(stand_in[0]))
    del state[clip.STAND_IN_KEY]
    small = tmp_path / "small.safetensors"
    save_file(state, str(small))
    with pytest.raises(DataFileError, match="not CMMD's ViT-L/14 at 336"):
        ClipFeatures(small, device="cpu")(images)


def test_offline_clip_names_the_file_and_where_to_get_it(monkeypatch, tmp_path):
    monkeypatch.delenv(clip.NETWORK.env, raising=False)
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    refusing = dataclasses.replace(clip.NETWORK, url="http://127.0.0.1:9/pytorch_model.bin")
    monkeypatch.setattr(ClipFeatures, "network", refusing)
    with pytest.raises(FeatureError) as info:
        ClipFeatures(device="cpu")(np.zeros((1, 8, 8, 3), dtype=np.uint8))
    message = str(info.value)
    assert "clip-vit-large-patch14-336.bin" in message and "--feature-weights" in message
    assert clip.NETWORK.env in message


def test_cmmd_of_image_folders_through_the_command_line(stand_in, tmp_path, capsys):
    real, fake = write_images(tmp_path / "real", 3), write_images(tmp_path / "fake", 4)
    args = ["metrics", str(real), str(fake), "--features", "clip"]
    args += ["--feature-weights", str(stand_in[0]), "--metrics", "cmmd", "--json"]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "stand-in weights" in out.err
    got = json.loads(out.out)["cmmd"]
    expected = cmmd_reference(
        authors_embeddings(real, stand_in[0]), authors_embeddings(fake, stand_in[0])
    )
    assert got > 0 and got == pytest.approx(expected, rel=1e-4)
