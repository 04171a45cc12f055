"""The published text board (``leaderboards/text``, built by ``madbench reproduce text``): its
claims, one pre-registered family written from the pilot on seeds 0-4, re-tested on its
committed per-seed values (seeds 5-9) give exactly its ``claims.csv``, and the issue's
findings hold among them: the real text's perplexity and its tail rise and distinct bigrams
fall in fully synthetic n-gram loops, and accumulating data bounds the rise."""

import csv
from pathlib import Path

from madbench.leaderboard.claims import claims_rows, evaluate_all
from madbench.suites import load_suite

BOARD = Path(__file__).resolve().parent.parent / "leaderboards" / "text"
TEXT = load_suite("text")
MUST_HOLD = (
    "Fully synthetic n-gram loops raise the real text's perplexity at lambda = 1",
    "Fully synthetic n-gram loops grow the real text's perplexity tail at lambda = 1",
    "Fully synthetic n-gram loops lose distinct bigrams at lambda = 1",
    "Accumulating data ends below fully synthetic in perplexity (n-gram, lambda = 1)",
)


def test_the_committed_text_board_records_its_suite_and_claims_as_tested():
    results = evaluate_all(TEXT.claims, BOARD, TEXT.alpha)
    with open(BOARD / "claims.csv", newline="") as handle:
        recorded = list(csv.DictReader(handle))
    assert recorded == claims_rows(results, TEXT)
    assert {row["suite_sha256"] for row in recorded} == {TEXT.sha256}
    assert all(r.result is not None and r.result.n == 5 for r in results)
    holds = {r.claim.text: r.holds for r in results}
    assert set(MUST_HOLD) <= set(holds) and all(holds[text] for text in MUST_HOLD)
