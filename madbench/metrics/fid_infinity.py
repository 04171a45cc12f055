"""FID-infinity: FID with its sample-size bias extrapolated away (Chong and Forsyth, CVPR 2020).

FID estimated from n samples is biased upward, by about ``c / n`` (the plug-in means and
covariances carry noise of order 1/n into every term), so FIDs computed at different sample
sizes cannot be compared, and even at equal sizes a small n is mostly bias: between disjoint
draws of digits' train split (LeNet features), FID falls as 12.4, 8.1, 4.0, 2.0 at n = 100,
180, 360, 700.
FID-infinity fits the line ``FID(m) = FID_inf + c / m`` to FIDs at several sizes m and
reports its intercept, the FID an infinite sample would give.

madbench's version draws, at each of ``points`` sizes m spaced evenly in 1/m between 1/m_min and
1/n (n the smaller set's length, m_min its ``SMALLEST_FRACTION``, but never below twice the
feature dimension, where the 1/m law of the bias holds), ``repeats`` times m rows of *both* sets
without replacement (seeded), averages their FIDs (the subsets' own noise would otherwise
dominate the extrapolation), and fits the line by least squares. Chong and Forsyth keep the real
statistics of a large set fixed and vary the generated sample only; madbench's real set is the
evaluation set, as small as the generated one, so both are subsampled and both sets' bias terms
are extrapolated. Where the sets are too small for the range (n below ``2 * 2 d``), there is no
FID-infinity (NaN).

FID-infinity can come out negative when the true distance is near 0 (the intercept of a
noisy line); it is reported as fitted, not clipped, so that its average over seeds stays
unbiased.
"""

from __future__ import annotations

import numpy as np

from madbench.metrics.frechet import fid_from_features
from madbench.metrics.validate import as_features
from madbench.types import Array

#: Sizes the line is fitted through (Chong and Forsyth use 15).
POINTS = 15
#: Subsets averaged at each size.
REPEATS = 5
#: The smallest size, as a fraction of the set (their 5,000 of 50,000 is a tenth; madbench's
#: sets are smaller, so the range stops at a quarter, where FID's 1/m law still holds).
SMALLEST_FRACTION = 0.25


def fid_infinity(
    real: Array, fake: Array, *, points: int = POINTS, repeats: int = REPEATS, seed: int = 0
) -> float:
    """FID-infinity of ``fake`` against ``real`` (feature arrays, real first; module
    docstring), seeded; NaN where the sets are too small for its range of sizes."""
    r = as_features(real, "real")
    f = as_features(fake, "fake")
    n, d = min(len(r), len(f)), r.shape[1]
    smallest = max(int(np.ceil(SMALLEST_FRACTION * n)), 2 * d)
    if 2 * smallest > n:
        return float("nan")
    inverse = np.linspace(1 / smallest, 1 / n, points)
    sizes = np.unique(np.round(1 / inverse).astype(int))
    rng = np.random.default_rng([seed, 7])
    values = []
    for m in sizes:
        fids = []
        for _ in range(repeats):
            rows_r = np.sort(rng.permutation(len(r))[:m])
            rows_f = np.sort(rng.permutation(len(f))[:m])
            fids.append(fid_from_features(r[rows_r], f[rows_f]))
        values.append(np.mean(fids))
    slope, intercept = np.polyfit(1 / sizes, values, 1)
    return float(intercept)
