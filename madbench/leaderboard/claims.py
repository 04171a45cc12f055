"""Claims: the paper's trends as a pre-registered family of hypothesis tests over seeds, run
on a leaderboard's per-seed values.

A suite file lists its claims (``claims:`` in ``madbench/resources/suites/<name>.yaml``) before
its runs are made; the leaderboard built from them records the suite file's sha256
(``claims.csv``), so a reader can see the family was not edited after the results. Each claim
names one leaderboard row (an *arm*: data, model, protocol, lambda and any protocol field), a
metric, a test and a direction:

- ``trend``: the metric rises (``up``) or falls (``down``) over generations ``from`` (default
  1) to the last: per seed, the least-squares slope; then a one-sample one-sided t-test of the
  slopes. Effect: the mean slope (metric units per generation).
- ``stable``: the metric neither rises nor falls from generation ``from`` on: two one-sided
  tests (TOST) that the mean per-seed slope lies inside (-``margin``, ``margin``), in metric
  units per generation. Effect: the mean slope.
- ``paired``: the arm is above (``up``) or below (``down``) the arm ``than`` at ``at``
  (``last``, a generation number, ``slope`` to compare trends, or ``auc`` to compare the
  areas under the curves from ``from`` on), seed by seed: a one-sided paired t-test of the
  differences (the arms share their seeds and, by common random numbers, their generation 1).
  Effect: the mean difference.
- ``equivalent``: the arm and ``than`` agree at ``at`` within ``margin`` (relative to the mean
  of the two arms): TOST on the paired differences. Effect: the mean difference.

Every claim of the suite is tested and reported; the family is corrected with Holm's
step-down method at the suite's ``alpha`` (default 0.05), so the chance that any true null
is called a finding is at most alpha. A claim holds when its Holm-adjusted p is at most
alpha; a claim whose arm is missing counts as p = 1. A claim whose metric reaches one of its
bounds (recall 0, precision 1, ...) in any seed at the generations it uses is flagged: a slope
flattens at a floor or a ceiling, and the areas (``at: auc``) or a later ``from`` are the
robust reading. :func:`evaluate_all` returns every claim's effect, 95 % interval, p-value,
adjusted p-value and seed count, so README and CI state and check exactly the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench import defaults
from madbench.errors import InputError, one_line
from madbench.leaderboard.build import SEED_COLUMNS
from madbench.leaderboard.publish import read_csv
from madbench.leaderboard.stats import (
    TestResult,
    equivalent,
    holm_adjusted,
    one_sample,
    slopes,
    t_interval,
)
from madbench.metrics.ranges import METRIC_BOUNDS
from madbench.types import PathLike

if TYPE_CHECKING:
    from madbench.suites import Suite

#: The family-wise level of a suite's claims unless the suite sets ``alpha``.
TESTS = ("trend", "stable", "paired", "equivalent")
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

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> Claim:
        """A claim from its suite-file entry, checked."""
        known = {"text", "test", "metric", "arm", "direction", "than", "at", "from", "margin"}
        if isinstance(spec, dict) and "stated" in spec:
            raise InputError(
                f"{where}: 'stated' is gone: a suite's claims are one pre-registered family, "
                "every one tested and reported; remove the key"
            )
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
            raise InputError(f"{where}: {one_line(exc)}") from None
        problems = []
        if claim.test not in TESTS:
            problems.append(f"test must be one of {', '.join(TESTS)}")
        if claim.metric not in METRICS:
            problems.append(f"metric must be one of {', '.join(METRICS)}")
        if claim.direction not in ("up", "down"):
            problems.append("direction must be up or down")
        if claim.test in ("paired", "equivalent") and not isinstance(claim.than, dict):
            problems.append(f"a {claim.test} claim needs 'than' (the other arm)")
        if claim.at not in ("last", "slope", "auc") and not claim.at.isdigit():
            problems.append("at must be last, slope, auc or a generation number")
        if claim.test == "stable" and not (
            isinstance(spec.get("margin"), int | float) and claim.margin > 0
        ):
            problems.append("a stable claim needs a margin > 0 (metric units per generation)")
        if not isinstance(claim.arm, dict) or not {"data", "protocol"} <= set(claim.arm):
            problems.append("arm needs at least data and protocol")
        if problems:
            raise InputError(f"{where} ({claim.text!r}): " + "; ".join(problems))
        return claim


@dataclass(frozen=True)
class ClaimResult:
    """One claim's test; ``p_holm`` and ``holds`` are set by :func:`evaluate_all` over the
    family. ``bound``: the bound the metric reaches in some seed ("" if none)."""

    claim: Claim
    result: TestResult | None  # None: the leaderboard lacks an arm
    missing: str = ""
    bound: str = ""
    p_holm: float = 1.0
    alpha: float = defaults.ALPHA
    holds: bool = field(init=False)

    def __post_init__(self):
        ok = self.result is not None and self.p_holm <= self.alpha
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
        try:  # generation 0 may lack a metric (perplexity needs a trained model)
            table = np.array(
                [
                    [
                        float(r[metric] or "nan")
                        for r in sorted(by_seed[s], key=lambda r: int(r["generation"]))
                    ]
                    for s in seeds
                ]
            )[:, 1:]
        except (KeyError, ValueError):
            table = np.full((1, 1), np.nan)
        if np.isnan(table).any():
            raise InputError(
                f"{metric!r} has no values for {row['data']}, {row['protocol']}, lambda "
                f"{row['bias']}"
            )
        return seeds, table


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
    if at == "auc":
        return np.trapezoid(series, axis=1)
    if not 1 <= int(at) <= series.shape[1]:
        raise InputError(f"claim at generation {at}: the runs have 1..{series.shape[1]}")
    return series[:, int(at) - 1]


def _bound(metric: str, *series: np.ndarray) -> str:
    """The bound of ``metric`` some value of ``series`` reaches ("" if none)."""
    for bound in METRIC_BOUNDS.get(metric, ()):
        if bound is not None and any(
            np.isclose(s, bound, rtol=0, atol=1e-12).any() for s in series
        ):
            return f"{bound:g}"
    return ""


def _stable(slope_values: np.ndarray, margin: float) -> TestResult:
    """TOST: the mean slope lies inside (-margin, margin)."""
    above = one_sample(slope_values + margin, "greater")
    below = one_sample(slope_values - margin, "less")
    mean = float(slope_values.mean())
    low, high = t_interval(slope_values) or (mean, mean)
    return TestResult(mean, low, high, max(above.p, below.p), len(slope_values))


@dataclass(frozen=True)
class Evidence:
    """What a claim's test runs on: one value per seed (the slope, the difference of the two
    arms at ``at``, ...), the absolute margin of a TOST (0 for one-sided tests), and the bound
    the metric reaches in some seed ("" if none)."""

    values: np.ndarray
    margin: float
    bound: str


def evidence(claim: Claim, board: Board) -> Evidence | str:
    """The per-seed values of ``claim`` on ``board``, or why there are none."""
    arms = [claim.arm] + ([claim.than] if claim.than else [])
    rows = [board.find(arm) for arm in arms]
    if any(row is None for row in rows):
        absent = next(arm for arm, row in zip(arms, rows, strict=True) if row is None)
        return f"no row for {absent}"
    seeds, series = board.series(rows[0], claim.metric)
    series = series[:, claim.start - 1 :]
    if claim.test in ("trend", "stable"):
        margin = claim.margin if claim.test == "stable" else 0.0
        return Evidence(slopes(series), margin, _bound(claim.metric, series))
    other_seeds, other = board.series(rows[1], claim.metric)
    other = other[:, claim.start - 1 :]
    if seeds != other_seeds:
        return f"the arms' seeds differ ({seeds} and {other_seeds})"
    a, b = _at(series, claim.at), _at(other, claim.at)
    margin = claim.margin * (abs(a.mean()) + abs(b.mean())) / 2 if claim.test == "equivalent" else 0
    return Evidence(a - b, float(margin), _bound(claim.metric, series, other))


def evaluate(claim: Claim, board: Board) -> ClaimResult:
    """Test one claim on a leaderboard (module docstring), before the family's correction."""
    found = evidence(claim, board)
    if isinstance(found, str):
        return ClaimResult(claim, None, found)
    v = found.values
    if claim.test == "stable":
        result = _stable(v, found.margin)
    elif claim.test == "equivalent":
        result = equivalent(v, np.zeros_like(v), found.margin)
    else:  # trend (slopes against 0) or paired (differences against 0)
        result = one_sample(v, "greater" if claim.direction == "up" else "less")
    return ClaimResult(claim, result, bound=found.bound)


