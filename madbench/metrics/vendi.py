"""The Vendi score (Friedman and Dieng, 2023): the effective number of distinct samples.

With ``K`` an n x n similarity matrix of the samples (``K_ii = 1``), positive semi-definite,
and ``lambda_i`` the eigenvalues of ``K / n`` (non-negative, summing to 1), the Vendi score of
order ``q`` is the exponential of the Renyi entropy of those eigenvalues:

    VS_q = exp( log(sum_i lambda_i^q) / (1 - q) ),   VS_1 = exp( -sum_i lambda_i log lambda_i ),
    VS_inf = 1 / max_i lambda_i.

It is 1 for n copies of one sample and n for n mutually orthogonal ones. madbench uses the
cosine similarity of feature vectors, ``K = X X^T`` with the rows of ``X`` scaled to unit
norm, the kernel the score is usually reported with for embeddings. The non-zero eigenvalues
of ``X X^T / n`` are those of the d x d matrix ``X^T X / n``, so the cost is O(n d^2 + d^3),
never an n x n matrix.
"""

from __future__ import annotations

import numpy as np

from madbench.errors import InputError
from madbench.metrics.validate import as_features
from madbench.types import Array


def _entropy_exp(eigenvalues: np.ndarray, q: float) -> float:
    """exp of the order-q Renyi entropy of a probability vector (zeros ignored)."""
    p = eigenvalues[eigenvalues > 0]
    if q == np.inf:
        return float(1.0 / p.max())
    if q == 1:
        return float(np.exp(-np.sum(p * np.log(p))))
    return float(np.exp(np.log(np.sum(p**q)) / (1.0 - q)))


def vendi_score(features: Array, *, q: float = 1.0) -> float:
    """The Vendi score of order ``q`` (> 0, or ``inf``) of the rows of ``features`` (n, d)
    under the cosine similarity. Rows of zeros have no direction: they are similar to each
    other (1) and to nothing else (0), as copies of one sample unlike every other (a blank
    image whose ReLU features are all 0 must not stop a loop)."""
    x = as_features(features, "features").astype(np.float64)
    if not (q == np.inf or (np.isfinite(q) and q > 0)):
        raise InputError(f"q must be > 0 (or inf), got {q}")
    # Each row scaled by a power of two to a largest magnitude in [0.5, 1): exact, the same
    # direction, and its norm neither underflows (rows near 1e-170) nor overflows (1e+170).
    x = np.ldexp(x, -np.frexp(np.abs(x).max(axis=1))[1][:, None])
    norms = np.linalg.norm(x, axis=1)
    if (norms == 0).any():  # one more direction, shared by the zero rows only
        x = np.hstack([x, (norms == 0)[:, None].astype(np.float64)])
        norms = np.linalg.norm(x, axis=1)
    x = x / norms[:, None]
    n, d = x.shape
    gram = x @ x.T if n <= d else x.T @ x  # same non-zero eigenvalues
    eigenvalues = np.clip(np.linalg.eigvalsh(gram / n), 0.0, None)
    return _entropy_exp(eigenvalues / eigenvalues.sum(), q)
