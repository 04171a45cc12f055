"""Which of a generation's draws are kept: the choices of curation and selection, as pure
functions of their inputs and one seeded generator. Each returns indices into the draws, in
increasing order (the kept samples keep the order they were drawn in)."""

from __future__ import annotations

import numpy as np


def bradley_terry(rewards: np.ndarray, k: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """K-wise Bradley-Terry choice (Ferbach et al., NeurIPS 2024): the draws in consecutive
    groups of ``k`` (``len(rewards)`` a multiple of k); from group g, draw ``g k + i`` kept
    with probability ``exp(beta r_i) / sum_j exp(beta r_j)`` (rewards of +inf: those alone,
    equally), one uniform number per group."""
    groups = rewards.reshape(-1, k) * beta
    top = groups.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        weights = np.exp(groups - top)
    infinite = np.isposinf(top[:, 0])  # rewards of +inf (a realism score at distance 0) share
    weights[infinite] = np.isposinf(groups[infinite])  # their group's choice alone
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(groups))[:, None]
    chosen = np.minimum((cumulative < u).sum(axis=1), k - 1)  # rounding can leave 1 - 1e-16
    return np.arange(len(groups)) * k + chosen


def top(rewards: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` draws of highest reward (ties: the earlier draw)."""
    order = np.argsort(-rewards, kind="stable")
    return np.sort(order[:n])


def uniform(m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` of ``m`` draws, uniformly without replacement."""
    return np.sort(rng.choice(m, size=n, replace=False))


def k_center(features: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-centre cover (Gonzalez 1985; the selection of Shi et al., NeurIPS 2025): a
    seeded first draw, then always the draw farthest (Euclidean) from those kept; ties: the
    earlier draw."""
    x = np.asarray(features, dtype=np.float64)
    kept = [int(rng.integers(len(x)))]
    distance = np.linalg.norm(x - x[kept[0]], axis=1)
    for _ in range(n - 1):
        nxt = int(np.argmax(distance))
        kept.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(x - x[nxt], axis=1))
    return np.sort(np.array(kept, dtype=np.int64))


def threshold(scores: np.ndarray, at_least: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """The draws scoring at least ``at_least``; of more than ``n``, ``n`` uniformly."""
    passing = np.flatnonzero(scores >= at_least)
    if len(passing) <= n:
        return passing
    return np.sort(rng.choice(passing, size=n, replace=False))
