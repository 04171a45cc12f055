"""Statistics over seeds, claims as hypothesis tests, and re-runs compared with a leaderboard."""

import numpy as np
import pytest
import scipy.stats

from madbench.cli import main
from madbench.errors import InputError
from madbench.leaderboard import stats
from madbench.leaderboard.claims import Board, Claim, describe, evaluate_all
from madbench.leaderboard.compare import compare
from madbench.leaderboard.publish import build, csv_text, read_csv
from madbench.loops.config import RunConfig, ScoringSettings
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.metrics.ranges import METRIC_BOUNDS
from madbench.runs.rundir import RunDir

SMALL = {"generations": 4, "n_ini": 60, "eval_n": 100}


# -- statistics against scipy -------------------------------------------------------------------
def test_trend_is_a_t_test_of_least_squares_slopes(rng):
    series = np.cumsum(rng.normal(0.3, 1.0, size=(6, 8)), axis=1)
    slopes = [scipy.stats.linregress(np.arange(1, 9), row).slope for row in series]
    assert stats.slopes(series) == pytest.approx(slopes, rel=1e-12)
    got = stats.trend(series, "up")
    expected = scipy.stats.ttest_1samp(slopes, 0.0, alternative="greater")
    assert got.p == pytest.approx(expected.pvalue, rel=1e-10) and got.n == 6
    assert got.effect == pytest.approx(np.mean(slopes))
    low, high = scipy.stats.ttest_1samp(slopes, 0.0).confidence_interval(0.95)  # two-sided
    assert (got.low, got.high) == pytest.approx((low, high), rel=1e-10)
    assert stats.trend(series, "down").p == pytest.approx(1 - expected.pvalue, rel=1e-10)


def test_paired_welch_and_holm_equal_scipy(rng):
    a, b = rng.normal(1.0, 1.0, 7), rng.normal(0.0, 1.0, 7)
    assert stats.paired(a, b, "up").p == pytest.approx(
        scipy.stats.ttest_rel(a, b, alternative="greater").pvalue, rel=1e-10
    )
    expected = scipy.stats.ttest_ind_from_stats(3.0, 1.5, 5, 1.0, 0.5, 4, equal_var=False)
    assert stats.welch(3.0, 1.5, 5, 1.0, 0.5, 4) == pytest.approx(expected.pvalue, rel=1e-10)
    # Holm: 0.01 <= 0.05/4, 0.02 > 0.05/3 stops the steps, so 0.04 is not rejected either.
    assert stats.holm([0.04, 0.01, 0.02, 0.5]) == [False, True, False, False]
    assert stats.holm([0.001, 0.012, 0.02]) == [True, True, True]
    # Adjusted: 4 x 0.01, then max(0.04, 3 x 0.02), max(0.06, 2 x 0.04), min(1, 0.5).
    assert stats.holm_adjusted([0.04, 0.01, 0.02, 0.5]) == pytest.approx([0.08, 0.04, 0.06, 0.5])


def test_mad_onset_false_alarm_rate_is_at_most_alpha_on_null_boards():
    """Boards of a model that ignores its data (every generation's FID an independent draw
    around the seed's own level), 5 seeds and 25 generations: the uncorrected first-passing
    test named an onset on 40 % of them; Holm over the generations keeps it at most alpha."""
    from madbench.leaderboard.build import mad_onset

    rng = np.random.default_rng(21)
    boards = 5 + rng.standard_normal((400, 5, 1)) + rng.chisquare(4, (400, 5, 25))
    # The generations' paired tests of all 400 boards at once, then Holm per board.
    tests = scipy.stats.ttest_1samp(boards[:, :, 1:] - boards[:, :, :1], 0.0, axis=1,
                                    alternative="greater")  # fmt: skip
    named = [stats.first_rejected(p, 0.05)[0] is not None for p in tests.pvalue]
    uncorrected = np.mean((tests.pvalue < 0.05).any(axis=1))
    # 0.05 plus two standard errors of a rate over 400 boards.
    assert np.mean(named) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 400) < uncorrected
    for board, found in zip(boards[:20], named[:20], strict=True):  # the same as a board's
        assert (mad_onset(board, 0.05)[0] != "none") == found
    drifting = 5 + rng.standard_normal((5, 1)) + 1.0 * np.arange(25) + rng.chisquare(4, (5, 25))
    assert mad_onset(drifting, 0.05)[0] not in ("none", "")  # and a real drift is still found


