"""Feature extractors: what the metrics compare.

Every extractor has a ``name`` and is called on its input, returning a float feature array
``(n_samples, n_features)``:

- :class:`IdentityFeatures`: vectors are their own features (Gaussian and 2-D experiments).
- :class:`InceptionFeatures`: Inception-v3 pool3 features (2048-d) of RGB images, given as a
  folder or as a uint8 array ``(n, height, width, 3)``, through clean-fid's "clean" resizing
  and its TorchScript port of the TensorFlow network.

clean-fid downloads its weights to a fixed path and cannot be pointed elsewhere; madbench finds
the file by the rules of :mod:`madbench.features.weights` (``--feature-weights PATH``,
``MADBENCH_INCEPTION_WEIGHTS``, madbench's cache; never clean-fid's copy in the shared temporary
folder, where anyone could have put a file of that name) and hands it to clean-fid.

Images from a loop (float arrays in [0, 1], grayscale (n, h, w) or colour (n, h, w, 3)) become
8-bit RGB through :func:`as_uint8_rgb` first: grayscale is repeated over the three channels.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench.devices import pick_device
from madbench.digests import file_sha256
from madbench.errors import FeatureError
from madbench.features.weights import Network, resolve, warn_if_stand_in
from madbench.imagefiles import IMAGE_EXTENSIONS, list_images, unreadable_image_errors
from madbench.metrics.validate import as_features

if TYPE_CHECKING:
    import torch

INCEPTION_FILENAME = "inception-2015-12-05.pt"
INCEPTION_URL = (
    "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
    + INCEPTION_FILENAME
)
INCEPTION = Network(
    "Inception",
    INCEPTION_FILENAME,
    INCEPTION_URL,
    "MADBENCH_INCEPTION_WEIGHTS",
)


class IdentityFeatures:
    """Samples as their own features: vectors as they are, images flattened to their pixels."""

    name = "identity"

    def __call__(self, source) -> np.ndarray:
        x = np.asarray(source) if not hasattr(source, "detach") else source
        if getattr(x, "ndim", 2) > 2:
            x = x.reshape(len(x), -1)
        return as_features(x, "features")


def as_uint8_rgb(images: np.ndarray) -> np.ndarray:
    """Images as uint8 RGB (n, h, w, 3): uint8 RGB as it is; float images in [0, 1], grayscale
    (n, h, w) or (n, h, w, 1) or colour (n, h, w, 3), scaled to 0..255 and rounded."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise FeatureError(
            f"images must be shaped (n, height, width) or (n, height, width, 1 or 3), got {x.shape}"
        )
    if x.dtype != np.uint8:
        if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise FeatureError("float images must be finite and lie in [0, 1]")
        x = np.rint(x.astype(np.float64) * 255).astype(np.uint8)
    return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


def resolve_inception_weights(weights: str | os.PathLike | None = None) -> Path:
    """Path of the Inception weights file (:func:`madbench.features.weights.resolve`)."""
    return resolve(INCEPTION, weights)


class InceptionFeatures:
    """Inception-v3 pool3 features (2048-d) of RGB images, via clean-fid ("clean" mode).

    ``weights``: path of ``inception-2015-12-05.pt`` (see module docstring for the search
    order). ``device``: ``"cpu"`` or ``"cuda"`` (default: CUDA when available).
    """

    name = "inception"

    def __init__(self, weights=None, *, device=None, batch_size=64, num_workers=0):

        self.weights = weights
        self.device = pick_device(device)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self._model = None
        self.stand_in = False  # True once a stand-in file (madbench features stand-in) loaded

    def path(self) -> Path:
        """The weights file this extractor uses (found by the rules of the module)."""
        return resolve_inception_weights(self.weights)

    def digest(self) -> str:
        """sha256 of the weights file, for a run's provenance."""
        return file_sha256(self.path())

    def model(self) -> torch.nn.Module:
        """clean-fid's InceptionV3W wrapper, loaded from the resolved weights file."""
        if self._model is None:
            from cleanfid.inception_torchscript import InceptionV3W

            path = self.path()
            with tempfile.TemporaryDirectory() as tmp:
                # clean-fid loads <dir>/inception-2015-12-05.pt: give it a directory with a link.
                os.symlink(path.resolve(), os.path.join(tmp, INCEPTION_FILENAME))
                try:
                    with warnings.catch_warnings():  # torch.jit.load's deprecation: clean-fid's
                        warnings.simplefilter("ignore", FutureWarning)  # file is TorchScript
                        model = InceptionV3W(tmp, download=False)
                except (RuntimeError, ValueError) as exc:
                    raise FeatureError(
                        f"{path} is not a TorchScript Inception file clean-fid can load ({exc})"
                    ) from None
            self._model = model.to(self.device).eval()
            self.stand_in = bool(getattr(model.base, "madbench_stand_in", False))
            warn_if_stand_in(self)
        return self._model

    def __call__(self, source) -> np.ndarray:
        """Features of an image folder (path) or of an image array (:func:`as_uint8_rgb`)."""
        if isinstance(source, (str, os.PathLike)):
            return self.folder(source)
        return self.images(as_uint8_rgb(source))

    def images(self, images: np.ndarray) -> np.ndarray:
        """Features (n, 2048) of RGB images ``(n, height, width, 3)``, uint8 in [0, 255].

        Each image is resized exactly as clean-fid resizes files ("clean": PIL bicubic to
        299 x 299 on float pixels), so an array and a folder of the same images (lossless
        files) give the same features.
        """
        import torch
        from cleanfid.resize import build_resizer

        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise FeatureError(
                "Inception features need uint8 RGB images shaped (n, height, width, 3), got "
                f"{images.dtype} {images.shape}"
            )
        resize = build_resizer("clean")
        model = self.model()
        out = []
        with torch.no_grad():
            for s in range(0, len(images), self.batch_size):
                batch = np.stack([resize(img) for img in images[s : s + self.batch_size]])
                tensor = torch.from_numpy(batch.astype(np.float32)).permute(0, 3, 1, 2)
                out.append(model(tensor.to(self.device)).cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def folder(self, folder: str | os.PathLike) -> np.ndarray:
        """Features (n_images, 2048) of every image under ``folder``, in sorted file order."""
        from cleanfid.fid import get_files_features

        files = [str(p) for p in list_images(folder)]
        if not files:
            raise FeatureError(
                f"{folder}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)})"
            )
        model = self.model()
        try:
            feats = get_files_features(
                files,
                model=model,
                num_workers=self.num_workers,
                batch_size=self.batch_size,
                device=self.device,
                mode="clean",
                description=f"Inception features of {Path(folder).name}",
                verbose=sys.stderr.isatty(),  # a progress bar on terminals, not into logs
            )
        except unreadable_image_errors() as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            raise FeatureError(
                f"{folder}: an image cannot be read ({first}); fix or remove it"
            ) from None
        return np.asarray(feats, dtype=np.float32)
