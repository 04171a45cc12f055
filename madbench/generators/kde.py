"""``kde``: a Gaussian kernel density estimate; lambda scales the bandwidth.

Sampling draws a training point uniformly and adds N(0, (lambda h)^2 I). The bandwidth h is
``bandwidth`` if given, else Scott's rule on the per-coordinate standard deviation,
h = mean(std) * n^(-1 / (d + 4)).
"""

from __future__ import annotations

import numpy as np

from madbench.generators import _checks as checks
from madbench.generators._flat import check_bias, check_fitted, flatten, load_arrays, save_arrays
from madbench.types import PathLike


class KDEGenerator:
    def __init__(self, bandwidth: float | None = None):
        self.bandwidth = None if bandwidth is None else checks.number(bandwidth, "bandwidth", "kde")
        self.data_ = self.h_ = self.shape_ = None

    def fit(self, X: np.ndarray, *, seed: int = 0) -> KDEGenerator:
        x, self.shape_ = flatten(X, "kde")
        self.data_ = x
        n, d = x.shape
        self.h_ = float(self.bandwidth or x.std(axis=0, ddof=1).mean() * n ** (-1.0 / (d + 4)))
        return self

    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        check_fitted(self, "kde")
        rng = np.random.default_rng(seed)
        centres = self.data_[rng.integers(0, len(self.data_), size=n)]
        out = centres + check_bias(bias) * self.h_ * rng.standard_normal(centres.shape)
        return out.reshape(n, *self.shape_)

    def save(self, directory: PathLike) -> None:
        save_arrays(directory, "kde", data=self.data_, h=self.h_, shape=self.shape_)

    def load(self, directory: PathLike) -> KDEGenerator:
        f = load_arrays(directory, "kde")
        self.data_, self.h_, self.shape_ = f["data"], float(f["h"]), tuple(f["shape"])
        return self

    def meta(self) -> dict:
        return {"model": "kde", "bandwidth": self.h_, "bias": "scales the bandwidth"}
