"""madbench sweep (a grid as a suite file), madbench show (sparklines) and evaluate --json."""

import csv
import json

import pytest

from madbench.cli import main
from madbench.errors import InputError
from madbench.runs.show import sparkline
from madbench.sweep import parse_list, parse_seeds

GRID = [
    *("sweep", "--model", "gmm", "--model-args", "n_components=2", "--data", "digits"),
    *("--protocol", "fully-synthetic,synthetic-augmentation", "--bias", "1,0.8"),
    *("--seeds", "0-2", "--generations", "2", "--n-ini", "80", "--eval-n", "40"),
    *("--metrics", "prdc,fid"),
]


def rows_of(path):
    with open(path, newline="") as handle:
        return [{k: v for k, v in r.items() if k != "run_dirs"} for r in csv.DictReader(handle)]


@pytest.mark.slow  # about 16 s: a sweep of runs, then the board built twice
def test_a_sweep_gives_the_leaderboard_of_the_suite_file_it_wrote(tmp_path, capsys):
    out = tmp_path / "grid"
    assert main([*GRID, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sweep grid: 12 runs" in printed and "4 rows; repeat: madbench reproduce" in printed
    again = tmp_path / "again"
    suite = str(out / "sweep.yaml")
    assert main(["reproduce", suite, "--runs", str(again), "--out", str(again / "board")]) == 0
    swept = rows_of(out / "leaderboard" / "leaderboard.csv")
    assert len(swept) == 4 and swept == rows_of(again / "board" / "leaderboard.csv")
    assert main([*GRID, "--out", str(out)]) == 0  # a sweep run again keeps its runs
    assert "complete, kept" in capsys.readouterr().out
    other = [*GRID[:-2], "--metrics", "prdc", "--out", str(out)]
    assert main(other) == 2
    assert "holds another sweep" in capsys.readouterr().err


def test_sweep_lists_are_checked():
    assert parse_seeds("0-2,7") == [0, 1, 2, 7]
    assert parse_list("bias", "1, 0.7") == [1.0, 0.7]
    with pytest.raises(InputError, match="runs backwards"):
        parse_seeds("4-0")
    with pytest.raises(InputError, match="'x' is not a int"):
        parse_list("n_ini", "100,x")
    with pytest.raises(InputError, match="given twice"):
        parse_list("source", "previous,previous")


def test_sparklines_span_the_values_shown():
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([2.0, 2.0]) == "▄▄" and sparkline([1.0, float("nan"), 3.0]) == "▁ █"


def test_show_and_json_read_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["evaluate", "--model", "gmm", "--model-args", "n_components=2", "--data", "digits"]
    args += ["--generations", "3", "--n-ini", "80", "--eval-n", "40", "--metrics", "prdc"]
    assert main([*args, "--out", str(run), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # stdout is the JSON alone; progress went to stderr
    assert "generation 1/3" in captured.err
    recorded = list(csv.DictReader(open(run / "results.csv")))
    assert [g["generation"] for g in summary["generations"]] == [0, 1, 2, 3]
    assert summary["generations"][2]["recall"] == float(recorded[2]["recall"])
    assert main(["show", str(run)]) == 0
    shown = capsys.readouterr().out.splitlines()
    recall = next(line for line in shown if line.strip().startswith("recall"))
    values = [float(r["recall"]) for r in recorded[1:]]
    assert f"{values[0]:.4g} -> {values[-1]:.4g}" in recall
    assert recall.endswith(sparkline(values))
    assert main(["show", str(tmp_path)]) == 2
    assert "neither a run directory" in capsys.readouterr().err
