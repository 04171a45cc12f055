"""Power: how many seeds each claim of a suite needs, judged from a pilot leaderboard.

For every claim, the pilot's per-seed values (:func:`madbench.leaderboard.claims.evidence`:
slopes, or differences between the arms) give an effect size: for one-sided tests (trend,
paired) the standardised mean in the claimed direction, ``d = mean / sd``; for TOST (stable,
equivalent) the standardised distance to the nearer margin, ``d = (margin - |mean|) / sd``.
The power of the one-sided t-test at ``n`` seeds is that of the noncentral t distribution
with ``n - 1`` degrees of freedom and noncentrality ``d sqrt(n)``; the level is the family's
alpha divided by the number of claims (Holm's first step, which bounds the power Holm gives
from below). A pilot's sd is itself an estimate over few seeds, so the seeds it asks for are
a planning figure, not a guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from madbench.leaderboard.claims import Board, Claim, evidence
from madbench.types import PathLike

DEFAULT_POWER = 0.8
#: The most seeds :func:`seeds_needed` looks at.
MAX_SEEDS = 1000


def power(d: float, n: int, level: float) -> float:
    """Power of a one-sided one-sample t-test at ``level`` with ``n`` values, effect ``d``."""
    if n < 2:
        return 0.0
    critical = stats.t.ppf(1 - level, n - 1)
    return float(stats.nct.sf(critical, n - 1, d * np.sqrt(n)))


def seeds_needed(d: float, level: float, target: float = DEFAULT_POWER) -> int | None:
    """The fewest seeds (>= 2) at which ``power(d, n, level)`` reaches ``target``; None when
    the effect is not in the claimed direction or more than :data:`MAX_SEEDS` are needed."""
    if not d > 0:
        return None
    if np.isinf(d):
        return 2
    for n in range(2, MAX_SEEDS + 1):
        if power(d, n, level) >= target:
            return n
    return None


@dataclass(frozen=True)
class ClaimPower:
    """A claim's pilot effect size, its power at the pilot's seeds and the seeds it needs."""

    claim: Claim
    d: float | None  # None: the pilot cannot test the claim (why: ``missing``)
    pilot_seeds: int
    pilot_power: float | None
    needed: int | None
    missing: str = ""

    def describe(self, target: float) -> str:
        if self.d is None:
            return f"{self.claim.text}: no pilot values ({self.missing})"
        need = (
            f"{self.needed} seeds for {target:.0%} power"
            if self.needed
            else "no number of seeds gives that power (the pilot's effect points the other way)"
            if self.d <= 0
            else f"more than {MAX_SEEDS} seeds for {target:.0%} power"
        )
        return (
            f"{self.claim.text}: effect size d = {self.d:.3g} over {self.pilot_seeds} pilot "
            f"seeds, power {self.pilot_power:.0%} there; {need}"
        )


def effect_size(claim: Claim, values: np.ndarray, margin: float) -> float:
    """The standardised effect the claim's test sees (module docstring)."""
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    if claim.test in ("stable", "equivalent"):
        signed = margin - abs(mean)
    else:
        signed = mean if claim.direction == "up" else -mean
    if sd == 0:
        return np.inf if signed > 0 else -np.inf
    return signed / sd


def claim_powers(
    claims: list[Claim], folder: PathLike, alpha: float, target: float = DEFAULT_POWER
) -> list[ClaimPower]:
    """Every claim's :class:`ClaimPower` on the pilot leaderboard ``folder``."""
    board = Board(folder)
    level = alpha / max(len(claims), 1)
    out = []
    for claim in claims:
        found = evidence(claim, board)
        if isinstance(found, str):
            out.append(ClaimPower(claim, None, 0, None, None, found))
            continue
        n = len(found.values)
        d = effect_size(claim, found.values, found.margin) if n > 1 else None
        if d is None:
            out.append(ClaimPower(claim, None, n, None, None, "a single seed has no spread"))
            continue
        pilot = 1.0 if np.isinf(d) and d > 0 else power(d, n, level)
        out.append(ClaimPower(claim, d, n, pilot, seeds_needed(d, level, target)))
    return out
