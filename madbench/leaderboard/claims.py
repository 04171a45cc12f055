"""Claims: the paper's trends as hypothesis tests over seeds, run on a leaderboard's per-seed
values.

A suite file lists its claims (``claims:`` in ``madbench/resources/suites/<name>.yaml``); each names
one leaderboard row (an *arm*: data, model, protocol, lambda and any protocol field), a metric,
a test and a direction:

- ``trend``: the metric rises (``up``) or falls (``down``) over generations ``from`` (default
  1) to the last: per seed, the least-squares slope; then a one-sample one-sided t-test of the
  slopes. Effect: the mean slope (metric units per generation).
- ``paired``: the arm is above (``up``) or below (``down``) the arm ``than`` at generation
  ``at`` (``last``, ``1``, or ``slope`` to compare trends), seed by seed: a one-sided paired
  t-test of the differences (the arms share their seeds and, by common random numbers, their
  generation 1). Effect: the mean difference.
- ``equivalent``: the arm and ``than`` agree at ``at`` within ``margin`` (relative to the mean
  of the two arms): two one-sided paired tests (TOST). Effect: the mean difference.

A claim holds when p < ``alpha`` (0.01). :func:`evaluate` returns every claim's effect, 95 %
interval, p-value and seed count, so README and CI state and check exactly the same thing. A
suite may also list claims with ``stated: false``: hypotheses its runs were tested for and do
not support, reported with their p-values but never required to hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from madbench.errors import InputError
from madbench.leaderboard.build import SEED_COLUMNS
from madbench.leaderboard.publish import read_csv
from madbench.leaderboard.stats import TestResult, equivalent, paired, slopes, trend

DEFAULT_ALPHA = 0.01
TESTS = ("trend", "paired", "equivalent")
#: What a claim can be about: the per-seed metric columns.
METRICS = tuple(c for c in SEED_COLUMNS if c not in ("setting_hash", "seed", "generation"))
ROW_KEYS = ("data", "model", "protocol", "bias")


@dataclass(frozen=True)
class Claim:
    text: str
    test: str
    metric: str
    arm: dict
    direction: str = "up"
    than: dict | None = None
    at: str = "last"
    start: int = 1  # trend: first generation of the fit ("from" in the suite file)
    margin: float = 0.05
    alpha: float = DEFAULT_ALPHA
    stated: bool = True  # False: tested and reported, not claimed (the runs do not support it)

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> Claim:
        """A claim from its suite-file entry, checked."""
        known = {"text", "test", "metric", "arm", "direction", "than", "at", "from", "margin"}
        known.add("stated")
        if not isinstance(spec, dict) or set(spec) - known:
            extra = sorted(set(spec) - known) if isinstance(spec, dict) else spec
            raise InputError(f"{where}: unknown claim keys {extra}")
        fields = {k: v for k, v in spec.items() if k != "from"}
        if "from" in spec:
            fields["start"] = int(spec["from"])
        fields["at"] = str(fields.get("at", "last"))
        try:
            claim = cls(**fields)
        except TypeError as exc:
            raise InputError(f"{where}: {exc}") from None
        problems = []
        if claim.test not in TESTS:
            problems.append(f"test must be one of {', '.join(TESTS)}")
        if claim.metric not in METRICS:
            problems.append(f"metric must be one of {', '.join(METRICS)}")
        if claim.direction not in ("up", "down"):
            problems.append("direction must be up or down")
        if claim.test != "trend" and not isinstance(claim.than, dict):
            problems.append(f"a {claim.test} claim needs 'than' (the other arm)")
        if claim.at not in ("last", "slope") and not claim.at.isdigit():
            problems.append("at must be last, slope or a generation number")
        if not isinstance(claim.arm, dict) or not {"data", "protocol"} <= set(claim.arm):
            problems.append("arm needs at least data and protocol")
        if problems:
            raise InputError(f"{where} ({claim.text!r}): " + "; ".join(problems))
        return claim


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    result: TestResult | None  # None: the leaderboard lacks an arm
    missing: str = ""
    holds: bool = field(init=False)

    def __post_init__(self):
        ok = self.result is not None and self.result.p < self.claim.alpha
        object.__setattr__(self, "holds", ok)


class Board:
    """A leaderboard folder's rows and per-seed values, for claims."""

    def __init__(self, folder):
        folder = Path(folder)
        self.rows = read_csv(folder / "leaderboard.csv")
        self.values: dict[str, dict[int, list[dict]]] = {}
        for row in read_csv(folder / "per_seed.csv", SEED_COLUMNS):
            by_seed = self.values.setdefault(row["setting_hash"], {})
            by_seed.setdefault(int(row["seed"]), []).append(row)

    def find(self, arm: dict) -> dict | None:
        """The row an arm names (None when absent; an error when it names several)."""
        found = [row for row in self.rows if _matches(row, arm)]
        if len(found) > 1:
            raise InputError(f"claim arm {arm} matches {len(found)} rows; name more fields")
        return found[0] if found else None

    def series(self, row: dict, metric: str) -> tuple[list[int], np.ndarray]:
        """Seeds, and the metric per seed (rows) and generation t = 1.. (columns)."""
        by_seed = self.values.get(row["setting_hash"])
        if by_seed is None:
            raise InputError(f"per_seed.csv has no values for setting {row['setting_hash']}")
        seeds = sorted(by_seed)
        try:
            table = [
                [float(r[metric]) for r in sorted(by_seed[s], key=lambda r: int(r["generation"]))]
                for s in seeds
            ]
        except (KeyError, ValueError):
            raise InputError(
                f"{metric!r} has no values for {row['data']}, {row['protocol']}, lambda "
                f"{row['bias']}"
            ) from None
        return seeds, np.array(table)[:, 1:]


