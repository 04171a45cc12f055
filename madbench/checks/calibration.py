"""Do madbench's intervals cover? A simulation on Gaussians, where the truth is at hand.

Each draw takes ``n`` real samples from N(0, I_d) and ``n`` generated ones from N(shift, scale^2
I_d), computes precision, recall, density, coverage (k = 5), FID and KID (a loop's: the mean
over 100 subsets) and their intervals, by half-sampling, KID's and precision's from their
variances, through the code a loop scores with (:class:`madbench.metrics.subsets.SubsetMetrics`,
:func:`madbench.metrics.kid.kid_variance`, :func:`madbench.metrics.intervals.precision_variance`,
:func:`madbench.metrics.intervals.half_sample_intervals`). The quantity an interval must
cover is the metric's expected value at this n, estimated by the mean of the ``draws``
estimates (its own error is ~ sd / sqrt(draws), small beside the interval).

``python -m madbench.checks.calibration N D DRAWS [SEED [SHIFT SCALE]]`` prints each metric's
coverage, the interval's mean half-width over the true sd of the estimates, and the expected
value (seed 0, shift 0.1 and scale 1.1 unless given: a simulation of 400 draws has a
standard error of 1.1 points, so the published figures average five seeds).
"""

from __future__ import annotations

import sys

import numpy as np

from madbench import defaults
from madbench.metrics.intervals import half_sample_intervals, precision_variance
from madbench.metrics.kid import kid, kid_variance
from madbench.metrics.subsets import SubsetMetrics

METRICS = ("precision", "recall", "density", "coverage", "fid", "kid")


def coverage(
    n: int,
    d: int,
    draws: int,
    *,
    replicates: int = defaults.REPLICATES,
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
        subsets = SubsetMetrics(real, fake, k=5)
        values = subsets()
        kid_found = kid(real, fake, seed=draw)
        values["kid"] = kid_found.mean
        found = half_sample_intervals(
            subsets,
            *subsets.sizes,
            values,
            level=level,
            replicates=replicates,
            seed=seed * 100_003 + draw,
            variances={
                "kid": kid_variance(real, fake, kid_found),
                "precision": precision_variance(
                    subsets.in_real_balls, n, replicates=replicates, seed=seed * 100_003 + draw
                ),
            },
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


def main(argv: list[str] | None = None) -> None:
    args = (argv or sys.argv[1:])[:6]
    n, d, draws = (int(a) for a in args[:3])
    seed = int(args[3]) if len(args) > 3 else 0
    shift, scale = (float(a) for a in args[4:6]) if len(args) > 5 else (0.1, 1.1)
    print(
        f"n = {n}, d = {d}, shift {shift}, scale {scale}, {draws} draws, seed {seed}, "
        "95 % intervals:"
    )
    found = coverage(n, d, draws, shift=shift, scale=scale, seed=seed)
    for metric, (covered, ratio, target) in found.items():
        print(
            f"  {metric:<9} coverage {covered:.3f}  half-width / sd {ratio:.2f}  (E = {target:.4g})"
        )


if __name__ == "__main__":
    main()
