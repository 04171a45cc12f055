"""The value domain of an image data set: its range and the levels it is stored at.

Generated images are images: a model may write pixels outside the data's range or between its
stored levels, and a sample saved as a PNG would be clipped and quantised. The loop engine
brings every generated image sample into the domain (:meth:`Domain.apply`) before it is kept,
fed back or scored, and reports the fraction of values that were outside the range.

A manifest states the domain as ``domain: {range: [low, high], levels: L}``: the stored
integers 0..L-1 stand for ``low + (high - low) * q / (L - 1)``. The readers convert stored
integers through :meth:`Domain.values`, so the real data and quantised samples share exactly
the same float32 values (digits: 17 levels, 0..16 / 16; 8-bit IDX images: 256 levels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from madbench.errors import DataFileError

#: The domain of 8-bit images in [0, 1]: IDX sets whose manifests predate the ``domain`` field.
UINT8_LEVELS = 256


@dataclass(frozen=True)
class Domain:
    """Values in [low, high] at ``levels`` equally spaced levels (levels >= 2)."""

    low: float = 0.0
    high: float = 1.0
    levels: int = UINT8_LEVELS

    def __post_init__(self):
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise DataFileError(f"domain: range must be finite with low < high, got {self}")
        if not isinstance(self.levels, int) or self.levels < 2:
            raise DataFileError(f"domain: levels must be an integer >= 2, got {self.levels!r}")

    @classmethod
    def from_manifest(cls, raw: dict | None) -> Domain:
        """The ``domain`` entry of a manifest; absent, 8-bit levels in [0, 1]."""
        if raw is None:
            return cls()
        try:
            low, high = (float(v) for v in raw["range"])
            return cls(low, high, int(raw["levels"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(
                f"domain must be {{range: [low, high], levels: L}}, got {raw!r} ({exc})"
            ) from None

    def as_manifest(self) -> dict:
        return {"range": [self.low, self.high], "levels": self.levels}

    def values(self, stored: np.ndarray) -> np.ndarray:
        """Stored integer levels (any integer dtype) as the float32 values they stand for."""
        q = np.asarray(stored)
        if q.size and (q.min() < 0 or q.max() >= self.levels):
            raise DataFileError(
                f"stored values {q.min()}..{q.max()} are outside the domain's levels "
                f"0..{self.levels - 1}"
            )
        return self._table()[q.astype(np.intp)]

    def _table(self) -> np.ndarray:
        steps = np.arange(self.levels, dtype=np.float32) / np.float32(self.levels - 1)
        if (self.low, self.high) == (0.0, 1.0):
            return steps
        return (self.low + (self.high - self.low) * steps.astype(np.float64)).astype(np.float32)

    def apply(self, samples: np.ndarray) -> tuple[np.ndarray, float]:
        """``samples`` clipped to the range and rounded to the nearest level (float32), and
        the fraction of their values that lay outside the range before clipping."""
        x = np.asarray(samples, dtype=np.float64)
        outside = np.count_nonzero((x < self.low) | (x > self.high)) / max(x.size, 1)
        scaled = (np.clip(x, self.low, self.high) - self.low) / (self.high - self.low)
        levels = np.rint(scaled * (self.levels - 1)).astype(np.intp)
        return self._table()[levels], float(outside)
