"""The paper's trends hold, as hypothesis tests over seeds (madbench.leaderboard.claims).

The small suite's claims (``madbench/resources/suites/small.yaml``), one pre-registered family,
are tested on the committed ``leaderboards/small`` per-seed values, which ``madbench
leaderboard verify`` ties to the runs, and must give exactly the board's ``claims.csv``. The
reduced suite ``ci`` (the same kinds of claims, runs of seconds) is re-run fresh, and all of
its claims must hold, so a code change that breaks a trend fails here.
"""

import csv
from pathlib import Path

import pytest

from madbench.leaderboard.claims import claims_rows, describe, evaluate_all
from madbench.suites import load_suite, run_suite

ROOT = Path(__file__).resolve().parent.parent
BOARD = ROOT / "leaderboards" / "small"
SMALL = load_suite("small")


def test_the_committed_board_records_this_suite_and_its_claims_as_tested():
    """claims.csv was written from this very suite file (its sha256), and re-testing the
    family on the committed per-seed values gives exactly its rows: every claim, its p and
    its Holm-adjusted p."""
    results = evaluate_all(SMALL.claims, BOARD, SMALL.alpha)
    with open(BOARD / "claims.csv", newline="") as handle:
        recorded = list(csv.DictReader(handle))
    assert recorded == claims_rows(results, SMALL)
    assert {row["suite_sha256"] for row in recorded} == {SMALL.sha256}
    assert all(r.result is not None and r.result.n >= 5 for r in results)
    assert {c.test for c in SMALL.claims} == {"trend", "stable", "paired", "equivalent"}


@pytest.mark.slow  # about 35 s: CI runs it in the slow step
def test_claims_hold_on_a_fresh_run_of_the_reduced_suite(tmp_path):
    """The fresh board's claims all hold, and its cells agree with the committed ``ci``
    board's within the spread over seeds (``leaderboard compare``: exact on the machine that
    built it, statistical on another CPU, whose BLAS kernels move the last bits)."""
    from madbench.leaderboard.compare import compare
    from madbench.leaderboard.publish import build, read_csv

    suite = load_suite("ci")
    paths = run_suite(suite.runs, tmp_path / "runs", echo=lambda line: None)
    build(paths, tmp_path / "board")
    results = evaluate_all(suite.claims, tmp_path / "board", suite.alpha)
    assert len(results) == len(suite.claims) >= 5
    failed = [describe(r) for r in results if not r.holds]
    assert not failed, "\n".join(failed)
    committed = read_csv(ROOT / "leaderboards" / "ci" / "leaderboard.csv")
    checks = compare(committed, read_csv(tmp_path / "board" / "leaderboard.csv"))
    assert len(checks) > 100 and all(c.agrees for c in checks), [
        c.describe() for c in checks if not c.agrees
    ]
