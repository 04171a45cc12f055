"""``gmm``: a Gaussian mixture (scikit-learn, full covariances); lambda scales every
component's covariance, the mixture weights are kept."""

from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture

from madbench.generators import _checks as checks
from madbench.generators._flat import check_bias, check_fitted, flatten, load_arrays, save_arrays
from madbench.types import PathLike


class GMMGenerator:
    """Mixture of ``n_components`` Gaussians fitted by EM (``reg_covar`` added to diagonals)."""

    def __init__(self, n_components: int = 10, reg_covar: float = 1e-4, max_iter: int = 200):
        self.n_components = checks.integer(n_components, "n_components", "gmm")
        self.reg_covar = checks.number(reg_covar, "reg_covar", "gmm")
        self.max_iter = checks.integer(max_iter, "max_iter", "gmm")
        self.weights_ = self.means_ = self.covariances_ = self.shape_ = None

    def fit(self, X: np.ndarray, *, seed: int = 0) -> GMMGenerator:
        x, self.shape_ = flatten(X, "gmm")
        model = GaussianMixture(
            n_components=min(self.n_components, len(x)),
            covariance_type="full",
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            random_state=seed,
        ).fit(x)
        self.weights_, self.means_, self.covariances_ = (
            model.weights_,
            model.means_,
            model.covariances_,
        )
        return self

    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        check_fitted(self, "gmm")
        bias = check_bias(bias)
        rng = np.random.default_rng(seed)
        counts = rng.multinomial(n, self.weights_ / self.weights_.sum())
        parts = [
            rng.multivariate_normal(mean, bias * cov, size=count, method="eigh")
            for mean, cov, count in zip(self.means_, self.covariances_, counts, strict=True)
        ]
        out = np.concatenate(parts)[rng.permutation(n)]
        return out.reshape(n, *self.shape_)

    def save(self, directory: PathLike) -> None:
        save_arrays(
            directory,
            "gmm",
            weights=self.weights_,
            means=self.means_,
            covariances=self.covariances_,
            shape=self.shape_,
        )

    def load(self, directory: PathLike) -> GMMGenerator:
        f = load_arrays(directory, "gmm")
        self.weights_, self.means_ = f["weights"], f["means"]
        self.covariances_, self.shape_ = f["covariances"], tuple(f["shape"])
        return self

    def meta(self) -> dict:
        return {
            "model": "gmm",
            "n_components": self.n_components,
            "bias": "scales component covariances",
        }
