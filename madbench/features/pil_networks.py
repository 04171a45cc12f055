"""What the pretrained ViT feature networks share (DINOv2, :mod:`madbench.features.dinov2`;
CLIP, :mod:`madbench.features.clip`): images of either source (arrays, as
:func:`~madbench.features.extractors.as_uint8_rgb` takes them, or the files of a folder)
become 8-bit RGB PIL images, each network's :meth:`PilImageNetwork.prepare` resizes them as
its authors do, and batches of the results, scaled to [0, 1] and normalised by the network's
mean and standard deviation, go through :meth:`PilImageNetwork.forward`. The weights file is
found by the rules of :mod:`madbench.features.weights` and its sha256 is the run's digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench.devices import pick_device
from madbench.digests import file_sha256
from madbench.errors import FeatureError
from madbench.features.extractors import as_uint8_rgb
from madbench.features.weights import Network, resolve, warn_if_stand_in
from madbench.imagefiles import list_images, unreadable_image_errors
from madbench.types import PathLike

if TYPE_CHECKING:
    import torch
    from PIL import Image


class PilImageNetwork:
    """A feature network fed PIL images; subclasses set :attr:`network`, :attr:`mean`,
    :attr:`std`, and define :meth:`load`, :meth:`prepare` and :meth:`forward`."""

    name: str
    network: Network
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __init__(
        self, weights: PathLike | None = None, *, device: str | None = None, batch_size: int = 32
    ):
        self.weights, self.batch_size = weights, batch_size
        self.device = pick_device(device)
        self.stand_in = False  # True once a stand-in file (madbench features stand-in) loaded
        self._model = None

    def path(self) -> Path:
        """The weights file (:func:`madbench.features.weights.resolve`)."""
        return resolve(self.network, self.weights)

    def digest(self) -> str:
        """sha256 of the weights file, for a run's provenance."""
        return file_sha256(self.path())

    def model(self) -> torch.nn.Module:
        """The network on its device, in eval mode, loaded once."""
        if self._model is None:
            self._model = self.load(self.path()).to(self.device).eval()
            warn_if_stand_in(self)
        return self._model

    def load(self, path: Path) -> torch.nn.Module:
        """The network with the weights of ``path``; raises DataFileError for a wrong file."""
        raise NotImplementedError

    def prepare(self, image: Image.Image) -> np.ndarray:
        """One RGB image as the network's uint8 input (h, w, 3): cropped and resized."""
        raise NotImplementedError

    def forward(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Features (b, d) of a normalised batch ``x`` (b, 3, h, w)."""
        return model(x)

    def __call__(self, images) -> np.ndarray:
        """Features (n, d) of images (:func:`~madbench.features.extractors.as_uint8_rgb`)."""
        from PIL import Image

        return self._features(Image.fromarray(img) for img in as_uint8_rgb(images))

    def folder(self, folder: PathLike) -> np.ndarray:
        """Features (n_images, d) of every image under ``folder``, in sorted file order."""
        files = list_images(folder)
        if not files:
            raise FeatureError(f"{folder}: no images found")
        return self._features(_read_rgb(files))

    def _features(self, images: Iterable[Image.Image]) -> np.ndarray:
        """Features of an iterable of PIL RGB images, in batches."""
        import torch

        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        model, out, batch = self.model(), [], []

        def flush():
            x = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float() / 255.0
            with torch.no_grad():
                out.append(self.forward(model, ((x - mean) / std).to(self.device)).cpu().numpy())
            batch.clear()

        for image in images:
            batch.append(self.prepare(image))
            if len(batch) == self.batch_size:
                flush()
        if batch:
            flush()
        return np.concatenate(out).astype(np.float32)


def _read_rgb(files: list[Path]) -> Iterator[Image.Image]:
    """The files as RGB PIL images, one at a time; an unreadable one stops with its name."""
    from PIL import Image

    for file in files:
        try:
            with Image.open(file) as image:
                yield image.convert("RGB")
        except unreadable_image_errors() as exc:
            raise FeatureError(f"{file}: not a readable image ({exc})") from None
