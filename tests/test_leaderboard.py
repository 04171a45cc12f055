"""Leaderboards: rows re-derived by hand from results.csv, verify, the HTML page, suites."""

import contextlib
import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from PIL import Image

from madbench.cli import main
from madbench.errors import DataFileError, InputError
from madbench.leaderboard.build import COLUMNS, SEED_COLUMNS, columns_of
from madbench.leaderboard.marker import foreign
from madbench.leaderboard.publish import build, csv_text, read_csv, verify
from madbench.loops.config import RunConfig
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir
from madbench.suites import load_suite

SMALL = {"generations": 3, "n_ini": 150, "n_synth": 150, "eval_n": 150}


def make_run(path, bias, seed, data="gaussian-4", model="gaussian", **params):
    protocol = make_protocol("fully-synthetic", **{**SMALL, **params}, bias=bias, seed=seed)
    Loop(RunConfig(model, {}, data, protocol), RunDir(path), echo=lambda line: None).start()
    return path


@pytest.fixture(autouse=True)
def in_base_temp(tmp_path_factory, monkeypatch):
    """Run from pytest's base folder: verify reads runs only inside the working folder."""
    monkeypatch.chdir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return [make_run(root / f"b{b}-s{s}", b, s) for b in (1.0, 0.5) for s in (0, 1, 2)]


