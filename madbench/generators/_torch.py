"""Shared set-up of the torch generators: presets, device, seeded training, input checks."""

from __future__ import annotations

import contextlib
import os

import numpy as np
import torch

from madbench.devices import pick_device
from madbench.errors import DataFileError, InputError
from madbench.generators import _checks as checks


def resolve_settings(
    model: str, presets: dict, preset: str, overrides: dict, fractions: tuple[str, ...] = ()
) -> dict:
    """The preset's settings with ``overrides`` applied; unknown names and values of the wrong
    kind or range (:func:`madbench.generators._checks.settings`) are an error."""
    if not isinstance(preset, str) or preset not in presets:
        raise InputError(f"unknown {model} preset {preset!r}; choose one of {', '.join(presets)}")
    unknown = set(overrides) - set(presets[preset])
    if unknown:
        raise InputError(
            f"unknown {model} options {sorted(unknown)}; known: {sorted(presets[preset])}"
        )
    merged = {**presets[preset], **overrides}
    checks.settings(merged, presets[preset], model, fractions)
    return merged


@contextlib.contextmanager
def seeded(seed: int, device: torch.device):
    """Torch's global generators seeded with ``seed`` inside, restored afterwards."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def progress_bar(iterable, desc: str, progress: bool | None):
    """tqdm over ``iterable`` on stderr; ``progress=None`` shows it on terminals only."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, disable=None if progress is None else not progress)


def check_images(X, model: str) -> np.ndarray:
    """``X`` as float32 images, channels first (n, C, height, width): grayscale images
    (n, height, width) get one channel, colour ones (n, height, width, C) keep theirs (C <= 4).
    Height and width must be divisible by 4."""
    x = np.asarray(X, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and 1 <= x.shape[3] <= 4:
        x = x.transpose(0, 3, 1, 2)
    else:
        x = None
    if x is None or x.shape[2] % 4 or x.shape[3] % 4 or x.shape[0] < 2:
        raise InputError(
            f"{model}: needs images (n, height, width) or (n, height, width, channels) with "
            f"height and width divisible by 4, got shape {np.shape(X)}"
        )
    if not np.isfinite(x).all():
        raise InputError(f"{model}: training data contains NaN or Inf")
    return np.ascontiguousarray(x)


def image_layout(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(channels, height, width) of a sample shape (height, width) or (height, width, C)."""
    return (1, *shape) if len(shape) == 2 else (shape[2], shape[0], shape[1])


def to_samples(images: torch.Tensor, shape: tuple[int, ...]) -> np.ndarray:
    """Channels-first images (n, C, h, w) as float64 samples of the data's ``shape``."""
    out = images.double().cpu().numpy()
    return out[:, 0] if len(shape) == 2 else out.transpose(0, 2, 3, 1)


def check_labels(labels, n: int, model: str, n_classes: int | None = None) -> np.ndarray:
    """``labels`` as int64 class indices, one per sample, in [0, n_classes) when given."""
    if labels is None:
        raise InputError(f"{model} is conditional: pass labels=, one class index per sample")
    y = np.asarray(labels)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise InputError(
            f"{model}: labels must be {n} integers (one per sample), got {y.dtype} {y.shape}"
        )
    if n and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        known = f"0..{n_classes - 1}" if n_classes is not None else "non-negative"
        raise InputError(f"{model}: labels must be class indices {known}, got {y.min()}..{y.max()}")
    return y.astype(np.int64)


class TorchGenerator:
    """What the torch generators share: presets, device, ``meta()`` and checkpoint files.

    A subclass sets ``name`` (its alias), ``presets`` (preset name -> settings) and
    ``bias_meaning`` (what lambda does, for ``meta()``).
    """

    name: str
    presets: dict
    bias_meaning: str
    #: Settings that are fractions in [0, 1) (every other number must be positive).
    fractions: tuple[str, ...] = ()

    def __init__(self, preset: str = "tiny", device: str | None = None, **overrides):
        self.preset = preset
        self.settings = resolve_settings(self.name, self.presets, preset, overrides, self.fractions)
        self._overrides, self._device = dict(overrides), device
        self.device = pick_device(device)

    def get_params(self, deep: bool = False) -> dict:
        """The constructor arguments, as given (what a run's config.json records)."""
        return {"preset": self.preset, "device": self._device, **self._overrides}

    def _write_checkpoint(self, directory, **fields) -> None:
        """``fields`` plus the preset and settings, as ``<directory>/<name>.pt``.

        Fields are tensors, state dicts and plain values (numbers, strings, lists, tuples,
        dicts) only, so that :meth:`_read_checkpoint` can load them without unpickling code.
        """
        fields.update(preset=self.preset, settings=self.settings)
        torch.save(fields, os.path.join(directory, f"{self.name}.pt"))

    def _read_checkpoint(self, directory) -> dict:
        """The fields of :meth:`_write_checkpoint`; the preset and settings are restored.

        Loaded with ``weights_only=True``: a checkpoint that holds anything but tensors and
        plain values (a pickled object, a callable) is refused, and nothing in it runs.
        """
        path = os.path.join(directory, f"{self.name}.pt")
        if not os.path.isfile(path):
            raise InputError(f"{self.name}: no checkpoint at {path}")
        try:
            saved = torch.load(path, weights_only=True, map_location=self.device)
        except Exception as exc:  # torch's unpickler: UnpicklingError, RuntimeError, EOFError...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataFileError(
                f"{path}: not a plain checkpoint of tensors and values, refused ({first})"
            ) from None
        if not isinstance(saved, dict) or not {"preset", "settings"} <= set(saved):
            raise DataFileError(f"{path}: not a {self.name} checkpoint (no preset and settings)")
        self.preset = saved["preset"]
        self.settings = resolve_settings(
            self.name, self.presets, self.preset, saved["settings"], self.fractions
        )
        return saved

    def meta(self) -> dict:
        return {
            "model": self.name,
            "preset": self.preset,
            **self.settings,
            "device": str(self.device),
            "bias": self.bias_meaning,
        }
