"""DINOv2 features (Oquab et al., 2023): the feature space torch-fidelity 0.4 and dgm-eval
(Stein et al., 2023) default to.

The network is the ViT of the published checkpoints, built by timm (``vit_<size>_patch14_dinov2``)
and loaded from Meta's own weights file (``dinov2_vit<s|b|l|g>14_pretrain.pth``, converted by
timm's loader), found offline first by the rules of :mod:`madbench.features.weights`
(``--feature-weights PATH``, ``MADBENCH_DINOV2_WEIGHTS``, madbench's cache). Images become
8-bit RGB (:func:`madbench.features.extractors.as_uint8_rgb`), are resized to 224 x 224 with
PIL's bicubic filter, scaled to [0, 1] and normalised with ImageNet's mean and standard
deviation, as dgm-eval does; the features are the final-norm class token (384, 768, 1024 or
1536 values). ``dinov2`` means ViT-L/14, dgm-eval's choice.
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

RESOLUTION = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
URL = "https://dl.fbaipublicfiles.com/dinov2/dinov2_{v}/dinov2_{v}_pretrain.pth"
#: variant -> timm architecture, feature dimension.
VARIANTS = {
    "vits14": ("vit_small_patch14_dinov2", 384),
    "vitb14": ("vit_base_patch14_dinov2", 768),
    "vitl14": ("vit_large_patch14_dinov2", 1024),
    "vitg14": ("vit_giant_patch14_dinov2", 1536),
}
DEFAULT_VARIANT = "vitl14"
ENV = "MADBENCH_DINOV2_WEIGHTS"
#: A stand-in file's marker key (:func:`madbench.features.standins.dinov2`).
STAND_IN_KEY = "madbench_stand_in"


def network(variant: str) -> Network:
    """The published weights of DINOv2 ``variant`` (a key of :data:`VARIANTS`)."""
    if variant not in VARIANTS:
        raise FeatureError(
            f"unknown DINOv2 variant {variant!r}; choose one of {', '.join(VARIANTS)}"
        )
    return Network(
        f"DINOv2 {variant}", f"dinov2_{variant}_pretrain.pth", URL.format(v=variant), ENV
    )


def build(variant: str) -> torch.nn.Module:
    """The timm ViT of ``variant`` at 224 x 224, with no classification head (untrained)."""
    import timm

    return timm.create_model(
        VARIANTS[variant][0], pretrained=False, num_classes=0, img_size=RESOLUTION
    )


class DinoV2Features(PilImageNetwork):
    """The class-token features of DINOv2 ``variant`` (default ViT-L/14)."""

    mean, std = MEAN, STD

    def __init__(
        self,
        variant: str = DEFAULT_VARIANT,
        weights: PathLike | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
    ):
        super().__init__(weights, device=device, batch_size=batch_size)
        self.network = network(variant)
        self.variant = variant
        self.name = f"dinov2-{variant}"

    def load(self, path: Path) -> torch.nn.Module:
        import torch
        from timm.models.vision_transformer import checkpoint_filter_fn

        model = build(self.variant)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            stand_in = state.pop(STAND_IN_KEY, None) is not None
            model.load_state_dict(checkpoint_filter_fn(state, model))
        except Exception as exc:  # unpicklable, wrong variant, not a checkpoint
            raise DataFileError(
                f"{path} is not a DINOv2 {self.variant} checkpoint ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]})"
            ) from None
        self.stand_in = stand_in
        return model

    def prepare(self, image: Image.Image) -> np.ndarray:
        """Resized to 224 x 224 with PIL's bicubic filter, uncropped (dgm-eval's transform)."""
        from PIL import Image

        size = (RESOLUTION, RESOLUTION)
        return np.asarray(image.resize(size, Image.Resampling.BICUBIC), dtype=np.uint8)
