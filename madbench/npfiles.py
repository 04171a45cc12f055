"""Reading .npy and .npz files that may be damaged or hostile: plain arrays only, never a
pickle, and every failure a one-line :class:`~madbench.errors.DataFileError`."""

from __future__ import annotations

import os
import tokenize
import zipfile

import numpy as np

from madbench.errors import DataFileError, one_line

#: What numpy raises on a damaged file: bad header (ValueError, SyntaxError, TokenError from
#: its literal parser), short data (ValueError, EOFError), bad zip (BadZipFile), I/O (OSError).
DAMAGED = (ValueError, SyntaxError, tokenize.TokenError, EOFError, OSError, zipfile.BadZipFile)


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """The array in a .npy file; object arrays (pickles) are refused."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataFileError(f"{path} is missing") from None
    except DAMAGED as exc:
        raise DataFileError(f"{path}: not a plain numeric .npy array ({one_line(exc)})") from None


def load_npz(path, *, name: str | None = None) -> dict[str, np.ndarray]:
    """Every array in a .npz file (a path, or a binary file object called ``name`` in
    messages), by name; object arrays (pickles) are refused."""
    name = name or str(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise DataFileError(f"{name} is missing") from None
    except DAMAGED as exc:
        raise DataFileError(f"{name}: not a readable .npz file ({one_line(exc)})") from None
