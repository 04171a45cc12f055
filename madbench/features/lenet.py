"""LeNet-type features for small grayscale images (the MAD paper's FID space for MNIST).

A small convolutional classifier is trained on a data set's train split by ``madbench features
train-lenet`` with a fixed seed, deterministically on one CPU thread; its weights ship in
``madbench/resources/weights/`` and their digest is recorded in the data set's manifest
(``feature_weights``), so that every user scores in the same feature space. The digest is the
sha256 of the parameters themselves (names, dtypes, shapes, bytes), not of the file: torch
writes a random id into every file it saves. The features are the 84 activations of the
penultimate layer. Images come in as float arrays (n, height, width) in [0, 1]; any height and
width >= 4 work (an adaptive pooling fixes the size before the dense layers).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from madbench.atomic import atomic_path
from madbench.errors import DataFileError, FeatureError
from madbench.home import find, user

if TYPE_CHECKING:
    from madbench.data.datasets import Dataset

#: Below this held-out accuracy, ``features train-lenet`` warns that its features separate the
#: data set's classes too poorly for FID and precision/recall in them to mean much.
LENET_MIN_ACCURACY = 0.9
FEATURE_DIM = 84


class LeNet(nn.Module):
    """conv(1->6) - pool - conv(6->16) - adaptive pool to 4x4 - 120 - 84 - classes."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 120),
            nn.ReLU(),
            nn.Linear(120, FEATURE_DIM),
            nn.ReLU(),
        )
        self.head = nn.Linear(FEATURE_DIM, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _as_batch(images: np.ndarray) -> torch.Tensor:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or min(images.shape[1:]) < 4:
        raise FeatureError(
            f"LeNet features need grayscale images (n, height, width), got {images.shape}"
        )
    return torch.from_numpy(images)[:, None]


def train_lenet(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    n_classes: int = 10,
    epochs: int = 2,
    seed: int = 0,
    batch_size: int = 128,
    progress: bool = False,
) -> LeNet:
    """Train a LeNet classifier deterministically (fixed seed, one CPU thread); return it."""
    x, y = _as_batch(images), torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        model = LeNet(n_classes)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
        from tqdm import tqdm

        for _ in tqdm(range(epochs), desc="train LeNet", disable=None if progress else True):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), batch_size):
                batch = order[start : start + batch_size]
                optimiser.zero_grad()
                loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
                loss.backward()
                optimiser.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def weights_digest(state: dict) -> str:
    """sha256 of a state dict's parameters: names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def save_weights(model: LeNet, path: str | os.PathLike) -> str:
    """Save the weights (atomically); return their digest, for the manifest."""
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    return weights_digest(model.state_dict())


class LeNetFeatures:
    """The 84-d penultimate activations of a trained LeNet, loaded from verified weights."""

    name = "lenet"

    def __init__(self, weights: str | os.PathLike, sha256: str | None = None, n_classes: int = 10):
        path = Path(weights)
        if not path.is_file():
            raise FeatureError(
                f"LeNet weights {path} are missing; train them with madbench features train-lenet"
            )
        try:
            state = torch.load(path, weights_only=True)
        except Exception as exc:
            raise DataFileError(f"{path}: not a LeNet weights file ({exc})") from None
        self._digest = weights_digest(state)
        if sha256 is not None and self._digest != sha256:
            raise DataFileError(
                f"{path}: weights differ from the manifest's digest; corrupt or another version"
            )
        self.model = LeNet(n_classes)
        self.model.load_state_dict(state)
        self.model.eval()

    def digest(self) -> str:
        """sha256 of the parameters (:func:`weights_digest`)."""
        return self._digest

    def __call__(self, images) -> np.ndarray:
        x = _as_batch(images)
        with torch.no_grad():
            return torch.cat(
                [self.model.body(x[s : s + 1024]) for s in range(0, len(x), 1024)]
            ).numpy()

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of ``images`` the classifier labels right."""
        with torch.no_grad():
            logits = torch.cat([self.model(b) for b in _as_batch(images).split(1024)])
        return float((logits.argmax(1).numpy() == np.asarray(labels)).mean())


def lenet_for(dataset: Dataset) -> LeNetFeatures:
    """The verified LeNet feature extractor named by an image data set's manifest."""
    spec = dataset.manifest.feature_weights
    if not spec:
        raise FeatureError(f"{dataset.name}: its manifest names no LeNet feature weights")
    return LeNetFeatures(weights_path(spec["file"]), spec["digest"], dataset.classes or 10)


def weights_path(file: str) -> Path:
    """A manifest's weights file: a path as given, or a name among the shipped weights, else
    the user's (:mod:`madbench.home`)."""
    path = Path(file)
    if path.is_absolute() or len(path.parts) > 1:
        return path
    return find("weights", file) or user("weights") / file
