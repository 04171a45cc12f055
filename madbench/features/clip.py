"""CLIP image embeddings (Radford et al., 2021): the feature space of CMMD (Jayasumana et al.,
CVPR 2024; :mod:`madbench.metrics.cmmd`), ``--features clip``.

The network is OpenAI's CLIP ViT-L/14 at 336 x 336 (Hugging Face ``openai/clip-vit-large-
patch14-336``), its vision tower and projection built by transformers
(``CLIPVisionModelWithProjection``) and loaded from the published ``pytorch_model.bin`` (the
whole CLIP model; its text tower is left out) or from a ``.safetensors`` file with the same
keys, found offline first by the rules of :mod:`madbench.features.weights`
(``--feature-weights PATH``, ``MADBENCH_CLIP_WEIGHTS``, madbench's cache). ``.bin`` files are
read by ``torch.load(weights_only=True)``, whose restricted unpickler takes tensors and plain
containers only, never code.

Images are prepared as the authors' code does: 8-bit RGB, centre-cropped to a square (the
crop's corner at ``(w - l) // 2, (h - l) // 2``), resized to 336 x 336 by PIL's bicubic filter,
scaled to [0, 1] and normalised with CLIP's mean and standard deviation; the features are
the projected image embeddings (768 values), divided by their Euclidean norm.

The architecture is read from the weights file; one that is not ViT-L/14 at 336 is refused
(its embeddings are not CMMD's), unless the file is a stand-in
(:func:`madbench.features.standins.clip`), which may be smaller so that tests run fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench.errors import DataFileError, FeatureError
from madbench.features.pil_networks import PilImageNetwork
from madbench.features.weights import Network
from madbench.types import PathLike

if TYPE_CHECKING:
    import torch
    from PIL import Image

#: OpenAI's CLIP normalisation (transformers' OPENAI_CLIP_MEAN and OPENAI_CLIP_STD).
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
NETWORK = Network(
    "CLIP ViT-L/14-336",
    "clip-vit-large-patch14-336.bin",
    "https://huggingface.co/openai/clip-vit-large-patch14-336/resolve/main/pytorch_model.bin",
    "MADBENCH_CLIP_WEIGHTS",
)
#: CMMD's network: width, layers, MLP width, patch, image side, embedding size.
VIT_L14_336 = {
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "intermediate_size": 4096,
    "patch_size": 14,
    "image_size": 336,
    "projection_dim": 768,
}
#: Keys of the vision tower and its projection in a whole CLIP model's state.
KEPT = ("vision_model.", "visual_projection.")
#: A stand-in file's marker key (:func:`madbench.features.standins.clip`).
STAND_IN_KEY = "madbench_stand_in"
HEAD_DIM = 64  # every OpenAI CLIP ViT: attention heads = width / 64


def build(architecture: dict) -> torch.nn.Module:
    """An untrained ``CLIPVisionModelWithProjection`` of ``architecture`` (the keys of
    :data:`VIT_L14_336`), with OpenAI's quick-GELU and layer-norm epsilon."""
    try:
        from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
    except ImportError:
        raise FeatureError(
            "--features clip needs transformers: pip install 'madbench[clip]'"
        ) from None
    config = CLIPVisionConfig(
        **architecture,
        num_attention_heads=architecture["hidden_size"] // HEAD_DIM,
        hidden_act="quick_gelu",
        layer_norm_eps=1e-5,
    )
    return CLIPVisionModelWithProjection(config)


def architecture_of(state: dict) -> dict:
    """The architecture (keys of :data:`VIT_L14_336`) a vision state's tensor shapes give."""
    embeddings = "vision_model.embeddings."
    patch = int(state[embeddings + "patch_embedding.weight"].shape[-1])
    positions = int(state[embeddings + "position_embedding.weight"].shape[0])
    layers = {key.split(".")[3] for key in state if key.startswith("vision_model.encoder.layers.")}
    return {
        "hidden_size": int(state[embeddings + "class_embedding"].shape[0]),
        "num_hidden_layers": len(layers),
        "intermediate_size": int(state["vision_model.encoder.layers.0.mlp.fc1.weight"].shape[0]),
        "patch_size": patch,
        "image_size": patch * int(round((positions - 1) ** 0.5)),
        "projection_dim": int(state["visual_projection.weight"].shape[0]),
    }


def read_state(path: Path) -> dict:
    """The tensors of a ``.safetensors`` file, or of a torch file read with
    ``weights_only=True``."""
    import torch

    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


class ClipFeatures(PilImageNetwork):
    """Unit-norm CLIP ViT-L/14-336 image embeddings (768 values), as CMMD's authors make them."""

    name = "clip"
    network = NETWORK
    mean, std = MEAN, STD

    def __init__(
        self, weights: PathLike | None = None, *, device: str | None = None, batch_size: int = 32
    ):
        super().__init__(weights, device=device, batch_size=batch_size)
        self.resolution = VIT_L14_336["image_size"]

    def load(self, path: Path) -> torch.nn.Module:
        try:
            state = read_state(path)
            stand_in = STAND_IN_KEY in state
            vision = {k: v for k, v in state.items() if k.startswith(KEPT)}
            vision.pop("vision_model.embeddings.position_ids", None)  # older files' buffer
            architecture = architecture_of(vision)
        except Exception as exc:  # unreadable, not tensors, not a CLIP vision state
            raise DataFileError(
                f"{path} is not a CLIP checkpoint ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200] if str(exc) else 'no vision tower'})"
            ) from None
        if architecture != VIT_L14_336 and not stand_in:
            raise DataFileError(
                f"{path} holds CLIP ViT with {architecture}, not CMMD's ViT-L/14 at 336 x 336 "
                f"({VIT_L14_336}); pass openai/clip-vit-large-patch14-336's pytorch_model.bin"
            )
        model = build(architecture)  # outside the try: a missing transformers says so
        try:
            model.load_state_dict(vision)
        except RuntimeError as exc:
            raise DataFileError(
                f"{path} does not fit a CLIP vision tower ({str(exc).splitlines()[0][:200]})"
            ) from None
        self.stand_in, self.resolution = stand_in, architecture["image_size"]
        return model

    def prepare(self, image: Image.Image) -> np.ndarray:
        """Centre-cropped to a square and resized to the network's side with PIL's bicubic
        filter, as CMMD's authors read their image files."""
        from PIL import Image

        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        square = image.crop((left, top, left + side, top + side))
        size = (self.resolution, self.resolution)
        return np.asarray(square.resize(size, Image.Resampling.BICUBIC), dtype=np.uint8)

    def forward(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        embeds = model(pixel_values=x).image_embeds
        return embeds / embeds.norm(dim=-1, keepdim=True)
