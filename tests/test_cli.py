"""The command line as a user meets it: tables, JSON, and one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from vendi_score import vendi

from madbench.checks.references import (
    clipped_reference,
    cmmd_reference,
    copying_reference,
    cover_reference,
    knn_reference,
    probabilistic_reference,
    rarity_reference,
    rke_reference,
)
from madbench.cli import main
from madbench.metrics.names import DEFAULT_METRICS, LATER_KEYS, METRIC_KEYS, METRICS


@pytest.fixture
def files(tmp_path, rng):
    real = rng.standard_normal((300, 8)).astype(np.float32)
    fake = (0.8 * rng.standard_normal((250, 8)) + 0.1).astype(np.float32)
    np.save(tmp_path / "real.npy", real)
    np.savez(tmp_path / "fake.npz", features=fake)
    return tmp_path, real, fake


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_metrics_json_has_all_keys_and_right_values(files, capsys):
    tmp, real, fake = files
    train = np.random.default_rng(9).standard_normal((200, real.shape[1]))
    np.save(tmp / "train.npy", train)
    code, out, err = run(
        ["metrics", tmp / "real.npy", tmp / "fake.npz", "--json", "--k", 4]
        + ["--train", tmp / "train.npy", "--metrics", "all"],
        capsys,
    )
    assert code == 0
    report = json.loads(out)
    assert set(METRIC_KEYS) <= set(report)
    expected = knn_reference(real, fake, 4)
    expected |= cover_reference(real, fake, 3, 3) | clipped_reference(real, fake, 4)
    expected |= probabilistic_reference(real, fake, 4, 1.2)
    expected["rarity"] = np.nanmean(rarity_reference(real, fake, 4))
    bandwidth = np.median(np.sort(cdist(real, real), axis=1)[:, 4])
    expected["rke"] = rke_reference(fake, bandwidth)
    expected["cmmd"] = cmmd_reference(real, fake)
    for key in LATER_KEYS:
        assert report[key] == pytest.approx(expected[key], rel=1e-9), key
    expected.update(copying_reference(train, real, fake, 12, 20, 0))  # 250 // 20 cells
    for key in ("precision", "recall", "density", "coverage", "ct", "authenticity", "memorised"):
        assert report[key] == pytest.approx(expected[key], abs=1e-9)
    assert report["vendi"] == pytest.approx(vendi.score_dual(fake.astype(np.float64)), rel=1e-9)
    assert report["k"] == 4 and report["rule"] == "<=" and report["fid"] > 0


def test_metrics_table(files, capsys):
    tmp, _, _ = files
    code, out, _ = run(
        ["metrics", tmp / "real.npy", tmp / "fake.npz", "--strict", "--backend", "faiss"], capsys
    )
    assert code == 0
    lines = out.splitlines()
    default = [key for name in DEFAULT_METRICS for key in METRICS[name]]
    keys = [key for key in default if key not in METRICS["copying"]]
    assert [line.split()[0] for line in lines[: len(keys)]] == keys
    assert "rule=<" in lines[-1] and "backend=faiss:flat" in lines[-1]


def test_stats_then_fid(files, capsys):
    tmp, _, _ = files
    code, out, _ = run(["stats", tmp / "real.npy", tmp / "real_stats.npz"], capsys)
    assert code == 0 and "300 samples" in out
    _, from_stats, _ = run(["fid", tmp / "real_stats.npz", tmp / "fake.npz"], capsys)
    _, from_feats, _ = run(["fid", tmp / "real.npy", tmp / "fake.npz"], capsys)
    assert float(from_stats) == float(from_feats) > 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["metrics", "{tmp}/real.npy", "{tmp}/missing.npy"], "missing.npy: no such file or folder"),
        (["metrics", "{tmp}/real.npy", "{tmp}/nan.npy"], "rows contain NaN or Inf"),
        (["metrics", "{tmp}/real.npy", "{tmp}/narrow.npy"], "real has 8 features"),
        (["metrics", "{tmp}/real.npy", "{tmp}/fake.npz", "--k", "400"], "too few for k = 400"),
        (["metrics", "{tmp}/real.npy", "{tmp}/text.npy"], "not a .npy file"),
        (
            ["metrics", "{tmp}/real.npy", "{tmp}/fake.npz", "--backend", "x"],
            "Invalid value for '--backend'",
        ),
        (["metrics", "{tmp}/real.npy"], "Missing argument 'FAKE'"),
        (["metrics", "{tmp}/real.npy", "{tmp}/imgs"], "no images found"),
        (["stats", "{tmp}/real.npy", "{tmp}/out.txt"], "name the file *.npz"),
    ],
)
def test_errors_are_one_line_exit_2(files, capsys, args, message):
    tmp, real, _ = files
    np.save(tmp / "nan.npy", np.full((10, 8), np.nan))
    np.save(tmp / "narrow.npy", np.zeros((10, 3)))
    (tmp / "text.npy").write_text("not numpy")
    (tmp / "imgs").mkdir(exist_ok=True)
    code, out, err = run([a.format(tmp=tmp) for a in args], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("madbench: error: ")
    assert message in err
    assert not (tmp / "out.txt").exists()


def test_console_script_prints_no_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "madbench.cli",
            "metrics",
            str(tmp_path / "a.npy"),
            str(tmp_path / "b.npy"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"madbench: error: {tmp_path / 'a.npy'}: no such file or folder"


def test_console_script_exits_with_its_output_whole(tmp_path):
    """The console script skips the interpreter's last collections (gc.freeze): the output is
    still written in full, and the exit code is the command's."""
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        np.save(tmp_path / f"{name}.npy", rng.standard_normal((60, 3)))
    command = [sys.executable, "-m", "madbench.cli", "metrics", "a.npy", "b.npy", "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n_real"] == 60