def evaluate_all(
    claims: list[Claim], folder: PathLike, alpha: float = defaults.ALPHA
) -> list[ClaimResult]:
    """Every claim tested on the leaderboard ``folder``, Holm-corrected as one family at
    ``alpha`` (a claim that could not be tested counts as p = 1)."""
    board = Board(folder)
    results = [evaluate(claim, board) for claim in claims]
    adjusted = holm_adjusted([1.0 if r.result is None else r.result.p for r in results])
    return [
        ClaimResult(r.claim, r.result, r.missing, r.bound, p, alpha)
        for r, p in zip(results, adjusted, strict=True)
    ]


def summary(r: ClaimResult) -> str:
    """The claim with its effect, 95 % interval, seed count, p-value and Holm-adjusted p (or
    why untested), and the bound flag."""
    if r.result is None:
        return f"{r.claim.text}: not tested ({r.missing})"
    t, c = r.result, r.claim
    what = "slope" if c.test in ("trend", "stable") else "difference"
    unit = " per generation" if c.test in ("trend", "stable") or c.at == "slope" else ""
    text = (
        f"{c.text}: {c.metric} {what} {t.effect:+.3g}{unit} (95 % CI {t.low:.3g} to "
        f"{t.high:.3g}), {t.n} seeds, p = {t.p:.2g}, Holm-adjusted p = {r.p_holm:.2g}"
    )
    if r.bound:
        text += f" [{c.metric} reaches {r.bound} in some seed: read the areas (at: auc)]"
    return text


