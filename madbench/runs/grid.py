"""Sample grids: a generation's images tiled into one PNG, so the loss of quality shows."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

#: Grids show at most this many samples (the first ones), and are at least this wide.
GRID_SAMPLES = 64
GRID_MIN_WIDTH = 256


def image_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """Tile images with values in [0, 1], grayscale (n, h, w) or colour (n, h, w, 3), into one
    uint8 image (h, w) or (h, w, 3), 1 px apart, enlarged (nearest neighbour) so that the grid
    is at least GRID_MIN_WIDTH pixels wide."""
    images = np.clip(np.asarray(images[:GRID_SAMPLES], dtype=np.float64), 0.0, 1.0)
    n, h, w = images.shape[:3]
    colour = images.shape[3:]
    rows = -(-n // columns)
    grid = np.ones((rows * (h + 1) + 1, columns * (w + 1) + 1, *colour))
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        grid[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = img
    scale = max(1, -(-GRID_MIN_WIDTH // grid.shape[1]))
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return (grid * 255).round().astype(np.uint8)


#: Height in pixels of the title strip above a grid.
TITLE_HEIGHT = 14


def save_grid(path: str | os.PathLike, images: np.ndarray, title: str = "") -> None:
    """Write the grid of ``images`` as a PNG, with ``title`` (say, the run and generation) in
    a strip above it. Callers write into a staged folder, so the file needs no renaming."""
    grid = image_grid(images)
    if title:
        strip = np.full((TITLE_HEIGHT, *grid.shape[1:]), 255, dtype=np.uint8)
        grid = np.vstack([strip, grid])
    picture = Image.fromarray(grid)
    if title:
        ImageDraw.Draw(picture).text((2, 1), title, fill=0 if grid.ndim == 2 else (0, 0, 0))
    picture.save(Path(path), format="PNG")
