"""sha256 digests of files and folders: the helpers every manifest, pack and weights check uses."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file's bytes, read in 1 MiB chunks (packs run to gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def folder_sha256(folder: str | os.PathLike) -> str:
    """sha256 over a folder's files (a model folder written by ``save_pretrained``): of each
    file's path relative to the folder and its sha256, in sorted order of the paths."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def array_sha256(x: np.ndarray) -> str:
    """sha256 (hex) of an array: its dtype, its shape and its bytes in C order."""
    x = np.ascontiguousarray(x)
    digest = hashlib.sha256(f"{x.dtype.str}{x.shape}\0".encode())
    digest.update(memoryview(x.reshape(-1).view(np.uint8)))
    return digest.hexdigest()