@pytest.fixture(scope="module")
def built_board(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "boards" / "demo"  # at a copy's depth
    with contextlib.chdir(tmp_path_factory.getbasetemp()):  # as in_base_temp, for run_dirs
        build(runs, out)
    return out


@pytest.fixture
def board(built_board, tmp_path):
    """A copy of the board built once from ``runs``, for a test to read or edit (a board names
    its runs by paths relative to its folder, so a copy at the same depth reads the same
    runs)."""
    return Path(shutil.copytree(built_board, tmp_path / "boards" / "demo"))


def headless_chromium(uri: str, tmp_path) -> subprocess.CompletedProcess:
    """Load ``uri`` in headless Chromium; stdout: the DOM, stderr: the console ("CONSOLE")."""
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"]
    args += [f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([*args, uri], capture_output=True, text=True, timeout=120)


def results(path):
    with open(Path(path) / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rows_equal_a_hand_derivation_from_results_csv(runs, board):
    rows = read_csv(board / "leaderboard.csv")
    assert [(r["bias"], r["n_seeds"], r["seeds"]) for r in rows] == [
        ("1.0", "3", "0;1;2"),
        ("0.5", "3", "0;1;2"),
    ]
    for row, group in zip(rows, (runs[:3], runs[3:]), strict=True):
        fid = np.array([[float(r["fid"]) for r in results(run)[1:]] for run in group])
        recall_last = [float(results(run)[-1]["recall"]) for run in group]
        assert float(row["fid_gen1_mean"]) == pytest.approx(fid[:, 0].mean(), rel=1e-12)
        assert float(row["fid_last_std"]) == pytest.approx(fid[:, -1].std(ddof=1), rel=1e-12)
        assert float(row["recall_last_mean"]) == pytest.approx(np.mean(recall_last), rel=1e-12)
        auc = [sum((f[i] + f[i + 1]) / 2 for i in range(len(f) - 1)) for f in fid]
        assert float(row["fid_auc_mean"]) == pytest.approx(np.mean(auc), rel=1e-12)
        last = fid[:, -1]
        half = scipy.stats.t.ppf(0.975, 2) * last.std(ddof=1) / np.sqrt(3)
        assert float(row["fid_last_ci_low"]) == pytest.approx(last.mean() - half, rel=1e-12)
        assert float(row["fid_last_ci_high"]) == pytest.approx(last.mean() + half, rel=1e-12)
        tests = [scipy.stats.ttest_rel(fid[:, t], fid[:, 0], alternative="greater") for t in (1, 2)]
        low, high = sorted(test.pvalue for test in tests)  # Holm over the 2 generations
        adjusted = {low: min(1, 2 * low), high: max(min(1, 2 * low), high)}
        adjusted = [adjusted[test.pvalue] for test in tests]
        onset = next((t + 2 for t, p in enumerate(adjusted) if p <= 0.05), None)
        assert row["mad_onset"] == ("none" if onset is None else str(onset))
        p = adjusted[onset - 2] if onset else min(adjusted)
        assert float(row["mad_onset_p"]) == pytest.approx(p, rel=1e-9)
        combined = [  # the memorisation test's p over seeds, by Fisher, at generations 1, 2, 3
            scipy.stats.combine_pvalues(
                [float(results(run)[t]["memorised_p"]) for run in group]
            ).pvalue
            for t in (1, 2, 3)
        ]
        first = min(combined)
        assert row["copying_onset"] == (
            "none" if 3 * first > 0.05 else str(combined.index(first) + 1)
        )
        assert row["kid_gen1_mean"] != "" and row["w2_last_mean"] != ""
        for metric in ("vendi", "ct", "memorised"):  # the diversity and copying columns
            last = [float(results(run)[-1][metric]) for run in group]
            assert float(row[f"{metric}_last_mean"]) == pytest.approx(np.mean(last), rel=1e-12)
        assert json.loads(row["protocol_params"])["n_ini"] == 150
        assert row["run_dirs"].split(";")[0].startswith("../../")  # relative to the board
    assert list(rows[0]) == list(COLUMNS)


def test_folder_holds_csv_markdown_page_and_plots(runs, board):
    assert sorted(p.name for p in board.iterdir()) == [
        ".madbench-leaderboard.json",
        "columns.html",
        "columns.md",
        "index.html",
        "leaderboard.csv",
        "leaderboard.md",
        "per_seed.csv",
        "plots",
    ]
    seeds = read_csv(board / "per_seed.csv", SEED_COLUMNS)
    assert len(seeds) == 2 * 3 * 4  # settings x seeds x generations 0..3
    assert [r["fid"] for r in seeds[:4]] == [r["fid"] for r in results(runs[0])]
    plots = sorted(p.name for p in (board / "plots").iterdir())
    assert plots == ["gaussian-4-metrics.png", "gaussian-4-precision-recall.png"]
    markdown = (board / "leaderboard.md").read_text().splitlines()
    assert markdown[0].startswith("| data | model | protocol | lambda |") and len(markdown) == 4
    assert "| Vendi last | C_T last |" in markdown[0] and "—" not in markdown[2]
    page = (board / "index.html").read_text()
    assert page.count("<tr>") == 3 and "plots/gaussian-4-metrics.png" in page
    for source in re.findall(r'<img src="([^"]+)"', page):
        assert (board / source).is_file()


def test_verify_passes_then_catches_an_edited_row(board, capsys):
    csv_file = board / "leaderboard.csv"
    assert verify(csv_file) == []
    assert main(["leaderboard", "verify", str(csv_file)]) == 0
    assert "all 2 rows match their runs" in capsys.readouterr().out
    text = csv_file.read_text()
    row = read_csv(csv_file)[1]
    csv_file.write_text(text.replace(row["fid_last_mean"], "0.123", 1))
    problems = verify(csv_file)
    assert (
        len(problems) == 1 and "row 2" in problems[0] and "fid_last_mean is '0.123'" in problems[0]
    )
    assert main(["leaderboard", "verify", str(csv_file)]) == 1


def test_verify_catches_an_edited_per_seed_value(board):
    seeds = board / "per_seed.csv"
    text = seeds.read_text()
    value = read_csv(seeds, SEED_COLUMNS)[5]["recall"]
    seeds.write_text(text.replace(value, "0.5", 1))
    problems = verify(board / "leaderboard.csv")
    assert len(problems) == 1 and "per_seed.csv: the rows of setting" in problems[0]
    seeds.unlink()
    assert "per_seed.csv is missing" in verify(board / "leaderboard.csv")[0]


def test_verify_catches_a_changed_run_directory(runs, tmp_path):
    copies = [shutil.copytree(run, tmp_path / "runs" / run.name) for run in runs[:3]]
    build(copies, tmp_path / "board")
    original = results(copies[1])
    rows = [dict(row) for row in original]
    rows[2]["recall"] = repr(float(rows[2]["recall"]) + 0.01)  # generation 2, seed 1
    RunDir(copies[1]).write_rows(rows)
    problems = verify(tmp_path / "board" / "leaderboard.csv")
    assert any("generation 2's recall" in p and "results.csv was edited" in p for p in problems)
    RunDir(copies[1]).write_rows(original)
    assert verify(tmp_path / "board" / "leaderboard.csv") == []
    shutil.rmtree(copies[2])
    assert any("no run here" in p for p in verify(tmp_path / "board" / "leaderboard.csv"))


def test_incomplete_runs_and_bad_input_are_refused_and_nothing_is_written(runs, tmp_path, capsys):
    partial = shutil.copytree(runs[0], tmp_path / "partial")
    RunDir(partial).write_rows(results(partial)[:-1])
    out = tmp_path / "board"
    with pytest.raises(InputError, match="incomplete run .*madbench evaluate --resume"):
        build([runs[1], partial], out)
    assert not out.exists() and not list(tmp_path.glob(".board*"))
    with pytest.raises(InputError, match="two runs of one setting .* with the same seed"):
        build([runs[0], shutil.copytree(runs[0], tmp_path / "again")], out)
    assert main(["leaderboard", "build", str(tmp_path / "nothing"), "--out", str(out)]) == 2
    assert "no run here" in capsys.readouterr().err and not out.exists()


def test_rebuild_replaces_the_folder_whole_but_never_a_users_file(runs, board, tmp_path):
    """A board is rebuilt whole (its marker lists every file it holds); a folder with anything
    else (a user's file, a board file edited since, a folder or a link) is refused, untouched,
    and so is an --out inside a run."""
    before = {p: p.read_bytes() for p in board.rglob("*") if p.is_file()}
    for planted in ("notes.txt", "plots/mine.png"):
        (board / planted).write_text("mine")
        with pytest.raises(InputError, match=f"holds {planted} \\(not one of the"):
            build(runs[:3], board)
        assert (board / planted).read_text() == "mine"
        (board / planted).unlink()
    (board / "leaderboard.md").write_text("edited")
    with pytest.raises(InputError, match="leaderboard.md \\(changed since"):
        build(runs[:3], board)
    (board / "leaderboard.md").write_bytes(before[board / "leaderboard.md"])
    (board / "mine").mkdir()
    with pytest.raises(InputError, match="mine/ \\(a folder"):
        build(runs[:3], board)
    (board / "mine").rmdir()
    assert {p: p.read_bytes() for p in board.rglob("*") if p.is_file()} == before
    with pytest.raises(InputError, match="lies inside the run"):
        build(runs[:3], runs[0] / "board")
    build(runs[:3], board)
    assert len(read_csv(board / "leaderboard.csv")) == 1
    legacy = shutil.copytree(board, tmp_path / "legacy")  # from before the marker: names only
    (legacy / ".madbench-leaderboard.json").unlink()
    assert foreign(legacy) is None
    (legacy / "notes.txt").write_text("mine")
    assert foreign(legacy) == "notes.txt (not one of the leaderboard's files)"


def test_image_runs_get_sample_grids_across_generations(tmp_path):
    run = make_run(tmp_path / "r", 1.0, 0, data="digits", model="gmm", n_ini=200, n_synth=200)
    build([run], tmp_path / "board")
    plots = sorted(p.name for p in (tmp_path / "board" / "plots").iterdir())
    assert len(plots) == 3 and plots[0].endswith("-samples.png")


@pytest.mark.slow  # headless Chromium, about 5 s
@pytest.mark.needs_chromium
def test_page_renders_in_headless_chromium_without_console_errors(board, tmp_path):
    proc = headless_chromium((board / "index.html").as_uri(), tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        '<table id="table">' in proc.stdout
        and "<nav>" in proc.stdout
        and proc.stdout.count("<img") == 2
    )
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    # The check can fail: the same page with a script error logs it on the console.
    broken_page = board / "broken.html"
    page = (board / "index.html").read_text()
    broken_page.write_text(page.replace("</body>", "<script>noSuchFunction();</script></body>"))
    broken = headless_chromium(broken_page.as_uri(), tmp_path)
    assert any(
        "CONSOLE" in line and "noSuchFunction" in line for line in broken.stderr.splitlines()
    )


@pytest.mark.slow  # headless Chromium, about 3 s
@pytest.mark.needs_chromium
def test_committed_small_suite_page_renders_without_console_errors(tmp_path):
    page = Path(__file__).resolve().parent.parent / "leaderboards" / "small" / "index.html"
    for source in re.findall(r'<img src="([^"]+)"', page.read_text()):
        assert (page.parent / source).is_file()
    proc = headless_chromium(page.as_uri(), tmp_path)
    assert proc.returncode == 0 and proc.stdout.count("<tr>") == 30
    assert [line for line in proc.stderr.splitlines() if "CONSOLE" in line] == []


def test_suites_expand_and_unknown_ones_are_refused():
    suite = load_suite("small")
    name, planned = suite.name, suite.runs
    assert name == "small" and len(planned) == 145
    assert len({p.name for p in planned}) == len(planned)
    known = "beyond, ci, paper, small, text, text-paper"
    with pytest.raises(InputError, match=f"unknown suite 'huge'; known: {known}"):
        load_suite("huge")


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "experiments:\n  - {model: gaussian, data: gmm-25, protocl: x}",
            r"unknown keys \['protocl'\]",
        ),
        (
            "experiments:\n  - {model: g, data: gmm-25, protocol: fully-synthetic,\n"
            "     params: {generations: 0}}",
            "generations must be an integer >= 1",
        ),
        (
            "experiments:\n  - {model: g, data: gmm-25, vary: {bias: 0.5}}",
            "'vary' field needs a non-empty list",
        ),
        (
            "experiments: []\nclaims:\n  - {text: t, test: trend, metric: fid,\n"
            "     arm: {data: digits, protocol: fully-synthetic}, when: later}",
            r"claim 1: unknown claim keys \['when'\]",
        ),
        (
            "experiments:\n  - {model: g, data: gmm-25, protocol: fully-synthetic,\n"
            "     scoring: {intervals: -1}}",
            "scoring: intervals must be an integer >= 0",
        ),
        ("experiments: []\nalpha: 5", r"alpha \(the claims' family-wise level\) must lie in"),
    ],
)
def test_bad_suite_files_are_refused(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: x\n{text}\n")
    with pytest.raises(InputError, match=message):
        load_suite(str(bad))


@pytest.mark.slow
def test_reproduce_runs_resumes_and_builds(tmp_path, capsys):
    suite = tmp_path / "mini.yaml"
    suite.write_text(
        "name: mini\nexperiments:\n"
        "  - {name: g, model: gaussian, data: gaussian-3, protocol: fully-synthetic,\n"
        "     params: {generations: 2, n_ini: 100, n_synth: 100, eval_n: 100},\n"
        "     vary: {bias: [1.0, 0.5]}, seeds: [0, 1]}\n"
    )
    args = [
        "reproduce",
        str(suite),
        "--runs",
        str(tmp_path / "runs"),
        "--out",
        str(tmp_path / "lb"),
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "[4/4] g-bias0.5-seed1: running" in first and "2 rows from 4 runs" in first
    RunDir(tmp_path / "runs" / "g-bias1-seed0").write_rows(
        results(tmp_path / "runs" / "g-bias1-seed0")[:2]
    )
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "g-bias1-seed0: resuming" in again and "g-bias1-seed1: complete, kept" in again
    assert verify(tmp_path / "lb" / "leaderboard.csv") == []

    # --check re-runs into a fresh folder and compares with the published board.
    check = ["reproduce", str(suite), "--check", "--runs", str(tmp_path / "again")]
    assert main([*check, "--against", str(tmp_path / "lb" / "leaderboard.csv")]) == 0
    out = capsys.readouterr().out
    assert "4 runs" in out and "cells agree" in out
    assert (tmp_path / "again" / "leaderboard" / "per_seed.csv").is_file()
    published = read_csv(tmp_path / "lb" / "leaderboard.csv")
    shift = 1000 * float(published[0]["fid_last_std"])  # 2 seeds a side: t has ~2 dof
    published[0]["fid_last_mean"] = repr(float(published[0]["fid_last_mean"]) + shift)
    (tmp_path / "edited.csv").write_text(csv_text(published))
    assert main([*check, "--against", str(tmp_path / "edited.csv")]) == 1
    assert "fid_last: published" in capsys.readouterr().out


def test_verify_without_any_of_its_runs_says_to_reproduce_first(runs, tmp_path, capsys):
    board = tmp_path / "small"
    build(runs[:2], board)
    lonely = tmp_path / "elsewhere" / "small"
    shutil.copytree(board, lonely)
    assert main(["leaderboard", "verify", str(lonely / "leaderboard.csv")]) == 2
    err = capsys.readouterr().err
    assert "none of the 2 runs behind" in err and "madbench reproduce small" in err
    assert err.count("\n") == 1


def test_leaderboard_files_carry_a_schema_version(board, tmp_path):
    from madbench.leaderboard.build import SCHEMA_VERSION

    text = (board / "leaderboard.csv").read_text()
    assert text.startswith("schema_version,") and read_csv(board / "leaderboard.csv")[0][
        "schema_version"
    ] == str(SCHEMA_VERSION)
    lines = text.splitlines()
    rows = read_csv(board / "leaderboard.csv")
    # 0.2: no schema_version column; 0.3: no Vendi and copying columns; 0.4: no copying onset;
    # run formats up to 5: no FID-infinity; schema 5: no text columns; schema 6: no MAUVE;
    # schema 7: no reward; schema 8: no later metrics; schema 9: no CMMD
    for version in (1, 2, 3, 4, 5, 6, 7, 8, 9):
        old = tmp_path / f"v{version}.csv"
        columns = [c for c in columns_of(COLUMNS, version) if version > 1 or c != "schema_version"]
        with open(old, "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({**row, "schema_version": version} for row in rows)
        assert [row["schema_version"] for row in read_csv(old)] == [str(version)] * len(rows)
    broken = tmp_path / "v8-with-rke.csv"  # schema-9 columns under version 8
    broken.write_text((board / "leaderboard.csv").read_text().replace("\n10,", "\n8,"))
    with pytest.raises(DataFileError, match="not those of schema version 8"):
        read_csv(broken)
    newer = tmp_path / "v11.csv"
    newer.write_text("\n".join([lines[0], *("11," + line.split(",", 1)[1] for line in lines[1:])]))
    with pytest.raises(DataFileError, match="written by a newer madbench \\(schema version 11"):
        read_csv(newer)


@pytest.mark.slow  # about 5 s: three shards and a build of six runs
def test_shards_then_build_only_give_the_local_leaderboard(tmp_path, capsys):
    suite = tmp_path / "mini.yaml"
    suite.write_text(
        "name: mini\nexperiments:\n"
        "  - {name: g, model: gaussian, data: gaussian-2, protocol: fully-synthetic,\n"
        "     params: {generations: 1, n_ini: 60, n_synth: 60, eval_n: 60},\n"
        "     vary: {bias: [1.0, 0.5]}, seeds: [0, 1, 2]}\n"
    )
    local = ["reproduce", str(suite), "--runs", str(tmp_path / "local")]
    assert main([*local, "--out", str(tmp_path / "lb-local")]) == 0
    sharded = ["reproduce", str(suite), "--runs", str(tmp_path / "shared")]
    board = ["--out", str(tmp_path / "lb-shards")]
    capsys.readouterr()
    assert main([*sharded, *board, "--build-only"]) == 2  # nothing run yet: names what is missing
    assert "6 runs of 6 not complete" in capsys.readouterr().err
    for index in (1, 2, 3):
        assert main([*sharded, "--shard", f"{index}/3"]) == 0
        assert f"shard {index}/3: 2 runs of 6 done" in capsys.readouterr().out
    assert sorted(
        p.name for p in (tmp_path / "shared").iterdir() if not p.name.startswith(".")
    ) == [f"g-bias{b}-seed{s}" for b in ("0.5", "1") for s in (0, 1, 2)]
    assert main([*sharded, *board, "--build-only"]) == 0
    a, b = (read_csv(tmp_path / f"lb-{k}" / "leaderboard.csv") for k in ("local", "shards"))
    assert [{**r, "run_dirs": ""} for r in a] == [{**r, "run_dirs": ""} for r in b]
    for bad in ("0/3", "4/3", "x"):
        assert main([*sharded, "--shard", bad]) == 2
        assert "--shard takes I/N" in capsys.readouterr().err


def test_the_shipped_copy_of_the_small_leaderboard_is_the_published_one(tmp_path, monkeypatch):
    """``reproduce small --check`` outside a clone compares with the copy madbench ships; it
    must be byte for byte leaderboards/small/leaderboard.csv (after a rebuild: copy it to
    madbench/resources/leaderboards/small.csv)."""
    from madbench.leaderboard.publish import published_board

    root = Path(__file__).resolve().parents[1]
    published = (root / "leaderboards" / "small" / "leaderboard.csv").read_bytes()
    monkeypatch.chdir(tmp_path)  # an installed user's folder: no leaderboards/ here
    assert Path(published_board("small")).read_bytes() == published
    assert published_board("paper") == "leaderboards/paper/leaderboard.csv"  # none shipped


@pytest.mark.slow  # 5 s of headless Chromium; the page's DOM is checked in the default suite
@pytest.mark.needs_chromium
def test_page_screenshot_shows_the_table_and_plots(board, tmp_path):
    """A headless Chromium screenshot of the page: drawn (not blank), its thumbnails link to
    the full-size plots, titled in words, and the column documentation is an HTML page."""
    shot = tmp_path / "page.png"
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    args += [f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}"]
    args += ["--window-size=1280,2400", (board / "index.html").as_uri()]
    subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[:2] == (2400, 1280)
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert colours > 200  # plots drawn, not a blank or broken page
    page = (board / "index.html").read_text()
    for source in re.findall(r'<img src="([^"]+)"', page):
        assert f'<a href="{source}"><img src="{source}"' in page
    assert "gaussian-4: every metric by generation" in page and 'href="columns.html"' in page
    assert "<code>setting_hash</code>" in (board / "columns.html").read_text()


def test_the_fid_floor_band_pools_each_runs_draws():
    """The grey band of FID panels: mean of the runs' floors +- the std of one draw, pooled
    from the spread of draws within runs (fid_floor_sd) and the runs' spread; runs without a
    floor over draws (run format 5) give the band from their generation-0 values."""
    from madbench.leaderboard.build import Run
    from madbench.leaderboard.plots import _floor

    class Axes:
        def axhspan(self, low, high, **style):
            self.span = (low, high)

        def axhline(self, y, **style):
            self.line = y

    def run(**first):
        return Run(Path("."), {}, {}, [first])

    with_floor = [
        run(fid="6", fid_floor="5", fid_floor_sd="1"),
        run(fid="9", fid_floor="7", fid_floor_sd="1"),
    ]
    ax = Axes()
    _floor(ax, [with_floor], "fid")
    std = np.sqrt(1 + 1.0)  # within-run variance 1, the means' variance 1
    assert ax.line == 6.0 and np.allclose(ax.span, (6 - std, 6 + std))
    ax = Axes()
    _floor(ax, [[run(fid="6"), run(fid="8")]], "fid")
    assert ax.line == 7.0 and np.allclose(ax.span, (6.0, 8.0))
