"""Stand-in weights for the pretrained feature networks: the real architectures, randomly
initialised (seeded) and saved in the published files' layout.

The published weights cannot be downloaded everywhere (not in CI, not offline). A stand-in
file goes through every step a real one does (found by the weights rules, loaded by
clean-fid, timm or transformers, images resized and normalised, features of the published
size), so the wiring is tested; its features mean nothing. ``madbench features stand-in
NETWORK OUT`` writes one. Never score with them.
"""

from __future__ import annotations

import os
import warnings

import torch

from madbench.digests import file_sha256

NETWORKS = (
    *("inception", "dinov2-vits14", "dinov2-vitb14", "dinov2-vitl14", "dinov2-vitg14"),
    *("clip", "clip-small"),
)
#: ``clip-small``'s architecture: CLIP's 336 x 336 input and patches in a narrow, shallow tower
#: (1.5 MB instead of 1.2 GB), for fast tests of the CLIP pipeline.
CLIP_SMALL = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "intermediate_size": 128,
    "patch_size": 14,
    "image_size": 336,
    "projection_dim": 32,
}


class _InceptionFile(torch.nn.Module):
    """The interface of clean-fid's TorchScript file: ``layers(x)`` gives the pool3 features
    (n, 2048, 1, 1) of images (n, 3, 299, 299) in [-1, 1]; here torchvision's Inception-v3."""

    def __init__(self):
        super().__init__()
        from torchvision.models import inception_v3

        net = inception_v3(weights=None, aux_logits=False, init_weights=True)
        names = [
            "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
            "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
            "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c",
            "avgpool",
        ]  # fmt: skip
        self.layers = torch.nn.Sequential(*(getattr(net, name) for name in names))
        # Batch-norm statistics of one batch of noise images, so that activations keep a
        # sane scale through the untrained layers (else they grow to about 1e10).
        for module in self.layers.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = None  # a cumulative average: one batch sets the statistics
        with torch.no_grad():
            self.layers.train()(torch.rand(4, 3, 299, 299) * 2 - 1)
        self.layers.eval()
        self.madbench_stand_in = True  # kept by TorchScript: madbench fid says so

    def forward(self, x, return_features: bool = False):
        return self.layers((x - 128.0) / 128.0)


def inception(path: str | os.PathLike, seed: int = 0) -> str:
    """A stand-in ``inception-2015-12-05.pt`` (TorchScript); returns its sha256."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():  # TorchScript is deprecated, but it is what clean-fid loads
        warnings.simplefilter("ignore")
        torch.jit.script(_InceptionFile().eval()).save(str(path))
    return file_sha256(path)


def dinov2(path: str | os.PathLike, variant: str = "vits14", seed: int = 0) -> str:
    """A stand-in ``dinov2_<variant>_pretrain.pth`` in Meta's layout (with the mask token and
    the 518 x 518 position embedding) and a marker key; returns its sha256."""
    from madbench.features.dinov2 import STAND_IN_KEY, VARIANTS, build

    torch.manual_seed(seed)
    state = build(variant).state_dict()
    for key in state:  # LayerScale starts at 1e-5: the blocks would leave images unseen
        if key.endswith((".ls1.gamma", ".ls2.gamma")):
            state[key] = torch.full_like(state[key], 0.5)
    state["mask_token"] = torch.zeros(1, VARIANTS[variant][1])
    grid, tokens = 518 // 14, state["pos_embed"]
    side = int(round((tokens.shape[1] - 1) ** 0.5))
    patch = tokens[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    patch = torch.nn.functional.interpolate(patch, size=(grid, grid), mode="bicubic")
    state["pos_embed"] = torch.cat([tokens[:, :1], patch.permute(0, 2, 3, 1).flatten(1, 2)], 1)
    state[STAND_IN_KEY] = torch.ones(1)
    torch.save(state, path)
    return file_sha256(path)


def clip(path: str | os.PathLike, seed: int = 0, *, small: bool = False) -> str:
    """A stand-in CLIP vision tower and projection, as a ``.safetensors`` file with the keys of
    ``openai/clip-vit-large-patch14-336`` and a marker key; ``small``: :data:`CLIP_SMALL`'s
    architecture instead of ViT-L/14-336's. Returns its sha256."""
    from safetensors.torch import save_file

    from madbench.features.clip import STAND_IN_KEY, VIT_L14_336, build

    torch.manual_seed(seed)
    state = build(CLIP_SMALL if small else VIT_L14_336).state_dict()
    state[STAND_IN_KEY] = torch.ones(1)
    save_file({key: value.contiguous() for key, value in state.items()}, str(path))
    return file_sha256(path)


def save(network: str, path: str | os.PathLike, seed: int = 0) -> str:
    """A stand-in for ``network`` (one of :data:`NETWORKS`) at ``path``; returns its sha256."""
    if network == "inception":
        return inception(path, seed)
    if network in ("clip", "clip-small"):
        return clip(path, seed, small=network == "clip-small")
    return dinov2(path, network.removeprefix("dinov2-"), seed)