def describe(r: ClaimResult) -> str:
    """:func:`summary` behind the verdict: holds, DOES NOT HOLD or NOT TESTED."""
    verdict = "holds" if r.holds else "NOT TESTED" if r.result is None else "DOES NOT HOLD"
    return f"{verdict:<13} {summary(r)}"


#: ``claims.csv``: a suite's claims as tested on the leaderboard beside it.
CLAIMS_COLUMNS = (
    "suite",
    "suite_sha256",
    "alpha",
    "claim",
    "test",
    "metric",
    "effect",
    "ci_low",
    "ci_high",
    "n_seeds",
    "p",
    "p_holm",
    "holds",
    "bound",
)


def claims_rows(results: list[ClaimResult], suite: Suite) -> list[dict]:
    """``claims.csv``'s rows for ``results`` of ``suite`` (a :class:`madbench.suites.Suite`)."""
    rows = []
    for r in results:
        t = r.result
        rows.append(
            {
                "suite": suite.name,
                "suite_sha256": suite.sha256,
                "alpha": repr(float(suite.alpha)),
                "claim": r.claim.text,
                "test": r.claim.test,
                "metric": r.claim.metric,
                "effect": "" if t is None else repr(t.effect),
                "ci_low": "" if t is None else repr(t.low),
                "ci_high": "" if t is None else repr(t.high),
                "n_seeds": "" if t is None else str(t.n),
                "p": "" if t is None else repr(t.p),
                "p_holm": repr(r.p_holm),
                "holds": "yes" if r.holds else "no",
                "bound": r.bound,
            }
        )
    return rows


def write_claims(results: list[ClaimResult], suite: Suite, folder: PathLike) -> Path:
    """Write ``folder/claims.csv`` (atomically) and return its path."""
    from madbench.atomic import atomic_write_text
    from madbench.leaderboard.marker import seal
    from madbench.leaderboard.publish import csv_text

    path = Path(folder) / "claims.csv"
    atomic_write_text(path, csv_text(claims_rows(results, suite), CLAIMS_COLUMNS))
    seal(folder)
    return path


def recorded_suites(path: PathLike) -> set[str]:
    """The suite sha256s a ``claims.csv`` records (an unreadable file: an error)."""
    import csv

    try:
        with open(path, newline="") as handle:
            return {row.get("suite_sha256") or "" for row in csv.DictReader(handle)}
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a claims CSV ({one_line(exc)})") from None
