"""How far a float32 (or float64) squared distance can be from the exact one.

The exact k-NN metrics (:mod:`madbench.metrics.exact`) and the neighbour searches
(:mod:`madbench.metrics.neighbours`) compare float32 distances only where this bound says the
comparison cannot be wrong, and re-decide the rest exactly.
"""

from __future__ import annotations

import numpy as np

#: Unit roundoff of float32 and float64.
U32 = 2.0**-24
U64 = 2.0**-53


def rounding_bound(
    norm_a: np.ndarray | float, norm_b: np.ndarray | float, dim: int, unit: float = U32
) -> np.ndarray:
    """Upper bound on ``|computed - exact|`` of one squared distance computed in floating point
    with unit roundoff ``unit`` (float32 by default).

    ``norm_a`` and ``norm_b`` are the Euclidean norms of the (centred) vectors. The expansion
    ``||a||^2 + ||b||^2 - 2 a.b`` with ``d``-term sums errs by at most
    ``gamma_d (||a|| + ||b||)^2`` (Higham, Accuracy and Stability, sec. 3.1); rounding the
    inputs to the working precision adds a few ``u (||a|| + ||b||)^2``. We take
    ``gamma_{d+8}`` and a safety factor of 2.
    """
    g = (dim + 8) * unit
    return 2.0 * g / (1.0 - g) * (np.asarray(norm_a) + np.asarray(norm_b)) ** 2
