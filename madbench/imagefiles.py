"""Finding image files: the one list of extensions madbench reads, and the sorted files of a
folder (searched recursively). Used by ``data add`` and by the feature networks' folders."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff")


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted by path."""
    return sorted(
        p
        for p in Path(folder).rglob("*")
        if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS
    )
