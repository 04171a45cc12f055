"""Bootstrap 95 % intervals of FID and the k-NN metrics over the evaluation sample.

The interval answers: how far would this number move if another evaluation sample of the same
size were drawn? It is the within-run spread (rigour.md); the spread over seeds is the
leaderboard's business. Replicates resample rows with replacement through multinomial counts,
seeded, so an interval is as reproducible as the metric.

- Precision and density are means over the generated samples of per-sample values (inside
  some real ball; number of real balls holding it, over k), and recall and coverage are means
  over the real samples (inside some generated ball; its ball holds a generated sample). Each
  is resampled over its own samples with the k-NN balls held fixed, which costs one product of
  counts and values per replicate. The balls' own variability (their radii are estimated from
  the same samples) is not included: the interval is the sampling spread of the average, given
  the balls. Percentile interval.
- FID resamples both the real and the generated rows and refits both Gaussians. FID is biased
  upward, the more so the smaller the sample, and the madbench convention is to compare FIDs
  at equal sample size only: the quantity of interest is the expected FID at this eval_n, and
  the interval is the spread of the estimate around it. A resampled set, with its repeated
  rows, is effectively smaller, so bootstrap FIDs sit above the estimate by an extra bias; the
  interval is therefore the percentile interval of the replicates shifted down by the excess of
  their median over the estimate (clipped at 0). On Gaussians it covers the expected FID at
  eval_n about 95 % of the time, where the plain percentile interval misses it
  (tests/test_bootstrap.py). It does not cover the population FID (infinite samples), which
  lies below by FID's bias. When the features are wider than the samples are many (Inception:
  2048, DINOv2: up to 1536), each replicate's FID is computed from the samples' Gram matrices
  instead of d x d covariances (:class:`~madbench.metrics.frechet.SampleSpaceFid`): the same
  value, at a cost set by the sample size rather than by d^3.
"""

from __future__ import annotations

import numpy as np

from madbench.metrics.exact import BallScan
from madbench.metrics.frechet import GaussianStats, SampleSpaceFid, frechet_distance

#: Replicates per interval unless asked otherwise (a 95 % interval from 200: each tail is
#: the 5th of 200 values).
DEFAULT_REPLICATES = 200
LEVEL = 0.95
#: Replicates drawn at once (bounds the count matrix: chunk x samples int64).
CHUNK = 50


def _counts(rng: np.random.Generator, n: int, replicates: int):
    """Multinomial resampling counts, ``CHUNK`` replicates at a time: arrays (chunk, n)."""
    for start in range(0, replicates, CHUNK):
        yield rng.multinomial(n, np.full(n, 1.0 / n), size=min(CHUNK, replicates - start))


def _percentile(values: np.ndarray) -> tuple[float, float]:
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def knn_intervals(scan: BallScan, k: int, replicates: int, seed: int) -> dict[str, tuple]:
    """Percentile intervals of precision, recall, density and coverage (module docstring)."""
    rng = np.random.default_rng([seed, 1])
    fake = np.column_stack([scan.fake_in_real_balls > 0, scan.fake_in_real_balls / k])
    real = np.column_stack([scan.real_in_fake_balls, scan.real_covered]).astype(np.float64)
    on_fake = np.concatenate([c @ fake for c in _counts(rng, len(fake), replicates)]) / len(fake)
    on_real = np.concatenate([c @ real for c in _counts(rng, len(real), replicates)]) / len(real)
    return {
        "precision": _percentile(on_fake[:, 0]),
        "density": _percentile(on_fake[:, 1]),
        "recall": _percentile(on_real[:, 0]),
        "coverage": _percentile(on_real[:, 1]),
    }


def _resampled_stats(x: np.ndarray, counts: np.ndarray) -> GaussianStats:
    """Mean and unbiased covariance of the rows of ``x`` repeated ``counts`` times."""
    n = counts.sum()
    mu = counts @ x / n
    centred = x - mu
    sigma = (centred * counts[:, None]).T @ centred / (n - 1)
    return GaussianStats(mu, sigma, int(n))


def fid_interval(
    real: np.ndarray, fake: np.ndarray, fid: float, replicates: int, seed: int
) -> tuple[float, float]:
    """Bias-shifted percentile interval of FID (module docstring); ``fid``: the estimate."""
    rng = np.random.default_rng([seed, 2])
    r, f = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    if r.shape[1] > min(len(r), len(f)):
        replicate_fid = SampleSpaceFid(r, f)
    else:

        def replicate_fid(cr, cf):
            return frechet_distance(_resampled_stats(r, cr), _resampled_stats(f, cf))

    values = np.array(
        [
            replicate_fid(cr, cf)
            for chunk_r, chunk_f in zip(
                _counts(rng, len(r), replicates), _counts(rng, len(f), replicates), strict=True
            )
            for cr, cf in zip(chunk_r, chunk_f, strict=True)
        ]
    )
    low, high = _percentile(values)
    excess = float(np.median(values)) - fid
    return max(low - excess, 0.0), max(high - excess, 0.0)
