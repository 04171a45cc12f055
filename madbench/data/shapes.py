"""``shapes``: a built-in, generated, labelled set of small colour images with known modes.

Each 32 x 32 RGB image shows one coloured shape on a textured grey background. The 12 modes
(labels 0..11) are the combinations of 3 shapes (disc, square, triangle) and 4 colours (red,
green, blue, yellow): ``label = 4 * shape + colour``, drawn uniformly. Within a mode the shape's
centre (11..21 pixels), size (radius 6..9 pixels) and brightness (0.7..1), the background's
grey level, stripe angle, frequency and phase, and pixel noise all vary. Values are in [0, 1]
at 8-bit levels, channel last: arrays (n, 32, 32, 3).

Because the images are drawn by a program, their modes can be read back from the pixels:
:func:`classify` finds the shape's colour (the mean of the saturated pixels, nearest of the 4)
and its kind (the share of its bounding box it fills: about 1 for squares, pi / 4 for discs,
1 / 2 for triangles). It labels every real image right (tested), so it counts the modes a
generator's samples still hold: the fully synthetic loop's loss of modes is measured, not
guessed. Samples it cannot read (no saturated region) get label -1.
"""

from __future__ import annotations

import numpy as np

from madbench.data.domain import Domain

SIZE = 32
SHAPES = ("disc", "square", "triangle")
COLOURS = {
    "red": (1.0, 0.15, 0.15),
    "green": (0.15, 0.85, 0.15),
    "blue": (0.15, 0.3, 1.0),
    "yellow": (0.95, 0.9, 0.1),
}
MODES = len(SHAPES) * len(COLOURS)
#: A pixel belongs to the shape when its saturation (max - min channel) exceeds this.
SATURATED = 0.35
#: Fewer saturated pixels than this: no shape to read.
MIN_PIXELS = 12


def mode_name(label: int) -> str:
    shape, colour = divmod(int(label), len(COLOURS))
    return f"{list(COLOURS)[colour]} {SHAPES[shape]}"


def render(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 32, 32, 3) in [0, 1] at 8-bit levels, and their labels (int64)."""
    labels = rng.integers(0, MODES, size=n)
    shape, colour = np.divmod(labels, len(COLOURS))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    cx, cy = (rng.uniform(11, 21, size=(2, n)))[:, :, None, None]
    radius = rng.uniform(6, 9, size=n)[:, None, None]
    dx, dy = xx[None] - cx, yy[None] - cy
    masks = {
        0: dx**2 + dy**2 <= radius**2,
        1: np.maximum(np.abs(dx), np.abs(dy)) <= 0.85 * radius,
        2: (dy <= radius) & (np.abs(dx) <= (dy + radius) / 2),
    }
    mask = np.select([shape[:, None, None] == s for s in masks], list(masks.values()))
    angle, freq, phase = rng.uniform(0, np.pi, n), rng.uniform(0.3, 0.9, n), rng.uniform(0, 7, n)
    stripes = np.sin(
        freq[:, None, None]
        * (xx[None] * np.cos(angle)[:, None, None] + yy[None] * np.sin(angle)[:, None, None])
        + phase[:, None, None]
    )
    grey = rng.uniform(0.3, 0.6, n)[:, None, None] + 0.08 * stripes
    background = grey[..., None] + 0.03 * rng.standard_normal((n, SIZE, SIZE, 3))
    palette = np.array(list(COLOURS.values()))[colour]
    paint = palette[:, None, None, :] * rng.uniform(0.7, 1.0, n)[:, None, None, None]
    images = np.where(mask[..., None], paint, background)
    return Domain().apply(images)[0], labels.astype(np.int64)


def classify(images: np.ndarray) -> np.ndarray:
    """The mode of each image (n, 32, 32, 3) in [0, 1], read from its pixels; -1 when no
    shape can be read."""
    x = np.asarray(images, dtype=np.float64)
    palette = np.array(list(COLOURS.values()))
    palette = palette / np.linalg.norm(palette, axis=1, keepdims=True)
    out = np.full(len(x), -1, dtype=np.int64)
    saturated = (x.max(axis=-1) - x.min(axis=-1)) > SATURATED
    for i, (image, mask) in enumerate(zip(x, saturated, strict=True)):
        if mask.sum() < MIN_PIXELS:
            continue
        rgb = image[mask].mean(axis=0)
        colour = int(np.argmax(palette @ (rgb / np.linalg.norm(rgb))))
        rows, cols = np.nonzero(mask)
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        fill = mask.sum() / box
        shape = 1 if fill > 0.9 else 0 if fill > 0.65 else 2
        out[i] = shape * len(COLOURS) + colour
    return out


def modes_held(images: np.ndarray, min_share: float = 0.0) -> int:
    """How many of the 12 modes hold more than ``min_share`` of the images."""
    labels = classify(images)
    counts = np.bincount(labels[labels >= 0], minlength=MODES)
    return int((counts > min_share * len(labels)).sum())
