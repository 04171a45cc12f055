"""Do madbench's intervals cover? A simulation on Gaussians, where the truth is at hand.

Each draw takes ``n`` real samples from N(0, I_d) and ``n`` generated ones from N(shift, scale^2
I_d), computes precision, recall, density, coverage (k = 5), FID and KID (the unbiased MMD^2
of the cubic kernel over the full sets) and their intervals by half-sampling
(:func:`madbench.metrics.intervals.half_sample_intervals`). The metrics here are the plain
numpy definitions, so the simulation tests the interval method, fast; madbench's own metrics
equal such references elsewhere. The quantity an
interval must cover is the metric's expected value at this n, estimated by the mean of the
``draws`` estimates (its own error is ~ sd / sqrt(draws), small beside the interval).

``python -m madbench.checks.calibration N D DRAWS`` prints each metric's coverage, the
interval's mean half-width over the true sd of the estimates, and the expected value.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.spatial.distance import cdist

from madbench.metrics.intervals import half_sample_intervals

METRICS = ("precision", "recall", "density", "coverage", "fid", "kid")


def _kid(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 of the cubic kernel (x . y / d + 1)^3, over the full sets."""
    d, m, n = x.shape[1], len(x), len(y)
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    same = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(same - 2 * kxy.mean())


def _prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict:
    """Precision, recall, density and coverage (the ``<=`` rule), k-th distances by partition."""
    d_rf = cdist(real, fake, "sqeuclidean")
    radius_r = np.partition(cdist(real, real, "sqeuclidean"), k, axis=1)[:, k]
    radius_f = np.partition(cdist(fake, fake, "sqeuclidean"), k, axis=1)[:, k]
    in_real_ball = d_rf <= radius_r[:, None]
    return {
        "precision": float(in_real_ball.any(axis=0).mean()),
        "recall": float((d_rf <= radius_f[None, :]).any(axis=1).mean()),
        "density": float(in_real_ball.sum() / (k * len(fake))),
        "coverage": float((d_rf.min(axis=1) <= radius_r).mean()),
    }


def _fid(real: np.ndarray, fake: np.ndarray) -> float:
    """FID, tr (S1 S2)^(1/2) as the sum of the square roots of the eigenvalues of the symmetric
    S1^(1/2) S2 S1^(1/2)."""
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ s2 @ root), 0, None)).sum()
    diff = real.mean(axis=0) - fake.mean(axis=0)
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * cross)


def reference_metrics(real: np.ndarray, fake: np.ndarray, keys=METRICS) -> dict:
    out = {}
    if set(keys) & {"precision", "recall", "density", "coverage"}:
        out.update(_prdc(real, fake))
    if "fid" in keys:
        out["fid"] = _fid(real, fake)
    if "kid" in keys:
        out["kid"] = _kid(real, fake)
    return {m: v for m, v in out.items() if m in keys}


def coverage(
    n: int,
    d: int,
    draws: int,
    *,
    replicates: int = 100,
    shift: float = 0.1,
    scale: float = 1.1,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float, float]]:
    """Per metric: (coverage, mean half-width / sd of the estimates, expected value). Runs
    with one BLAS thread (small matrices: more threads only contend)."""
    from madbench.runs.threads import pinned_threads

    with pinned_threads(1):
        return _coverage(n, d, draws, replicates, shift, scale, level, seed)


def _coverage(n, d, draws, replicates, shift, scale, level, seed):
    rng = np.random.default_rng(seed)
    estimates, lows, highs = [], [], []
    for draw in range(draws):
        real = rng.standard_normal((n, d))
        fake = shift + scale * rng.standard_normal((n, d))
        values = reference_metrics(real, fake)
        found = half_sample_intervals(
            lambda r, f, keys: reference_metrics(r, f, keys),
            real,
            fake,
            values,
            level=level,
            replicates=replicates,
            seed=seed * 100_003 + draw,
        )
        estimates.append([values[m] for m in METRICS])
        lows.append([found[m][0] for m in METRICS])
        highs.append([found[m][1] for m in METRICS])
    estimates, lows, highs = (np.array(a) for a in (estimates, lows, highs))
    target = estimates.mean(axis=0)
    covered = ((lows <= target) & (target <= highs)).mean(axis=0)
    from scipy import stats

    z = stats.norm.ppf((1 + level) / 2)
    ratio = ((highs - lows) / (2 * z)).mean(axis=0) / estimates.std(axis=0, ddof=1)
    return {
        m: (float(c), float(r), float(t))
        for m, c, r, t in zip(METRICS, covered, ratio, target, strict=True)
    }


def main(argv=None) -> None:
    n, d, draws = (int(a) for a in (argv or sys.argv[1:])[:3])
    print(f"n = {n}, d = {d}, {draws} draws, 95 % half-sampling intervals:")
    for metric, (covered, ratio, target) in coverage(n, d, draws).items():
        print(
            f"  {metric:<9} coverage {covered:.3f}  half-width / sd {ratio:.2f}  (E = {target:.4g})"
        )


if __name__ == "__main__":
    main()