def test_tost_equivalence(rng):
    a = rng.normal(10.0, 0.1, 8)
    close, far = a + rng.normal(0.0, 0.05, 8), a + 1.0
    assert stats.equivalent(a, close, margin=0.3).p < 0.01
    assert stats.equivalent(a, far, margin=0.3).p > 0.5
    # p is the larger of the two one-sided tests at +-margin.
    d = a - close
    upper = scipy.stats.ttest_1samp(d - 0.3, 0.0, alternative="less").pvalue
    lower = scipy.stats.ttest_1samp(d + 0.3, 0.0, alternative="greater").pvalue
    assert stats.equivalent(a, close, 0.3).p == pytest.approx(max(upper, lower), rel=1e-10)


def test_values_without_spread():
    assert stats.one_sample([2.0, 2.0, 2.0], "greater").p == 0.0
    assert stats.one_sample([2.0, 2.0, 2.0], "less").p == 1.0
    assert stats.welch(1.0, 0.0, 3, 1.0, 0.0, 3) == 1.0
    with pytest.raises(ValueError, match="at least 2 seeds"):
        stats.one_sample([1.0], "greater")


# -- boards built from runs -------------------------------------------------------------------
def make_runs(root, seeds, biases=(1.0, 0.5)):
    paths = []
    for bias in biases:
        for seed in seeds:
            protocol = make_protocol("fully-synthetic", **SMALL, bias=bias, seed=seed)
            path = root / f"b{bias}-s{seed}"
            # the claims are tested over seeds, on FID, precision and the trace
            no_intervals = ScoringSettings(intervals=0, metrics=("prdc", "fid"))
            config = RunConfig("gaussian", {}, "gaussian-3", protocol, scoring=no_intervals)
            Loop(config, RunDir(path), echo=lambda line: None).start()
            paths.append(path)
    return paths


@pytest.fixture(scope="module")
def boards(tmp_path_factory, without_plots):
    """The same two settings run with seeds 0-4 (published) and 5-9 (a re-run)."""
    root = tmp_path_factory.mktemp("claims")
    published, rerun = root / "published", root / "rerun"
    with without_plots():  # the claims read the boards' tables
        build(make_runs(root / "runs", range(5)), published)
        build(make_runs(root / "runs", range(5, 10)), rerun)
    return published, rerun


def claim(**spec):
    return Claim.from_spec(spec, "test")


ARM = {"data": "gaussian-3", "protocol": "fully-synthetic"}


def test_claims_hold_fail_or_are_not_tested(boards):
    published, _ = boards
    claims = [
        claim(text="lambda 0.5 shrinks W2's Gaussian", test="trend", metric="trace_cov",
              direction="down", arm={**ARM, "bias": 0.5}),
        claim(text="lambda 0.5 has lower trace than 1", test="paired", metric="trace_cov",
              direction="down", arm={**ARM, "bias": 0.5}, than={**ARM, "bias": 1.0}),
        claim(text="the false opposite", test="trend", metric="trace_cov", direction="up",
              arm={**ARM, "bias": 0.5}),
        claim(text="an absent arm", test="trend", metric="fid", arm={**ARM, "bias": 0.3}),
    ]  # fmt: skip
    results = evaluate_all(claims, published)
    assert [r.holds for r in results] == [True, True, False, False]
    assert results[0].result.n == 5 and results[0].result.effect < 0
    assert describe(results[0]).startswith("holds ") and "5 seeds, p = " in describe(results[0])
    assert describe(results[2]).startswith("DOES NOT HOLD")
    assert describe(results[3]).startswith("NOT TESTED") and "no row" in describe(results[3])
    # One family: Holm over the four, the untested one counting as p = 1.
    raw = [r.result.p for r in results[:3]] + [1.0]
    assert [r.p_holm for r in results] == pytest.approx(stats.holm_adjusted(raw), rel=1e-12)
    assert f"Holm-adjusted p = {results[0].p_holm:.2g}" in describe(results[0])


