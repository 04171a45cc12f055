"""The loop engine end to end: protocols, outside adapters, failures, resume, Gaussian theory."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from madbench.cli import main
from madbench.generators.gaussian import GaussianGenerator
from madbench.loops.engine import Loop, RunConfig
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir
from madbench.runs.schema import COLUMNS

TIMING = {"fit_seconds", "sample_seconds", "metric_seconds"}
SMALL = {"generations": 3, "n_ini": 200, "n_synth": 200, "eval_n": 150}


def run(tmp_path, model="gaussian", data="gaussian-2", protocol="fully-synthetic", **params):
    config = RunConfig(model, {}, data, make_protocol(protocol, **{**SMALL, **params}))
    return Loop(config, RunDir(tmp_path / "run"), echo=lambda line: None).start()


def read_rows(path):
    with open(Path(path) / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def metric_rows(path):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in read_rows(path)]


def crash_before_row(monkeypatch, config, path, n_rows):
    """Start a run that dies (after the checkpoint) as it is about to write row n_rows."""
    original = RunDir.write_rows

    def crash(self, rows):
        if len(rows) == n_rows:
            raise KeyboardInterrupt
        original(self, rows)

    with monkeypatch.context() as patch:
        patch.setattr(RunDir, "write_rows", crash)
        with pytest.raises(KeyboardInterrupt):
            Loop(config, RunDir(path), echo=lambda line: None).start()


@pytest.mark.parametrize(
    "protocol,params,real_counts,synth_counts",
    [
        ("fully-synthetic", {}, [200, 0, 0], [0, 200, 200]),
        ("synthetic-augmentation", {}, [200, 200, 200], [0, 200, 200]),
        ("fresh-data", {"n_real": 50, "n_synth": 150}, [200, 50, 50], [0, 150, 150]),
        ("fully-synthetic", {"source": "accumulate"}, [200, 0, 0], [0, 200, 400]),
        (
            "synthetic-augmentation",
            {"source": "last-1", "generations": 4},
            [200] * 4,
            [0, 200, 200, 200],
        ),
    ],
)
def test_protocols_mix_the_right_data(tmp_path, protocol, params, real_counts, synth_counts):
    rows = run(tmp_path, protocol=protocol, **params)
    assert [r["generation"] for r in rows] == list(range(len(real_counts) + 1))
    assert [r["n_train_real"] for r in rows[1:]] == real_counts
    assert [r["n_train_synth"] for r in rows[1:]] == synth_counts
    on_disk = read_rows(tmp_path / "run")
    assert list(on_disk[0]) == list(COLUMNS) and len(on_disk) == len(rows)
    assert all(r["status"] == "ok" and r["protocol"] == protocol for r in on_disk)
    assert {r["protocol_hash"] for r in on_disk} == {
        make_protocol(protocol, **{**SMALL, **params}).content_hash()
    }
    for t in range(1, len(real_counts) + 1):
        assert (tmp_path / "run" / f"gen-{t:03d}" / "samples.npy").is_file()
        assert (tmp_path / "run" / f"gen-{t:03d}" / "model" / "gaussian.npz").is_file()
        assert (
            '"model": "gaussian"' in (tmp_path / "run" / f"gen-{t:03d}" / "meta.json").read_text()
        )


def test_fully_synthetic_gaussian_loses_variance(tmp_path):
    mad = run(tmp_path / "a", generations=8, n_ini=30, n_synth=30, bias=0.8)
    assert float(mad[-1]["trace_cov"]) < 0.5 * float(mad[1]["trace_cov"])
    assert float(mad[-1]["w2"]) > float(mad[1]["w2"])


def test_engine_refits_each_generation_on_the_previous_samples(tmp_path):
    """Checkpoints show the chain the theory describes: Sigma_t = cov(samples of G_{t-1})."""
    run(tmp_path, generations=4)
    base = tmp_path / "run"
    for t in range(2, 5):
        model = GaussianGenerator().load(str(base / f"gen-{t:03d}" / "model"))
        previous = np.load(base / f"gen-{t - 1:03d}" / "samples.npy")
        np.testing.assert_allclose(model.cov_, np.cov(previous, rowvar=False), rtol=1e-12)


def test_generation_0_holds_the_noise_floor_over_disjoint_draws(tmp_path):
    """Generation 0's row scores the first of the floor's disjoint draws of real training
    samples; fid_floor and fid_floor_sd are the mean and sd of all their FIDs against the
    held-out set (5 draws on unlimited data, as many as the train split holds on digits)."""
    from madbench.loops.realdata import RealData
    from madbench.metrics.frechet import fid_from_features

    rows = run(tmp_path, data="gaussian-3", generations=1)
    config = RunConfig(
        "gaussian",
        {},
        "gaussian-3",
        make_protocol("fully-synthetic", **{**SMALL, "generations": 1}),
    )
    real = RealData(config, echo=lambda line: None)
    draws = real.floor_draws()
    assert len(draws) == 5 and all(len(x) == 150 for x in draws)
    assert len({row.tobytes() for x in draws for row in x}) == 5 * 150  # disjoint
    fids = [fid_from_features(real.eval_real, x) for x in draws]
    assert float(rows[0]["fid"]) == fids[0]
    assert np.isclose(float(rows[0]["fid_floor"]), np.mean(fids), rtol=1e-12)
    assert np.isclose(float(rows[0]["fid_floor_sd"]), np.std(fids, ddof=1), rtol=1e-12)
    assert int(rows[0]["floor_draws"]) == 5 and rows[1].get("fid_floor") in ("", None)
    digits = RunConfig("gmm", {}, "digits", make_protocol("fully-synthetic", n_ini=300, eval_n=300))
    assert len(RealData(digits, echo=lambda line: None).floor_draws()) == 1437 // 300


@pytest.mark.parametrize("lam", [1.0, 0.8])
def test_gaussian_theory_trace_follows_lambda_power(lam):
    """E[tr Sigma_t] = lambda^(t-1) E[tr Sigma_1] (unbiased covariance), over many seeds (each
    generation's mean within 4 standard errors). At lambda = 1 log tr Sigma_t drifts down by
    0.01-0.02 a generation (d = 4, n = 20), 1.5-4 standard errors at 1200 seeds: seeded, the
    check is exact for these draws."""
    d, n, generations, seeds = 4, 20, 6, 1200
    traces = np.empty((seeds, generations))
    for s in range(seeds):
        rng = np.random.default_rng(s)
        model = GaussianGenerator().fit(rng.standard_normal((n, d)), seed=0)
        for t in range(generations):
            traces[s, t] = np.trace(model.cov_)
            model = GaussianGenerator().fit(model.sample(n, bias=lam, seed=s * 100 + t), seed=0)
    mean = traces.mean(axis=0)
    stderr = traces.std(axis=0) / np.sqrt(seeds)
    expected = lam ** np.arange(generations) * d  # tr Sigma_1 has mean d
    assert np.all(np.abs(mean - expected) < 4 * stderr + 1e-9)
    if lam == 1.0:  # the mean is flat, yet log tr Sigma_t drifts down every generation
        log_mean = np.log(traces).mean(axis=0)
        assert np.all(np.diff(log_mean) < 0)


def test_outside_class_through_the_cli(tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "toy_adapters:Honest",
            "--model-args",
            "scale=0.9",
            "--data",
            "gmm-25",
            "--generations",
            "2",
            "--n-ini",
            "300",
            "--n-synth",
            "300",
            "--eval-n",
            "200",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "generation 2:" in out and out.strip().splitlines()[-1].split()[0] == "2"
    assert read_rows(tmp_path / "r")[-1]["model"] == "toy_adapters:Honest"


@pytest.mark.parametrize(
    "cls,message",
    [
        ("RaisesInFit", "fit() raised RuntimeError('out of memory')"),
        ("ReturnsNaN", "NaN"),
        ("WrongShape", "expected (200, 2)"),
    ],
)
def test_broken_adapter_is_reported_with_generation_and_seed(tmp_path, capsys, cls, message):
    code = main(
        [
            "evaluate",
            "--model",
            f"toy_adapters:{cls}",
            "--data",
            "gaussian-2",
            "--generations",
            "2",
            "--n-ini",
            "200",
            "--n-synth",
            "200",
            "--eval-n",
            "100",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "generation 1 (seed" in err and message in err
    rows = read_rows(tmp_path / "r")
    assert rows[-1]["status"] == "failed" and message in rows[-1]["error"]
    assert not (tmp_path / "r" / "gen-001").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "gausian", "--data", "gaussian-2"], "did you mean 'gaussian'"),
        (["--model", "gaussian", "--data", "fashion_mnist"], "did you mean 'fashion-mnist'"),
        (
            ["--model", "gaussian", "--data", "gaussian-2", "--protocol", "fresh"],
            "did you mean 'fresh-data'",
        ),
        (["--model", "gaussian", "--data", "gaussian-2", "--model-args", "x"], "is not key=value"),
        (
            ["--model", "gaussian", "--data", "gaussian-2", "--bias", "0"],
            "bias (lambda) must be in (0, 1]",
        ),
        (
            [
                "--model",
                "gaussian",
                "--data",
                "digits",
                "--protocol",
                "fresh-data",
                "--n-real",
                "500",
            ],
            "n_ini + (generations - 1) * n_real = 1000 + 4 * 500 = 3000 real training samples",
        ),
    ],
)
def test_bad_evaluate_input(tmp_path, capsys, args, message):
    code = main(["evaluate", *args, "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def test_unwritable_output_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(
        ["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--out", str(blocker / "run")]
    )
    assert code == 2 and "cannot write" in capsys.readouterr().err


def test_existing_run_is_not_overwritten(tmp_path, capsys):
    args = [
        "evaluate",
        "--model",
        "gaussian",
        "--data",
        "gaussian-2",
        "--generations",
        "1",
        "--eval-n",
        "100",
        "--out",
        str(tmp_path / "r"),
    ]
    assert main(args) == 0
    assert main(args) == 2 and "--resume" in capsys.readouterr().err


def test_crash_between_checkpoint_and_row_then_resume(tmp_path, monkeypatch):
    """A crash after generation 2's checkpoint but before its row: resume redoes it exactly."""
    reference = run(tmp_path / "ref", generations=4)
    del reference
    config = RunConfig(
        "gaussian",
        {},
        "gaussian-2",
        make_protocol("fully-synthetic", **{**SMALL, "generations": 4}),
    )
    crash_before_row(monkeypatch, config, tmp_path / "crash", 3)
    assert (tmp_path / "crash" / "gen-002").is_dir() and len(read_rows(tmp_path / "crash")) == 2
    Loop(config, RunDir(tmp_path / "crash"), echo=lambda line: None).resume()
    assert metric_rows(tmp_path / "crash") == metric_rows(tmp_path / "ref" / "run")


@pytest.mark.slow  # CI runs it in its own step: pytest -m slow
def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    args = [
        "evaluate",
        "--model",
        "gmm",
        "--model-args",
        "n_components=3",
        "--data",
        "gmm-25",
        "--generations",
        "5",
        "--n-ini",
        "400",
        "--n-synth",
        "400",
        "--eval-n",
        "300",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    cli = [sys.executable, "-m", "madbench.cli"]
    subprocess.run(
        [*cli, *args, "--out", str(tmp_path / "whole")], check=True, env=env, capture_output=True
    )
    proc = subprocess.Popen(
        [*cli, *args, "--out", str(tmp_path / "killed")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = tmp_path / "killed" / "results.csv"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if results.exists() and len(read_rows(tmp_path / "killed")) >= 3:  # generations 0..2 done
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(read_rows(tmp_path / "killed")) < 6, "the run finished before it could be killed"
    subprocess.run(
        [*cli, "evaluate", "--resume", str(tmp_path / "killed")],
        check=True,
        env=env,
        capture_output=True,
    )
    assert metric_rows(tmp_path / "killed") == metric_rows(tmp_path / "whole")
    leftovers = [p.name for p in (tmp_path / "killed").iterdir() if p.name.startswith(".")]
    assert leftovers == [".lock"]  # the lock file stays; temporary files of the dead are gone


def test_warm_start_trains_on_and_resumes_from_the_previous_model(tmp_path, monkeypatch):
    params = {**SMALL, "generations": 3, "retrain": "warm"}
    config = RunConfig(
        "toy_adapters:WarmMean", {}, "gaussian-2", make_protocol("fully-synthetic", **params)
    )
    Loop(config, RunDir(tmp_path / "whole"), echo=lambda line: None).start()
    state = np.load(tmp_path / "whole" / "gen-003" / "model" / "state.npz")
    assert int(state["count"]) == 200 + 200 + 200  # one fit, then two warm partial fits

    crash_before_row(monkeypatch, config, tmp_path / "cut", 4)
    Loop(
        config, RunDir(tmp_path / "cut"), echo=lambda line: None
    ).resume()  # reloads gen-002's model
    assert metric_rows(tmp_path / "cut") == metric_rows(tmp_path / "whole")


def test_warm_start_needs_partial_fit(tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "toy_adapters:Honest",
            "--data",
            "gaussian-2",
            "--retrain",
            "warm",
            "--generations",
            "2",
            "--n-ini",
            "100",
            "--n-synth",
            "100",
            "--eval-n",
            "100",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2 and "has no partial_fit()" in capsys.readouterr().err


def test_corrupted_data_file_refuses_to_run(tmp_path, capsys):
    import gzip

    from madbench.data.datasets import get_dataset

    source = get_dataset("digits").directory / "digits.csv.gz"
    raw = bytearray(gzip.decompress(source.read_bytes()))
    raw[10] = ord("7") if raw[10] != ord("7") else ord("6")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "digits.csv.gz").write_bytes(gzip.compress(bytes(raw)))
    code = main(
        [
            "evaluate",
            "--model",
            "gmm",
            "--data",
            "digits",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "digits.csv.gz does not match its manifest" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_conditional_adapter_gets_labels_and_keeps_class_balance(tmp_path):
    from madbench.adapters import check_adapter

    assert check_adapter("toy_adapters:ClassMeans") == []
    config = RunConfig(
        "toy_adapters:ClassMeans",
        {},
        "digits",
        make_protocol("fully-synthetic", generations=2, n_ini=500, n_synth=300, eval_n=100),
    )
    rows = Loop(config, RunDir(tmp_path / "r"), echo=lambda line: None).start()
    assert [r["status"] for r in rows] == ["ok"] * 3
    labels = np.load(tmp_path / "r" / "gen-001" / "labels.npy")
    assert np.bincount(labels).tolist() == [30] * 10  # every class equally often


def test_conditional_adapter_needs_labelled_data(tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "toy_adapters:ClassMeans",
            "--data",
            "gaussian-2",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2 and "is conditional but gaussian-2 has no labels" in capsys.readouterr().err


def test_image_grid_layout():
    from madbench.runs.grid import image_grid

    images = np.zeros((10, 4, 6))
    images[3] = 1.0
    grid = image_grid(images, columns=4)
    # 3 rows x 4 columns of 4x6 images, 1 px apart, then enlarged to >= 256 px wide.
    assert grid.dtype == np.uint8 and grid.shape[1] >= 256
    scale = grid.shape[1] // (4 * 7 + 1)
    assert grid.shape == ((3 * 5 + 1) * scale, (4 * 7 + 1) * scale)
    small = grid[::scale, ::scale]
    assert small[0].min() == 255  # border
    assert small[1:5, 1 + 3 * 7 : 1 + 3 * 7 + 6].min() == 255  # the white image, 4th in row 1
    assert small[1:5, 1:7].max() == 0  # a black one


def test_image_runs_save_sample_grids(tmp_path):
    from PIL import Image

    config = RunConfig(
        "gmm",
        {"n_components": 2},
        "digits",
        make_protocol("fully-synthetic", generations=1, n_ini=300, n_synth=100, eval_n=100),
    )
    Loop(config, RunDir(tmp_path / "r"), echo=lambda line: None).start()
    with Image.open(tmp_path / "r" / "gen-001" / "samples.png") as png:
        assert png.mode == "L" and png.size[0] >= 256


@pytest.mark.parametrize(
    "name,given,sizes",
    [
        ("fully-synthetic", {"n_ini": 700}, (0, 700)),
        ("fresh-data", {"n_ini": 700}, (100, 600)),
        ("fresh-data", {"n_ini": 700, "n_real": 300}, (300, 400)),
        ("synthetic-augmentation", {"n_ini": 700}, (0, 700)),
        ("fresh-data", {"n_ini": 1000, "synthetic_fraction": 0.25}, (750, 250)),
        ("synthetic-augmentation", {"n_ini": 600, "synthetic_fraction": 0.25}, (0, 200)),
    ],
)
def test_default_sizes_keep_the_training_set_where_the_paper_does(name, given, sizes):
    p = make_protocol(name, generations=3, **given)
    assert (p.n_real, p.n_synth) == sizes
    if name != "synthetic-augmentation":
        assert set(p.training_sizes()) == {p.n_ini} and p.size_warning() is None
    else:  # the fixed real set plus the synthetic ones, by design: no warning
        assert p.training_sizes()[1] == p.n_ini + p.n_synth and p.size_warning() is None


@pytest.mark.parametrize(
    "name,given,message",
    [
        ("fully-synthetic", {"synthetic_fraction": 0.5}, "synthetic samples only"),
        ("fresh-data", {"synthetic_fraction": 0.5, "n_synth": 10}, "not both"),
        ("fresh-data", {"synthetic_fraction": 1.5}, "in \\(0, 1\\)"),
        ("fresh-data", {"n_ini": 100}, "give n_synth too"),
    ],
)
def test_bad_sizes_are_refused(name, given, message):
    from madbench.errors import InputError

    with pytest.raises(InputError, match=message):
        make_protocol(name, **given)


def test_evaluate_warns_when_chosen_sizes_change_the_training_set(tmp_path, capsys):
    args = ["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--generations", "2"]
    args += ["--n-ini", "100", "--n-synth", "300", "--eval-n", "100", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "n_ini = 100" in err and "later generations on 300" in err
    accumulate = [*args[:-1], str(tmp_path / "a"), "--n-synth", "100", "--source", "accumulate"]
    assert main(accumulate) == 0 and capsys.readouterr().err == ""  # growth is the design
