"""Shared plumbing of the vector generators: samples in, flattened vectors, samples out."""

from __future__ import annotations

import os

import numpy as np

from madbench.errors import InputError
from madbench.npfiles import load_npz


def flatten(x, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """``x`` (n, *shape) as float64 vectors (n, prod(shape)), and the sample shape."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 2:
        raise InputError(f"{name}: needs at least 2 samples shaped (n, ...), got {x.shape}")
    if not np.isfinite(x).all():
        raise InputError(f"{name}: training data contains NaN or Inf")
    return x.reshape(len(x), -1), x.shape[1:]


def check_bias(bias: float) -> float:
    if not 0.0 < bias <= 1.0:
        raise InputError(f"bias (lambda) must be in (0, 1], got {bias}")
    return float(bias)


def check_fitted(model, name: str) -> None:
    if getattr(model, "shape_", None) is None:
        raise InputError(f"{name}: call fit() before sample()")


def save_arrays(directory, name: str, **arrays) -> None:
    """Write a generator's state as ``<directory>/<name>.npz``."""
    np.savez(os.path.join(directory, f"{name}.npz"), **arrays)


def load_arrays(directory, name: str) -> dict[str, np.ndarray]:
    """Read the state written by :func:`save_arrays`."""
    return load_npz(os.path.join(directory, f"{name}.npz"))