def test_a_claim_holds_on_its_adjusted_p_not_its_own(boards):
    published, _ = boards
    weak = claim(text="lambda 1 trace falls", test="trend", metric="trace_cov",
                 direction="down", arm={**ARM, "bias": 1.0})  # fmt: skip
    strong = claim(text="lambda 0.5 trace falls", test="trend", metric="trace_cov",
                   direction="down", arm={**ARM, "bias": 0.5})  # fmt: skip
    (alone,) = evaluate_all([weak], published, alpha=0.5)
    family = evaluate_all([weak] * 9 + [strong], published, alpha=0.5)
    assert alone.p_holm == alone.result.p
    assert family[0].p_holm == pytest.approx(min(1.0, 9 * alone.result.p))
    assert family[0].holds == (9 * alone.result.p <= 0.5) and family[-1].holds


def test_stable_areas_and_the_bound_flag(boards):
    published, _ = boards
    arm = {**ARM, "bias": 0.5}
    slope = evaluate_all([claim(text="s", test="trend", metric="trace_cov", arm=arm)], published)
    mean = abs(slope[0].result.effect)
    wide, narrow = (
        claim(text=f"stable within {m}", test="stable", metric="trace_cov", margin=m, arm=arm)
        for m in (10 * mean, mean / 10)
    )
    areas = claim(text="less variance over the generations", test="paired", metric="trace_cov",
                  at="auc", direction="down", arm=arm, than={**ARM, "bias": 1.0})  # fmt: skip
    results = evaluate_all([wide, narrow, areas], published)
    assert [r.holds for r in results] == [True, False, True]
    assert results[0].result.effect == pytest.approx(slope[0].result.effect)
    board = Board(published)
    a = board.series(board.find(arm), "trace_cov")[1]
    b = board.series(board.find({**ARM, "bias": 1.0}), "trace_cov")[1]
    differences = np.trapezoid(a, axis=1) - np.trapezoid(b, axis=1)
    assert results[2].result.effect == pytest.approx(differences.mean(), rel=1e-12)
    precision = [r for r in board.values[board.find(arm)["setting_hash"]].values()]
    at_one = any(float(row["precision"]) == 1.0 for rows in precision for row in rows[1:])
    (flagged,) = evaluate_all(
        [claim(text="p", test="trend", metric="precision", direction="up", arm=arm)], published
    )
    assert (
        at_one and flagged.bound == "1" and "precision reaches 1 in some seed" in describe(flagged)
    )


def test_claim_specs_are_checked():
    with pytest.raises(InputError, match="unknown claim keys"):
        claim(text="x", test="trend", metric="fid", arm=ARM, colour="red")
    with pytest.raises(InputError, match="needs 'than'"):
        claim(text="x", test="paired", metric="fid", arm=ARM)
    with pytest.raises(InputError, match="test must be one of"):
        claim(text="x", test="vibes", metric="fid", arm=ARM)
    with pytest.raises(InputError, match="'stated' is gone"):
        claim(text="x", test="trend", metric="fid", arm=ARM, stated=False)
    with pytest.raises(InputError, match="a stable claim needs a margin"):
        claim(text="x", test="stable", metric="fid", arm=ARM)


