"""The check every published board with claims gets: re-tested on its committed per-seed
values, its claims give exactly its ``claims.csv``, recorded with its suite file's sha256."""

import csv
from pathlib import Path

from madbench.leaderboard.claims import claims_rows, evaluate_all
from madbench.suites import load_suite

BOARDS = Path(__file__).resolve().parent.parent / "leaderboards"


def retested_claims(suite_name: str, seeds: int) -> dict[str, bool]:
    """Board ``leaderboards/<suite_name>``'s claims re-tested (each on ``seeds`` seeds) and
    checked against its claims.csv; returns whether each holds, by its text."""
    suite, board = load_suite(suite_name), BOARDS / suite_name
    results = evaluate_all(suite.claims, board, suite.alpha)
    with open(board / "claims.csv", newline="") as handle:
        recorded = list(csv.DictReader(handle))
    assert recorded == claims_rows(results, suite)
    assert {row["suite_sha256"] for row in recorded} == {suite.sha256}
    assert all(r.result is not None and r.result.n == seeds for r in results)
    return {r.claim.text: r.holds for r in results}
