"""What every score against one real (reference) set shares, computed once: its Gaussian
statistics, the exact squared distance of each row to its k-th nearest other row, and KID's
cubic kernel over its rows.

A loop scores each generation against the same held-out set, and ``madbench stats make``
(:mod:`madbench.statsfiles`) stores these for reuse across runs. :func:`~madbench.metrics.
report.all_metrics` given a :class:`RealStatistics` skips the work they hold, with the same
results to the last bit:

- FID fits only the generated set (where d < n; wider features take the sample-space route,
  which needs both sets' rows, as before);
- the k-NN metrics, and RKE's bandwidth, skip the real set's neighbour search (exact search
  only; the radii of a k other than the statistics' are searched as before);
- KID, for sets of at most :data:`~madbench.metrics.kid.WHOLE_KERNEL_MAX` rows, takes the real
  rows' kernel matrix from here (made once per feature scale). KID's subsets are drawn with
  the generated set's size, so per-subset sums are not reusable; larger sets keep the fused
  pass with the k-NN metrics (:mod:`madbench.metrics.fused`), whose real-real blocks KID
  needs, and then the stored radii go unused;
- a loop's half-sampling intervals take the real rows' distance matrix from here
  (:class:`~madbench.metrics.subsets.SubsetMetrics`, up to its ``MAX_ROWS`` rows).

The two n x n matrices are made on first use and kept in memory, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from madbench import defaults
from madbench.metrics.frechet import GaussianStats, fit_gaussian
from madbench.metrics.kid import WHOLE_KERNEL_MAX, cubic_kernel, scaled_rows
from madbench.metrics.knn import knn_sqradii
from madbench.metrics.subsets import MAX_ROWS, within_sqdist
from madbench.metrics.validate import as_features, check_k


@dataclass
class RealStatistics:
    """A real feature set (n, d) and what scores against it share (module docstring).

    ``gaussian`` is None where n <= d (FID then works from the rows); ``kth_sqdist`` holds
    float64 squared distances in the features' units, at neighbour count ``k``."""

    features: np.ndarray
    gaussian: GaussianStats | None
    k: int
    kth_sqdist: np.ndarray
    _kernels: dict = field(default_factory=dict, repr=False, compare=False)  # n x n, in memory

    def radii_for(self, k: int) -> np.ndarray | None:
        """The stored squared k-th neighbour distances when ``k`` is the statistics' k."""
        return self.kth_sqdist if k == self.k else None

    def cubic_kernel(self, feature_scale: float) -> np.ndarray | None:
        """KID's kernel over the real rows divided by ``feature_scale`` (float64, n x n), made
        once per scale; None above :data:`~madbench.metrics.kid.WHOLE_KERNEL_MAX` rows."""
        if len(self.features) > WHOLE_KERNEL_MAX:
            return None
        if feature_scale not in self._kernels:
            r = scaled_rows(self.features, feature_scale).astype(np.float64)
            with np.errstate(over="ignore", invalid="ignore"):  # refused in kid_result
                self._kernels[feature_scale] = cubic_kernel(r, r)
        return self._kernels[feature_scale]

    def within_sqdist(self) -> np.ndarray | None:
        """The float64 squared distances between the real rows that half-sampling intervals
        read (:func:`madbench.metrics.subsets.within_sqdist`), made once; None above
        :data:`~madbench.metrics.subsets.MAX_ROWS` rows."""
        if len(self.features) > MAX_ROWS:
            return None
        if "within" not in self._kernels:
            self._kernels["within"] = within_sqdist(self.features.astype(np.float64))
        return self._kernels["within"]

    def holds(self, features: np.ndarray) -> bool:
        """Whether ``features`` are the rows these statistics were made from."""
        return features is self.features or (
            features.shape == self.features.shape
            and features.dtype == self.features.dtype
            and np.array_equal(features, self.features)
        )


def real_statistics(
    features: np.ndarray,
    *,
    k: int = defaults.K,
    backend: str = defaults.BACKEND,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
) -> RealStatistics:
    """The statistics of the real rows ``features`` at neighbour count ``k``."""
    x = as_features(features, "real")
    check_k(k, len(x), len(x))
    n, d = x.shape
    return RealStatistics(
        features=x,
        gaussian=fit_gaussian(x, "real") if n > d else None,
        k=int(k),
        kth_sqdist=knn_sqradii(x, k=k, backend=backend, device=device, memory_budget=memory_budget),
    )
