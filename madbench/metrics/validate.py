"""Checks on feature arrays before any metric touches them.

Each check raises :class:`~madbench.errors.InputError` with a message that names the argument,
its shape or count, and what is expected, so that a caller (or the CLI) can pass it straight to
the user.
"""

from __future__ import annotations

import numbers

import numpy as np

from madbench.errors import InputError
from madbench.types import Array


def as_features(x: Array, name: str) -> np.ndarray:
    """Return ``x`` as a finite 2-D float array ``(n_samples, n_features)``.

    Integer and boolean arrays are converted to float64; float32 and float64 are kept as they
    are (no copy). Torch tensors and nested lists are accepted.
    """
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise InputError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise InputError(f"{name}: complex values are not features (dtype {arr.dtype})")
    if arr.ndim != 2:
        raise InputError(
            f"{name}: expected a 2-D array (n_samples, n_features), got shape {arr.shape}"
            + ("; reshape a single vector with x[None, :]" if arr.ndim == 1 else "")
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{name}: the array is empty, shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        raise InputError(
            f"{name}: {bad_rows.size} of {arr.shape[0]} rows contain NaN or Inf "
            f"(first at row {bad_rows[0]}); drop or fix those samples"
        )
    return arr


def largest_magnitude(x: np.ndarray) -> float:
    """``max |x|`` of a finite, non-empty array, from its maximum and minimum: no temporary
    array of absolute values (whose allocation costs more than both passes)."""
    return max(float(x.max()), -float(x.min()))


def check_k(k: int, n_real: int, n_fake: int) -> int:
    """Check the neighbour count: an integer >= 1 with at least k + 1 samples on each side."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise InputError(f"k must be an integer >= 1, got {k!r}")
    for name, count in (("real", n_real), ("fake", n_fake)):
        if count < k + 1:
            raise InputError(
                f"{name}: {count} samples are too few for k = {k}; the k-th neighbour of a "
                f"sample excluding itself needs at least k + 1 = {k + 1} samples"
            )
    return int(k)


def check_positive(value: float, what: str) -> float:
    """A finite real number > 0 (not a bool), as a float; ``what`` names it in the error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} must be a number > 0, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{what} must be a number > 0, got {value!r}")
    return float(value)


def check_same_dim(real: np.ndarray, fake: np.ndarray) -> None:
    """Both sets must live in the same feature space."""
    if real.shape[1] != fake.shape[1]:
        raise InputError(
            f"real has {real.shape[1]} features per sample (shape {real.shape}) but fake has "
            f"{fake.shape[1]} (shape {fake.shape}); both must come from the same extractor"
        )


def check_no_overflow(values: np.ndarray, what: str) -> None:
    """Refuse a float64 result that overflowed (Inf or NaN from finite inputs): the inputs are
    too large for ``what``, whose squares (or cubes) exceed float64's largest value, 1.8e308."""
    if not np.isfinite(values).all():
        raise InputError(
            f"{what} overflows float64: the features are too large (their products exceed "
            "1.8e308); divide them by a common scale first"
        )
