"""Pretrained feature networks on stand-in weights: the real architectures (torchvision's
Inception-v3 behind clean-fid's file interface, timm's DINOv2 ViT in Meta's checkpoint layout),
randomly initialised, so that finding, loading, resizing and normalisation run as they would on
the published weights, which cannot be downloaded here. The networks are slow on a CPU: the
tests that run them are marked slow (CI runs them in their own step)."""

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

import madbench
from madbench.cli import main
from madbench.data import shapes
from madbench.errors import DataFileError, FeatureError
from madbench.features import dinov2, standins, weights
from madbench.features.dinov2 import DinoV2Features
from madbench.features.extractors import InceptionFeatures


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stand-ins")
    return {
        "inception": (folder / "inception.pt", standins.save("inception", folder / "inception.pt")),
        "dinov2-vits14": (folder / "dino.pth", standins.save("dinov2-vits14", folder / "dino.pth")),
    }


@pytest.fixture(scope="module")
def images():
    return shapes.render(6, np.random.default_rng(0))[0]


@pytest.mark.slow
def test_dinov2_arrays_and_folders_give_the_same_features(stand_ins, images, tmp_path):
    extractor = DinoV2Features("vits14", stand_ins["dinov2-vits14"][0], device="cpu", batch_size=4)
    features = extractor(images)
    assert features.shape == (6, 384) and np.isfinite(features).all()
    for i, image in enumerate(images):
        Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(tmp_path / f"{i}.png")
    np.testing.assert_allclose(extractor.folder(tmp_path), features, rtol=1e-5, atol=1e-6)
    assert extractor.digest() == stand_ins["dinov2-vits14"][1]


