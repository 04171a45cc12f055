"""Feature extractors: what the metrics compare.

Every extractor has a ``name`` and is called on its input, returning a float feature array
``(n_samples, n_features)``:

- :class:`IdentityFeatures`: vectors are their own features (Gaussian and 2-D experiments).
- :class:`InceptionFeatures`: Inception-v3 pool3 features (2048-d) of RGB images, given as a
  folder or as a uint8 array ``(n, height, width, 3)``, through clean-fid's "clean" resizing
  and its TorchScript port of the TensorFlow network.

clean-fid downloads its weights to a fixed path and cannot be pointed elsewhere. madbench looks
for the weights file, in order: the ``weights`` argument (CLI ``--inception-weights``), the
environment variable ``MADBENCH_INCEPTION_WEIGHTS``, madbench's cache
(``~/.cache/madbench/inception-2015-12-05.pt``, or ``$MADBENCH_CACHE``), clean-fid's own copy
(``/tmp/inception-2015-12-05.pt``); only then does it download into its cache, and offline it
stops with a message that says where to get the file and how to pass it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from madbench.atomic import atomic_path
from madbench.devices import pick_device
from madbench.errors import FeatureError
from madbench.metrics.validate import as_features

INCEPTION_FILENAME = "inception-2015-12-05.pt"
INCEPTION_URL = (
    "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
    + INCEPTION_FILENAME
)
INCEPTION_ENV = "MADBENCH_INCEPTION_WEIGHTS"
CACHE_ENV = "MADBENCH_CACHE"
CLEANFID_COPY = Path(tempfile.gettempdir()) / INCEPTION_FILENAME
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff")
DOWNLOAD_TIMEOUT_S = 30


class IdentityFeatures:
    """Vectors as their own features: returns the validated 2-D array."""

    name = "identity"

    def __call__(self, source) -> np.ndarray:
        return as_features(source, "features")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "madbench")


def _download(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` through a temporary file (no half-written weights)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (
        atomic_path(dest) as tmp,
        urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
        open(tmp, "wb") as out,
    ):
        shutil.copyfileobj(response, out)


def resolve_inception_weights(weights: str | os.PathLike | None = None) -> Path:
    """Path of the Inception weights file; downloads it only when no local copy exists."""
    if weights is None:
        weights = os.environ.get(INCEPTION_ENV) or None
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise FeatureError(f"Inception weights file {path} does not exist")
        return path
    for candidate in (cache_dir() / INCEPTION_FILENAME, CLEANFID_COPY):
        if candidate.is_file():
            return candidate
    target = cache_dir() / INCEPTION_FILENAME
    try:
        _download(INCEPTION_URL, target)
    except (urllib.error.URLError, OSError) as exc:
        raise FeatureError(
            f"Inception weights are not available offline and the download failed ({exc}). "
            f"Download {INCEPTION_URL} on a machine with internet access, then pass it with "
            f"--inception-weights PATH or set {INCEPTION_ENV}=PATH"
        ) from None
    return target


def list_images(folder: str | os.PathLike) -> list[str]:
    """Image files under ``folder`` (recursively), sorted."""
    root = Path(folder)
    files = [
        str(p)
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS
    ]
    return sorted(files)


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

    def model(self):
        """clean-fid's InceptionV3W wrapper, loaded from the resolved weights file."""
        if self._model is None:
            from cleanfid.inception_torchscript import InceptionV3W

            path = resolve_inception_weights(self.weights)
            with tempfile.TemporaryDirectory() as tmp:
                # clean-fid loads <dir>/inception-2015-12-05.pt: give it a directory with a link.
                os.symlink(path.resolve(), os.path.join(tmp, INCEPTION_FILENAME))
                try:
                    model = InceptionV3W(tmp, download=False)
                except (RuntimeError, ValueError) as exc:
                    raise FeatureError(
                        f"{path} is not a TorchScript Inception file clean-fid can load ({exc})"
                    ) from None
            self._model = model.to(self.device).eval()
        return self._model

    def __call__(self, source) -> np.ndarray:
        """Features of an image folder (path) or of an image array (n, height, width, 3)."""
        if isinstance(source, (str, os.PathLike)):
            return self.folder(source)
        return self.images(source)

    def images(self, images) -> np.ndarray:
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

        files = list_images(folder)
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
                verbose=True,
            )
        except OSError as exc:  # PIL: UnidentifiedImageError, truncated files
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            raise FeatureError(
                f"{folder}: an image cannot be read ({first}); fix or remove it"
            ) from None
        return np.asarray(feats, dtype=np.float32)
