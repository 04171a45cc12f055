"""Reading .npy and .npz files that may be damaged or hostile: plain arrays only, never a
pickle, every size a file declares checked before anything is allocated
(:func:`madbench.limits.check_declared`: a 2 MB .npz can declare 24 GB of zeros), and every
failure a one-line :class:`~madbench.errors.DataFileError`."""

from __future__ import annotations

import os
import tokenize
import zipfile

import numpy as np

from madbench.errors import DataFileError, one_line
from madbench.limits import check_declared
from madbench.types import PathLike

#: What numpy raises on a damaged file: bad header (ValueError, SyntaxError, TokenError from
#: its literal parser), short data (ValueError, EOFError), bad zip (BadZipFile), I/O (OSError).
DAMAGED = (ValueError, SyntaxError, tokenize.TokenError, EOFError, OSError, zipfile.BadZipFile)


def _declared(handle) -> int:
    """The bytes of values a .npy stream's header declares (the stream left after it)."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def check_sizes(path: PathLike, name: str, *, npz: bool) -> None:
    """Every array a .npy or (``npz``) .npz file (a path, or a binary file object) declares:
    within what may be read, and within what the file (or the zip member) holds."""
    kind = "a readable .npz file" if npz else "a plain numeric .npy array"
    try:
        if npz and not zipfile.is_zipfile(path):
            raise DataFileError(f"{name}: not {kind} (not a zip archive)")
        if npz:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    where = f"{name}: {info.filename}"
                    check_declared(where, info.file_size, info.compress_size)
                    with archive.open(info) as member:
                        if _declared(member) > info.file_size:
                            raise DataFileError(f"{where}: declares more values than it holds")
            return
        if hasattr(path, "seek"):
            path.seek(0)
            handle, stored = path, None
        else:
            handle, stored = open(path, "rb"), os.path.getsize(path)
        try:
            declared = _declared(handle)
        finally:
            if handle is not path:
                handle.close()
        if stored is not None:
            check_declared(name, declared, stored)
            if declared > stored:
                raise DataFileError(f"{name}: declares more values than the file holds")
    except DataFileError:
        raise
    except FileNotFoundError:
        raise DataFileError(f"{name} is missing") from None
    except DAMAGED as exc:
        raise DataFileError(f"{name}: not {kind} ({one_line(exc)})") from None
    finally:
        if hasattr(path, "seek"):
            path.seek(0)


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """The array in a .npy file; object arrays (pickles) are refused."""
    check_sizes(path, str(path), npz=False)
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataFileError(f"{path} is missing") from None
    except DAMAGED as exc:
        raise DataFileError(f"{path}: not a plain numeric .npy array ({one_line(exc)})") from None


def load_npz(path: PathLike, *, name: str | None = None) -> dict[str, np.ndarray]:
    """Every array in a .npz file (a path, or a binary file object called ``name`` in
    messages), by name; object arrays (pickles) are refused."""
    name = name or str(path)
    check_sizes(path, name, npz=True)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise DataFileError(f"{name} is missing") from None
    except DAMAGED as exc:
        raise DataFileError(f"{name}: not a readable .npz file ({one_line(exc)})") from None
