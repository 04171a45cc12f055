"""``gaussian``: a multivariate normal fitted by the sample mean and the unbiased covariance.

The MAD paper's analytic model: fit mu = mean(X), Sigma = cov(X) (divide by n - 1); sample
N(mu, lambda Sigma). In the fully synthetic loop E[Sigma_t] = lambda^(t-1) E[Sigma_1].
"""

from __future__ import annotations

import numpy as np

from madbench.generators._flat import check_bias, check_fitted, flatten, load_arrays, save_arrays
from madbench.types import PathLike


class GaussianGenerator:
    """N(mean, lambda * unbiased covariance) fitted to the training samples."""

    def __init__(self):
        self.mean_ = self.cov_ = self.shape_ = None

    def fit(self, X: np.ndarray, *, seed: int = 0) -> GaussianGenerator:
        x, self.shape_ = flatten(X, "gaussian")
        self.mean_ = x.mean(axis=0)
        self.cov_ = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
        return self

    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        check_fitted(self, "gaussian")
        rng = np.random.default_rng(seed)
        out = rng.multivariate_normal(
            self.mean_, check_bias(bias) * self.cov_, size=n, method="eigh"
        )
        return out.reshape(n, *self.shape_)

    def save(self, directory: PathLike) -> None:
        save_arrays(
            directory,
            "gaussian",
            mean=self.mean_,
            cov=self.cov_,
            shape=self.shape_,
        )

    def load(self, directory: PathLike) -> GaussianGenerator:
        f = load_arrays(directory, "gaussian")
        self.mean_, self.cov_, self.shape_ = f["mean"], f["cov"], tuple(f["shape"])
        return self

    def meta(self) -> dict:
        return {
            "model": "gaussian",
            "covariance": "unbiased (n - 1)",
            "bias": "scales the covariance",
        }