def test_rerun_with_other_seeds_agrees_and_a_shifted_cell_is_caught(boards, tmp_path, capsys):
    published, rerun = (read_csv(b / "leaderboard.csv") for b in boards)
    checks = compare(published, rerun)
    assert all(c.agrees for c in checks) and sum(c.test == "welch" for c in checks) > 20
    args = ["leaderboard", "compare", str(boards[0] / "leaderboard.csv")]
    assert main([*args, str(boards[1] / "leaderboard.csv")]) == 0
    assert "cells agree" in capsys.readouterr().out

    shifted = [dict(row) for row in rerun]
    row = shifted[1]
    row["fid_last_mean"] = repr(float(row["fid_last_mean"]) + 10 * float(row["fid_last_std"]))
    (tmp_path / "shifted.csv").write_text(csv_text(shifted))
    assert main([*args, str(tmp_path / "shifted.csv")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "lambda 0.5: fid_last: published" in out[0] and "Welch p" in out[0]
    assert "re-run " in out[0] and "95 % CI" in out[0]

    (tmp_path / "missing.csv").write_text(csv_text(rerun[:1]))
    assert main([*args, str(tmp_path / "missing.csv")]) == 1
    assert "no re-run row" in capsys.readouterr().out


def test_deterministic_cells_are_compared_exactly():
    row = {"setting_hash": "h", "data": "d", "model": "m", "protocol": "p", "bias": "1.0",
           "n_seeds": "1", "fid_gen1_mean": "2.0", "fid_gen1_std": ""}  # fmt: skip
    same, other = compare([row], [dict(row)]), compare([row], [{**row, "fid_gen1_mean": "2.5"}])
    assert [c.test for c in same] == ["tolerance"] and same[0].agrees
    assert not other[0].agrees and "compared exactly" in other[0].describe()


def test_intervals_over_seeds_stay_inside_the_metric_range():
    values = [0.97, 1.0, 1.0, 0.99, 1.0]
    low, high = stats.t_interval(values)
    assert high > 1.0  # a plain t interval runs past precision's ceiling
    assert stats.t_interval(values, METRIC_BOUNDS["precision"]) == (low, 1.0)
    assert stats.t_interval([0.0, 0.01, 0.0], (0.0, 1.0))[0] == 0.0


def test_power_equals_a_simulation_and_seeds_needed_reach_it():
    from madbench.leaderboard.power import power, seeds_needed

    rng = np.random.default_rng(3)
    values = rng.normal(0.8, 1.0, size=(20000, 9))
    simulated = np.mean(
        scipy.stats.ttest_1samp(values, 0.0, axis=1, alternative="greater").pvalue < 0.01
    )
    assert power(0.8, 9, 0.01) == pytest.approx(simulated, abs=0.01)
    n = seeds_needed(0.8, 0.01)
    assert power(0.8, n, 0.01) >= 0.8 > power(0.8, n - 1, 0.01)
    assert seeds_needed(-0.5, 0.01) is None and seeds_needed(np.inf, 0.01) == 2


def test_power_of_a_suite_from_a_pilot_board(boards, capsys, tmp_path):
    published, _ = boards
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\nexperiments: []\nalpha: 0.05\nclaims:\n"
        "  - {text: falls, test: trend, metric: trace_cov, direction: down,\n"
        "     arm: {data: gaussian-3, protocol: fully-synthetic, bias: 0.5}}\n"
        "  - {text: rises, test: trend, metric: trace_cov, direction: up,\n"
        "     arm: {data: gaussian-3, protocol: fully-synthetic, bias: 0.5}}\n"
        "  - {text: absent, test: trend, metric: fid,\n"
        "     arm: {data: gaussian-3, protocol: fresh-data}}\n"
    )
    assert main(["leaderboard", "power", str(published), "--suite", str(suite)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "2 claims" not in out[0] and "each at 0.017" in out[0]
    assert out[1].startswith("falls: effect size d = ") and "seeds for 80% power" in out[1]
    assert "points the other way" in out[2] and "no pilot values (no row" in out[3]
