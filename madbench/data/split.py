"""One split of a data set: its samples and their labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Samples ``x`` (n, *shape) and their labels ``y`` (n,), or None for unlabelled data."""

    x: np.ndarray
    y: np.ndarray | None
