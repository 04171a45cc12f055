"""Does a re-run agree with a published leaderboard, within the spread over seeds?

Bit-for-bit equality holds on one software and hardware stack (``leaderboard verify``); on
another, rounding enters a chaotic loop and becomes part of the seed spread, so agreement is
statistical. Rows are matched by ``setting_hash`` (every setting but the seed, so a re-run may
use other seeds). Every metric cell with a mean over seeds (each metric at generation 1 and at
the last, and the FID area) is compared by Welch's two-sample t-test from the two means, stds
and seed counts, and the whole family of cells is corrected with Holm's step-down method: a
cell disagrees when its test is rejected at ``alpha``. A cell without spread on either side
(a deterministic metric, or a single seed) is compared with a relative tolerance instead. A
published row with no re-run row disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from madbench import defaults
from madbench.leaderboard.build import METRICS, WHEN
from madbench.leaderboard.stats import holm, welch

#: Relative tolerance of cells without spread over seeds.
TOLERANCE = 1e-9
CELLS = tuple(f"{m}_{w}" for m in METRICS for w in WHEN) + ("fid_auc",)


@dataclass(frozen=True)
class Side:
    """One leaderboard's value of a cell: mean, std (None without spread) and seed count."""

    mean: float
    std: float | None
    n: int
    low: str
    high: str

    def describe(self) -> str:
        interval = f", 95 % CI {_g(self.low)} to {_g(self.high)}" if self.low else ""
        return f"{self.mean:.6g} (std {_g(self.std)}{interval}, {self.n} seeds)"


@dataclass(frozen=True)
class CellCheck:
    """The comparison of one cell of one row."""

    row: str  # data, model, protocol, lambda
    cell: str  # e.g. fid_last
    published: Side | None
    rerun: Side | None
    test: str  # welch, tolerance or missing
    p: float | None
    agrees: bool

    def describe(self) -> str:
        if self.test == "missing":
            return f"{self.row}: no re-run row for this setting"
        how = f"Welch p = {self.p:.2g}" if self.test == "welch" else "no spread: compared exactly"
        return (
            f"{self.row}: {self.cell}: published {self.published.describe()}; re-run "
            f"{self.rerun.describe()}; {how}"
        )


def _g(value) -> str:
    return "—" if value in (None, "") else f"{float(value):.4g}"


def _side(row: dict, cell: str) -> Side | None:
    mean = row.get(f"{cell}_mean", "")
    if mean == "":
        return None
    std = row.get(f"{cell}_std", "")
    return Side(
        float(mean),
        float(std) if std != "" else None,
        int(row["n_seeds"]),
        row.get(f"{cell}_ci_low", ""),
        row.get(f"{cell}_ci_high", ""),
    )


def _spread(side: Side) -> bool:
    """Whether a side has a std over at least 2 seeds (zero or not)."""
    return side.n > 1 and side.std is not None


def _label(row: dict) -> str:
    return f"{row['data']}, {row['model']}, {row['protocol']}, lambda {row['bias']}"


def compare(
    published: list[dict], rerun: list[dict], alpha: float = defaults.ALPHA
) -> list[CellCheck]:
    """Every cell check of ``published`` against ``rerun`` (leaderboard CSV rows)."""
    reruns = {row["setting_hash"]: row for row in rerun}
    checks, tested = [], []
    for row in published:
        other = reruns.get(row["setting_hash"])
        if other is None:
            checks.append(CellCheck(_label(row), "", None, None, "missing", None, False))
            continue
        for cell in CELLS:
            if f"{cell}_mean" not in row:  # a metric the published board's schema predates
                continue
            a, b = _side(row, cell), _side(other, cell)
            if a is None and b is None:
                continue
            if a is None or b is None:
                checks.append(CellCheck(_label(row), cell, a, b, "missing", None, False))
            elif _spread(a) and _spread(b) and (a.std > 0 or b.std > 0):
                p = welch(a.mean, a.std, a.n, b.mean, b.std, b.n)
                tested.append(len(checks))
                checks.append(CellCheck(_label(row), cell, a, b, "welch", p, True))
            else:
                same = abs(a.mean - b.mean) <= TOLERANCE * max(abs(a.mean), abs(b.mean))
                checks.append(CellCheck(_label(row), cell, a, b, "tolerance", None, same))
    rejected = holm([checks[i].p for i in tested], alpha)
    for index, reject in zip(tested, rejected, strict=True):
        if reject:
            c = checks[index]
            checks[index] = CellCheck(c.row, c.cell, c.published, c.rerun, c.test, c.p, False)
    return checks
