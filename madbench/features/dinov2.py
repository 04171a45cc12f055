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

from madbench.devices import pick_device
from madbench.digests import file_sha256
from madbench.errors import DataFileError, FeatureError
from madbench.features.extractors import as_uint8_rgb
from madbench.features.weights import Network, resolve
from madbench.imagefiles import list_images, unreadable_image_errors
from madbench.types import PathLike

if TYPE_CHECKING:
    import torch

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


class DinoV2Features:
    """The class-token features of DINOv2 ``variant`` (default ViT-L/14)."""

    def __init__(
        self,
        variant: str = DEFAULT_VARIANT,
        weights: PathLike | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
    ):
        self.network = network(variant)
        self.variant, self.weights, self.batch_size = variant, weights, batch_size
        self.name = f"dinov2-{variant}"
        self.device = pick_device(device)
        self._model = None

    def path(self) -> Path:
        return resolve(self.network, self.weights)

    def digest(self) -> str:
        """sha256 of the weights file, for a run's provenance."""
        return file_sha256(self.path())

    def model(self) -> torch.nn.Module:
        if self._model is None:
            import torch
            from timm.models.vision_transformer import checkpoint_filter_fn

            path = self.path()
            model = build(self.variant)
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
                model.load_state_dict(checkpoint_filter_fn(state, model))
            except Exception as exc:  # unpicklable, wrong variant, not a checkpoint
                raise DataFileError(
                    f"{path} is not a DINOv2 {self.variant} checkpoint ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:200]})"
                ) from None
            self._model = model.to(self.device).eval()
        return self._model

    def __call__(self, images) -> np.ndarray:
        """Features (n, d) of images (:func:`~madbench.features.extractors.as_uint8_rgb`)."""
        from PIL import Image

        return self._features(Image.fromarray(img) for img in as_uint8_rgb(images))

    def folder(self, folder: PathLike) -> np.ndarray:
        """Features (n_images, d) of every image under ``folder``, in sorted file order."""
        from PIL import Image

        files = list_images(folder)
        if not files:
            raise FeatureError(f"{folder}: no images found")

        def images():
            for file in files:
                try:
                    with Image.open(file) as image:
                        yield image.convert("RGB")
                except unreadable_image_errors() as exc:
                    raise FeatureError(f"{file}: not a readable image ({exc})") from None

        return self._features(images())

    def _features(self, images) -> np.ndarray:
        """Features of an iterable of PIL RGB images, in batches."""
        import torch
        from PIL import Image

        mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        std = torch.tensor(STD).view(1, 3, 1, 1)
        model, out, batch = self.model(), [], []

        def flush():
            x = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float() / 255.0
            with torch.no_grad():
                out.append(model(((x - mean) / std).to(self.device)).cpu().numpy())
            batch.clear()

        for image in images:
            size = (RESOLUTION, RESOLUTION)
            batch.append(np.asarray(image.resize(size, Image.Resampling.BICUBIC), dtype=np.uint8))
            if len(batch) == self.batch_size:
                flush()
        if batch:
            flush()
        return np.concatenate(out).astype(np.float32)
