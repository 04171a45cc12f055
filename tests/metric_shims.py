"""Metric implementations for check-metric's tests: prdc's, and small ones written with each
historical bug of madbench.checks.battery.BUGS. None imports madbench."""

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist


def _prdc(real, fake, k):
    from prdc import compute_prdc

    return compute_prdc(real_features=real, fake_features=fake, nearest_k=k)


def prdc_precision(real, fake, *, k):
    return _prdc(real, fake, k)["precision"]


def prdc_recall(real, fake, *, k):
    return _prdc(real, fake, k)["recall"]


def prdc_density(real, fake, *, k):
    return _prdc(real, fake, k)["density"]


def prdc_coverage(real, fake, *, k):
    return _prdc(real, fake, k)["coverage"]


def _precision(real, fake, k, strict):
    radius = np.sort(cdist(real, real), axis=1)[:, k]
    inside = (
        (cdist(real, fake) < radius[:, None]) if strict else (cdist(real, fake) <= radius[:, None])
    )
    return inside.any(axis=0).mean()


def strict_precision(real, fake, *, k):
    """prdc's < rule where <= is expected."""
    return _precision(real, fake, k, strict=True)


def swapped_precision(real, fake, *, k):
    """Precision computed with the sets swapped: recall (torch-fidelity's bug)."""
    return _precision(fake, real, k, strict=False)


def batched_precision(real, fake, *, k, batch_size=64):
    """Radii from within each batch of real rows only: depends on the batch size."""
    radius = np.concatenate(
        [
            np.sort(cdist(real[i : i + batch_size], real[i : i + batch_size]), axis=1)[
                :, min(k, len(real[i : i + batch_size]) - 1)
            ]
            for i in range(0, len(real), batch_size)
        ]
    )
    return (cdist(real, fake) <= radius[:, None]).any(axis=0).mean()


def naive_fid(real, fake):
    """The textbook FID with scipy's sqrtm, its imaginary part kept."""
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1 + s2 - 2 * covmean)


def resampling_kid(real, fake, *, subset_size, n_subsets, seed):
    """KID whose subsets are drawn with replacement when they exceed the sample."""
    rng = np.random.default_rng(seed)
    d = real.shape[1]
    values = []
    for _ in range(n_subsets):
        n = subset_size
        x = real[rng.choice(len(real), n, replace=n > len(real))]
        y = fake[rng.choice(len(fake), n, replace=n > len(fake))]
        kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        values.append(
            (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean()
        )
    return float(np.mean(values))


def _gaussian_kernel_means(real, fake, dtype, diagonal=True):
    x, y = np.asarray(real, dtype), np.asarray(fake, dtype)
    gamma = dtype(1 / 200)

    def mean(a, b, same):
        k = np.exp(-gamma * cdist(a, b, "sqeuclidean").astype(dtype))
        if same and not diagonal:
            return (k.sum() - np.trace(k)) / (len(a) * (len(a) - 1))
        return k.mean(dtype=dtype)

    return mean(x, x, True), mean(y, y, True), mean(x, y, False)


def unbiased_cmmd(real, fake):
    """KID's unbiased MMD estimator with CMMD's kernel and scale."""
    xx, yy, xy = _gaussian_kernel_means(real, fake, np.float64, diagonal=False)
    return 1000 * (xx + yy - 2 * xy)


def float32_cmmd(real, fake):
    """The authors' formula with every kernel value and mean in float32."""
    xx, yy, xy = _gaussian_kernel_means(real, fake, np.float32)
    return float(1000 * (xx + yy - 2 * xy))
