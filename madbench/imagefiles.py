"""Image files: the one list of extensions madbench reads, the sorted files of a folder
(searched recursively), and what a file that cannot be decoded raises. Used by ``data add``
and by the feature networks' folders."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff")


def unreadable_image_errors() -> tuple[type[BaseException], ...]:
    """What PIL raises on a file it cannot decode: not an image, truncated, damaged, or with
    more pixels than PIL's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``), which its
    header declares before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    return (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted by path."""
    return sorted(
        p
        for p in Path(folder).rglob("*")
        if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS
    )
