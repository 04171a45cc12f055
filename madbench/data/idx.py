"""IDX files (the MNIST format), plain or gzip-compressed.

Layout (big-endian): two zero bytes, a type code, the number of dimensions ``ndim``, then
``ndim`` 32-bit sizes, then the values in C order. Type codes: 0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Reads MNIST, Fashion-MNIST, KMNIST, EMNIST
or any file in this format.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from madbench.errors import DataFileError
from madbench.limits import check_declared

DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"


@contextlib.contextmanager
def _stream(path: Path):
    """The file's bytes as a stream, decompressed when it is gzip (whatever its name); a file
    that cannot be read or decompressed is a one-line :class:`DataFileError`."""
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
            handle.seek(0)
            yield gzip.GzipFile(fileobj=handle) if gzipped else handle
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataFileError(f"{path}: cannot be read ({exc})") from None


def read_bytes(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The file's bytes, decompressed when it is gzip (whatever its name).

    With ``limit``, never more than ``limit + 1`` bytes are read or decompressed: a file that
    holds more (a gzip bomb, a wrong file) is refused before it fills memory.
    """
    path = Path(path)
    with _stream(path) as source:
        data = source.read() if limit is None else source.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise DataFileError(
            f"{path}: holds more than the {limit} bytes expected (refused before reading on)"
        )
    return data


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """The array held by the bytes of an IDX file (native byte order)."""
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in DTYPES:
        raise DataFileError(f"{name}: not an IDX file (header {data[:4]!r})")
    dtype, ndim = DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFileError(f"{name}: truncated IDX header ({len(data)} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + math.prod(shape) * dtype.itemsize  # exact: no overflow
    if len(data) != expected:
        raise DataFileError(
            f"{name}: IDX shape {shape} needs {expected} bytes but the file has {len(data)} "
            "(truncated or corrupt)"
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def declared_bytes(path: str | os.PathLike) -> int:
    """The size an IDX file's header declares (header included), read from its first bytes
    only (through gzip when compressed), checked against what may be read
    (:func:`madbench.limits.check_declared`) before anything more is decompressed."""
    path = Path(path)
    with _stream(path) as source:
        head = source.read(4)
        ndim = head[3] if len(head) == 4 else 0
        head += source.read(4 * ndim)
    if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in DTYPES:
        raise DataFileError(f"{path}: not an IDX file (header {head[:4]!r})")
    if len(head) < 4 + 4 * ndim:
        raise DataFileError(f"{path}: truncated IDX header ({len(head)} bytes)")
    shape = struct.unpack(f">{ndim}I", head[4:])
    declared = len(head) + math.prod(shape) * DTYPES[head[2]].itemsize
    check_declared(str(path), declared, path.stat().st_size)
    return declared


def read_idx_file(path: str | os.PathLike) -> bytes:
    """An IDX file's (decompressed) bytes, its declared size checked before reading
    (:func:`declared_bytes`), and never more than it declares read."""
    return read_bytes(path, limit=declared_bytes(path))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a numpy array."""
    return parse_idx(read_idx_file(path), str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool = False) -> None:
    """Write ``array`` as an IDX file (gzip-compressed with ``compress``)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in CODES:
        raise DataFileError(f"IDX cannot store dtype {array.dtype}; use one of {list(CODES)}")
    code = CODES[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    Path(path).write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