def test_selfcheck_agrees_on_builtin_data(capsys):
    code, out, _ = run(["selfcheck", "--n", "150"], capsys)
    assert code == 0
    assert out.strip().splitlines()[-1].endswith("checks agree")
    assert "NO" not in out


def test_selfcheck_fails_when_a_metric_is_wrong(capsys, monkeypatch):
    from madbench.checks import references

    true_fid = references.fid_reference
    monkeypatch.setattr(references, "fid_reference", lambda r, f: true_fid(r, f) + 1.0)
    code, out, _ = run(["selfcheck", "--n", "100", "--json"], capsys)
    assert code == 1
    failed = [c for c in json.loads(out) if not c["ok"]]
    assert {c["metric"] for c in failed} == {"fid"} and len(failed) == 3


def test_metrics_approximate_flag(files, capsys):
    tmp, _, _ = files
    code, out, _ = run(
        ["metrics", tmp / "real.npy", tmp / "fake.npz", "--approximate", "--json"], capsys
    )
    report = json.loads(out)
    assert code == 0 and report["backend"] == "faiss:ivf" and report["exact"] is False


def test_unwritable_statistics_path_and_warnings_are_one_line(files, capsys):
    tmp, _, _ = files
    code, _, err = run(["stats", tmp / "real.npy", tmp / "no" / "such" / "dir" / "s.npz"], capsys)
    assert code == 2 and err.count("\n") == 1 and "cannot write statistics" in err
    np.save(tmp / "few.npy", np.random.default_rng(0).standard_normal((5, 8)))
    code, out, err = run(["fid", tmp / "few.npy", tmp / "real.npy"], capsys)
    assert code == 0 and float(out) > 0
    assert err.startswith("madbench: warning: ") and "singular" in err and err.count("\n") == 1


def test_selfcheck_says_which_checks_it_skipped(capsys, monkeypatch):
    """Without prdc (a dev extra) its checks are reported as skipped, never as agreeing."""
    import sys

    monkeypatch.setitem(sys.modules, "prdc", None)  # import prdc raises ImportError
    code, out, _ = run(["selfcheck", "--n", "100"], capsys)
    last = out.strip().splitlines()[-1]
    assert code == 0 and "12 skipped (prdc is not installed: pip install prdc)" in last
    assert out.count(" skipped\n") == 12


# -- rough edges a new user met in a fresh clone ---------------------------------------------------
def test_counts_read_as_english():
    from madbench.cli import _count, _every

    assert [_count(1, "sample"), _count(2, "sample"), _count(0, "row")] == [
        "1 sample", "2 samples", "0 rows"
    ]  # fmt: skip
    assert [_every(1, "row"), _every(6, "row")] == ["the 1 row", "all 6 rows"]


def test_a_mistyped_feature_space_gets_a_did_you_mean(capsys):
    args = ["evaluate", "--model", "gmm", "--data", "digits", "--features", "lenett"]
    assert main(args) == 2
    assert "unknown feature space 'lenett'; did you mean 'lenet'?" in capsys.readouterr().err


def test_a_taken_run_folder_is_refused_before_the_run_is_announced(tmp_path, capsys):
    args = ["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--generations", "1"]
    assert main([*args, "--n-ini", "100", "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    assert main([*args, "--n-ini", "100", "--out", str(tmp_path / "r")]) == 2
    out, err = capsys.readouterr()
    assert "already holds a run" in err and "run directory" not in out


def test_an_adapter_failure_is_said_once_without_a_repeated_prefix(tmp_path, capsys):
    args = ["evaluate", "--model", "toy_adapters:ReturnsNaN", "--data", "gaussian-2"]
    assert main([*args, "--n-ini", "100", "--out", str(tmp_path / "r")]) == 2
    out, err = capsys.readouterr()
    assert "NaN or Inf" not in out and err.count("NaN or Inf") == 1
    assert "generation 1 (seed" in err and "generation 1: sample" not in err
    assert "the adapter: sample(" in err and "returned 1 sample with NaN or Inf" in err


def test_reproduce_help_lists_every_shipped_suite(capsys):
    from importlib.resources import files

    shipped = [
        p.name.removesuffix(".yaml") for p in (files("madbench") / "resources" / "suites").iterdir()
    ]
    main(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert shipped and all(f"{name}," in text or f"{name} " in text for name in shipped)


def test_the_light_modules_load_no_torch():
    """Configurations, data, suites, the command line and `import madbench` stay light:
    torch (about a second to import) loads only when numbers are computed."""
    import subprocess
    import sys

    modules = (
        "madbench, madbench.cli, madbench.loops.config, madbench.data.datasets, madbench.suites"
    )
    code = f"import sys, {modules}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