def _matches(row: dict, arm: dict) -> bool:
    params = json.loads(row["protocol_params"])
    for key, value in arm.items():
        if key == "bias":
            if float(row["bias"]) != float(value):
                return False
        elif key in ROW_KEYS:
            if row[key] != str(value):
                return False
        elif params.get(key) != value:
            return False
    return True


def _at(series: np.ndarray, at: str) -> np.ndarray:
    if at == "last":
        return series[:, -1]
    if at == "slope":
        return slopes(series)
    if not 1 <= int(at) <= series.shape[1]:
        raise InputError(f"claim at generation {at}: the runs have 1..{series.shape[1]}")
    return series[:, int(at) - 1]


def evaluate(claim: Claim, board: Board) -> ClaimResult:
    """Test one claim on a leaderboard (module docstring)."""
    arms = [claim.arm] + ([claim.than] if claim.than else [])
    rows = [board.find(arm) for arm in arms]
    if any(row is None for row in rows):
        absent = next(arm for arm, row in zip(arms, rows, strict=True) if row is None)
        return ClaimResult(claim, None, f"no row for {absent}")
    seeds, series = board.series(rows[0], claim.metric)
    if claim.test == "trend":
        return ClaimResult(claim, trend(series[:, claim.start - 1 :], claim.direction))
    other_seeds, other = board.series(rows[1], claim.metric)
    if seeds != other_seeds:
        return ClaimResult(claim, None, f"the arms' seeds differ ({seeds} and {other_seeds})")
    a, b = _at(series, claim.at), _at(other, claim.at)
    if claim.test == "paired":
        return ClaimResult(claim, paired(a, b, claim.direction))
    scale = (abs(a.mean()) + abs(b.mean())) / 2
    return ClaimResult(claim, equivalent(a, b, claim.margin * scale))


def evaluate_all(claims: list[Claim], folder) -> list[ClaimResult]:
    board = Board(folder)
    return [evaluate(claim, board) for claim in claims]


def summary(r: ClaimResult) -> str:
    """The claim with its effect, 95 % interval, seed count and p-value (or why untested)."""
    if r.result is None:
        return f"{r.claim.text}: not tested ({r.missing})"
    t, c = r.result, r.claim
    what = {"trend": "slope", "paired": "difference", "equivalent": "difference"}[c.test]
    unit = " per generation" if c.test == "trend" or c.at == "slope" else ""
    return (
        f"{c.text}: {c.metric} {what} {t.effect:+.3g}{unit} (95 % CI {t.low:.3g} to "
        f"{t.high:.3g}), {t.n} seeds, p = {t.p:.2g}"
    )


def describe(r: ClaimResult) -> str:
    """:func:`summary` behind the verdict: holds, DOES NOT HOLD or NOT TESTED (and "not
    stated" for claims a suite lists as unsupported)."""
    verdict = "holds" if r.holds else "NOT TESTED" if r.result is None else "DOES NOT HOLD"
    if not r.claim.stated:
        verdict = "not stated"
    return f"{verdict:<13} {summary(r)}"
