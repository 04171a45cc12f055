"""Independent brute-force reference implementations, used only by the tests.

They follow the definitions in shared/spec/metrics.md literally, with scipy's direct
float64 distances and full matrices: slow, simple, and written without madbench's code.
"""

import numpy as np
from scipy.spatial.distance import cdist


def knn_reference(real, fake, k, strict=False):
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    d_rr = cdist(real, real, "sqeuclidean")
    d_ff = cdist(fake, fake, "sqeuclidean")
    d_rf = cdist(real, fake, "sqeuclidean")
    rad_real = np.sort(d_rr, axis=1)[:, k]  # the (k+1)-th smallest: self excluded
    rad_fake = np.sort(d_ff, axis=1)[:, k]
    inside = np.less if strict else np.less_equal
    in_real_ball = inside(d_rf, rad_real[:, None])  # [r, g]: g inside ball of r
    in_fake_ball = inside(d_rf, rad_fake[None, :])  # [r, g]: r inside ball of g
    return {
        "precision": in_real_ball.any(axis=0).mean(),
        "recall": in_fake_ball.any(axis=1).mean(),
        "density": in_real_ball.sum() / (k * fake.shape[0]),
        "coverage": (d_rf.min(axis=1) <= rad_real).mean()
        if not strict
        else (d_rf.min(axis=1) < rad_real).mean(),
    }


def realism_reference(real, fake, k):
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    rad = np.sort(cdist(real, real, "sqeuclidean"), axis=1)[:, k]
    keep = rad < np.median(rad)
    d = cdist(fake, real[keep], "sqeuclidean")
    with np.errstate(divide="ignore"):
        return (rad[keep][None, :] / d).max(axis=1)


def kid_reference(x, y):
    """Unbiased MMD^2 with the cubic kernel, by explicit double loops."""
    d = x.shape[1]
    s = x.shape[0]

    def kern(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    xx = sum(kern(x[i], x[j]) for i in range(s) for j in range(s) if i != j)
    yy = sum(kern(y[i], y[j]) for i in range(s) for j in range(s) if i != j)
    xy = sum(kern(x[i], y[j]) for i in range(s) for j in range(s))
    return (xx + yy) / (s * (s - 1)) - 2 * xy / s**2