@pytest.mark.slow
def test_fd_dinov2_is_fid_on_dgm_evals_preprocessing(stand_ins, tmp_path, capsys):
    """FD-DINOv2 (Stein et al.): dgm-eval's transform, written out here with torchvision
    (Resize((224, 224), bicubic) on PIL images, ToTensor, ImageNet's Normalize), then the class
    token; ``madbench fid --features dinov2-vits14`` on two folders is FID on those features."""
    import torch
    import torchvision.transforms as TF
    from timm.models.vision_transformer import checkpoint_filter_fn

    from madbench.metrics.frechet import fit_gaussian, frechet_distance

    path = stand_ins["dinov2-vits14"][0]
    state = torch.load(path, weights_only=True)
    del state[dinov2.STAND_IN_KEY]
    model = dinov2.build("vits14")
    model.load_state_dict(checkpoint_filter_fn(state, model))
    transform = TF.Compose([
        TF.Resize((224, 224), TF.InterpolationMode.BICUBIC),
        TF.ToTensor(),
        TF.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])  # fmt: skip
    theirs = {}
    for side, seed in (("a", 0), ("b", 1)):
        rng = np.random.default_rng(seed)
        (tmp_path / side).mkdir()
        for i in range(6):
            pixels = rng.integers(0, 256, (20 + 7 * i, 40 - 3 * i, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / side / f"{i}.png")
        batch = torch.stack([transform(Image.open(f).convert("RGB")) for f in
                             sorted((tmp_path / side).glob("*.png"))])  # fmt: skip
        with torch.no_grad():
            theirs[side] = model.eval()(batch).numpy()
        ours = DinoV2Features("vits14", path, device="cpu").folder(tmp_path / side)
        assert theirs[side].std(axis=0).min() > 0.02  # images tell apart: the check can fail
        np.testing.assert_allclose(ours, theirs[side], atol=2e-5)
    args = ["fid", str(tmp_path / "a"), str(tmp_path / "b"), "--features", "dinov2-vits14"]
    assert main([*args, "--feature-weights", str(path)]) == 0
    with pytest.warns(UserWarning):  # 6 images, 384 features: a singular covariance
        expected = frechet_distance(fit_gaussian(theirs["a"]), fit_gaussian(theirs["b"]))
    out = capsys.readouterr()
    assert float(out.out) == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_inception_stand_in_has_the_real_interface(stand_ins, images):
    extractor = InceptionFeatures(stand_ins["inception"][0], device="cpu")
    features = extractor(images)
    assert features.shape == (6, 2048) and np.isfinite(features).all()
    assert len(np.unique(features[:, :50], axis=0)) == 6  # distinct images, distinct features


@pytest.mark.slow
def test_wrong_dinov2_file_is_refused(stand_ins, images, tmp_path):
    with pytest.raises(DataFileError, match="not a DINOv2 vitb14 checkpoint"):
        DinoV2Features("vitb14", stand_ins["dinov2-vits14"][0], device="cpu")(images)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(DataFileError, match="not a DINOv2 vits14 checkpoint"):
        DinoV2Features("vits14", junk, device="cpu")(images)


def test_offline_dinov2_names_the_file_and_where_to_get_it(monkeypatch, tmp_path, images):
    monkeypatch.delenv(dinov2.ENV, raising=False)
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    real = dinov2.network

    def refusing(variant):
        return dataclasses.replace(real(variant), url="http://127.0.0.1:9/dinov2.pth")

    monkeypatch.setattr(dinov2, "network", refusing)
    with pytest.raises(FeatureError) as info:
        DinoV2Features("vitl14", device="cpu")(images)
    message = str(info.value)
    assert "dinov2_vitl14_pretrain.pth" in message and "--feature-weights" in message
    assert (
        dinov2.ENV in message and not (tmp_path / "cache" / "dinov2_vitl14_pretrain.pth").exists()
    )


@pytest.mark.slow
@pytest.mark.parametrize("space", ["dinov2-vits14", "inception"])
def test_loop_on_an_added_rgb_folder_in_pretrained_spaces(stand_ins, tmp_path, capsys, space):
    x, y = shapes.render(60, np.random.default_rng(5))
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        folder = tmp_path / "pngs" / shapes.mode_name(label).replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(folder / f"{i}.png")
    name = f"rgb-{space}"
    assert (
        main(["data", "add", name, "--from", str(tmp_path / "pngs"), "--test-fraction", "0.3"]) == 0
    )
    path, digest = stand_ins[space]
    run = madbench.evaluate(
        "kde", name, model_args={"bandwidth": 0.02}, generations=1, n_ini=30, eval_n=12, k=3,
        features=space, feature_weights=str(path), out=tmp_path / "run", threads=2,
    )  # fmt: skip
    results = run.results
    assert set(results["features"]) == {space}
    assert np.isfinite(results[["fid", "precision", "recall", "kid", "vendi"]].to_numpy()).all()
    # (C_T needs 20 generated samples in a cell: empty at this eval_n of 12.)
    assert np.isfinite(results.iloc[1][["authenticity", "memorised"]].to_numpy(float)).all()
    provenance = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert provenance["features"] == {"name": space, "sha256": digest}
    assert (tmp_path / "run" / "gen-001" / "samples.png").is_file()  # an RGB grid
    # Same weights: the run re-scores to the same cells. Other weights: refused, one line.
    assert main(["rescore", str(tmp_path / "run"), "--feature-weights", str(path)]) == 0
    other = tmp_path / "other-weights"
    standins.save(space, other, seed=1)
    capsys.readouterr()
    assert main(["rescore", str(tmp_path / "run"), "--feature-weights", str(other)]) == 2
    err = capsys.readouterr().err
    assert "pass the weights file the run used" in err and len(err.strip().splitlines()) == 1


@pytest.mark.needs_weights("inception")
def test_published_inception_gives_clean_fids_folder_features(images, tmp_path):
    """On the published weights, madbench's array path equals clean-fid's own file pipeline
    (its reader, resizer and batching)."""
    from cleanfid.fid import get_files_features

    extractor = InceptionFeatures(device="cpu")
    pixels = np.rint(images * 255).astype(np.uint8)
    files = []
    for i, image in enumerate(pixels):
        files.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(image).save(files[-1])
    theirs = get_files_features(
        files, model=extractor.model(), num_workers=0, batch_size=4, device="cpu", verbose=False
    )
    np.testing.assert_allclose(extractor(pixels), theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_fid_on_stand_in_weights_says_the_number_means_nothing(stand_ins, images, tmp_path, capsys):
    for i, image in enumerate(images):
        Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(tmp_path / f"{i}.png")
    weights_file = str(stand_ins["inception"][0])
    assert main(["fid", str(tmp_path), str(tmp_path), "--feature-weights", weights_file]) == 0
    err = capsys.readouterr().err
    assert "stand-in weights" in err and "means nothing" in err
    assert "torch.jit" not in err and "Inception features of" not in err  # no bar into a log
