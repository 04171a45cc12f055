"""Runs that reproduce: thread-independent, re-scorable from kept samples, paired protocols."""

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from prdc import compute_prdc

from madbench.checks.references import fid_reference
from madbench.cli import main
from madbench.data.datasets import get_dataset
from madbench.features.lenet import lenet_for
from madbench.loops.config import RunConfig, ScoringSettings
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.loops.realdata import RealData
from madbench.loops.rescore import differences, rescore
from madbench.runs.rundir import RunDir

FASHION = pytest.param(
    "fashion-mnist", marks=[pytest.mark.needs_fashion_mnist, pytest.mark.slow]
)  # as digits, larger

TIMING = {"fit_seconds", "sample_seconds", "metric_seconds"}
TESTS = Path(__file__).resolve().parent


def results(path):
    with open(Path(path) / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def metric_cells(path):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in results(path)]


def start(path, model, data, protocol="fully-synthetic", model_args=None, scoring=None, **params):
    config = RunConfig(
        model,
        model_args or {},
        data,
        make_protocol(protocol, **params),
        scoring=scoring or ScoringSettings(),
    )
    Loop(config, RunDir(path), echo=lambda line: None).start()
    return Path(path)


def tree_digest(path) -> str:
    digest = hashlib.sha256()
    for file in sorted(Path(path).rglob("*")):
        if file.is_file():
            digest.update(str(file.relative_to(path)).encode() + file.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow  # CI runs it in its own step: pytest -m slow
def test_thread_settings_do_not_change_results_or_samples(tmp_path):
    """The same run in two processes started with 1 and with 2 threads everywhere: identical
    metric cells and identical kept samples (gmm's k-means and EM, LeNet and FID are all
    thread-sensitive when left alone)."""
    args = ["evaluate", "--model", "gmm", "--data", "digits", "--generations", "2"]
    args += ["--n-ini", "600", "--seed", "1"]
    for threads in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(TESTS)}
        env.update(
            {v: threads for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        )
        subprocess.run(
            [sys.executable, "-m", "madbench.cli", *args, "--out", str(tmp_path / threads)],
            check=True,
            env=env,
            capture_output=True,
        )
    assert metric_cells(tmp_path / "1") == metric_cells(tmp_path / "2")
    for t in (1, 2):
        for name in ("samples", "eval_samples"):
            one, two = (np.load(tmp_path / n / f"gen-{t:03d}" / f"{name}.npy") for n in "12")
            assert np.array_equal(one, two)
    assert '"threads": 1' in (tmp_path / "1" / "config.json").read_text()
    assert '"deterministic_algorithms": true' in (tmp_path / "2" / "provenance.json").read_text()


SETTINGS = {"generations": 2, "n_ini": 200, "eval_n": 150}
SLOW = pytest.mark.slow  # the deep generators: 3 s each
GENERATORS = [
    pytest.param("gaussian", "gaussian-3", {}, id="gaussian"),
    pytest.param("gmm", "gmm-25", {"n_components": 5}, id="gmm"),
    pytest.param("kde", "gmm-25", {}, id="kde"),
    pytest.param("flow", "gmm-25", {"steps": 30}, id="flow"),
    pytest.param("wgan", "digits", {"steps": 10}, id="wgan", marks=SLOW),
    pytest.param(
        "ddpm", "digits", {"steps": 10, "T": 10, "sample_steps": 5}, id="ddpm", marks=SLOW
    ),
]


@pytest.mark.parametrize("model,data,model_args", GENERATORS)
def test_rescore_reproduces_every_reference_generator(tmp_path, model, data, model_args):
    run = start(tmp_path / "r", model, data, model_args=model_args, **SETTINGS)
    _, rows, same = rescore(run)
    assert same and len(rows) == 3
    assert differences(results(run), rows) == []


def test_a_metric_newer_than_the_runs_format_is_no_difference():
    """A run of format 9 has no mauve column: its re-score's MAUVE is new, not a mismatch;
    a recorded cell that changed still is."""
    recorded = [{"generation": "1", "fid": "0.5", "precision": "0.9"}]
    assert differences(recorded, [{"fid": 0.5, "precision": 0.9, "mauve": 0.7}]) == []
    changed = differences(recorded, [{"fid": 0.25, "precision": 0.9, "mauve": 0.7}])
    assert changed == ["generation 1: fid is '0.5' in results.csv; re-scored '0.25'"]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A gmm run on digits, scored with prdc's strict rule so prdc can be the reference."""
    path = tmp_path_factory.mktemp("digits") / "r"
    strict = ScoringSettings(strict=True)
    return start(path, "gmm", "digits", model_args={"n_components": 4}, scoring=strict, **SETTINGS)


def test_kept_samples_rescore_independently_with_prdc_and_scipy(digits_run):
    """From the kept files alone: prdc gives P/R/D/C and scipy's sqrtm FID what the run wrote."""
    config = RunConfig.from_dict(RunDir(digits_run).config())
    real = RealData(config, echo=lambda line: None)
    lenet = lenet_for(real.dataset)
    real_f = lenet(real.eval_real).astype(np.float64)
    for row in results(digits_run)[1:]:
        t = int(row["generation"])
        kept = np.load(digits_run / f"gen-{t:03d}" / "eval_samples.npy", allow_pickle=False)
        fake_f = lenet(kept).astype(np.float64)
        expected = compute_prdc(real_f, fake_f, nearest_k=5)
        for metric in ("precision", "recall", "density", "coverage"):
            assert float(row[metric]) == pytest.approx(expected[metric], abs=1e-12)
        assert float(row["fid"]) == pytest.approx(fid_reference(real_f, fake_f), rel=1e-6)


def test_rescore_cli_compares_writes_elsewhere_and_catches_edits(digits_run, tmp_path, capsys):
    before = tree_digest(digits_run)
    assert main(["rescore", str(digits_run)]) == 0
    assert "all 3 rows re-score" in capsys.readouterr().out
    assert main(["rescore", str(digits_run), "--k", "10"]) == 2
    assert "--out" in capsys.readouterr().err
    out = tmp_path / "k10.csv"
    assert main(["rescore", str(digits_run), "--k", "10", "--out", str(out)]) == 0
    new = list(csv.DictReader(out.open()))
    assert [r["k"] for r in new] == ["10"] * 3 and new[1]["recall"] != results(digits_run)[1][
        "recall"
    ]
    assert tree_digest(digits_run) == before  # the run is never written

    edited = tmp_path / "edited"
    subprocess.run(["cp", "-r", str(digits_run), str(edited)], check=True)
    kept = edited / "gen-002" / "eval_samples.npy"
    samples = np.load(kept)
    samples[:5] = 0.0
    np.save(kept, samples)
    assert main(["rescore", str(edited)]) == 2  # verification: refused before any scoring
    assert "gen-002/eval_samples.npy differs from the file generation 2 wrote" in (
        capsys.readouterr().err
    )
    # A forger who also rewrites the manifest passes verification; re-scoring still catches it.
    manifest = edited / "gen-002" / "manifest.json"
    entry = json.loads(manifest.read_text())
    entry["files"]["eval_samples.npy"] = hashlib.sha256(kept.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(entry))
    assert main(["rescore", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "generation 2: fid is" in out and "generation 1" not in out
    np.save(kept, samples[:-1])
    entry["files"]["eval_samples.npy"] = hashlib.sha256(kept.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(entry))
    assert main(["rescore", str(edited)]) == 2
    assert "expected (150, 8, 8)" in capsys.readouterr().err


def test_generation_one_is_the_same_under_every_protocol(tmp_path):
    """Common random numbers: same seed, model and n_ini give the same generation-1 model,
    samples and row under all three protocols, and fresh data draws after the shared rows."""
    params = {"generations": 2, "n_ini": 500, "eval_n": 150, "seed": 3}
    protocols = ("fully-synthetic", "synthetic-augmentation", "fresh-data")
    runs = [
        start(tmp_path / p, "gmm", "digits", p, {"n_components": 3}, **params) for p in protocols
    ]
    first = [metric_cells(run)[:2] for run in runs]
    varying = {"protocol", "protocol_hash", "n_train_synth", "n_train"}
    for rows in first[1:]:
        for mine, theirs in zip(rows, first[0], strict=True):
            assert {k: v for k, v in mine.items() if k not in varying} == {
                k: v for k, v in theirs.items() if k not in varying
            }
    for run in runs[1:]:  # (the training draws differ in size: fresh data draws n_ini - n_real)
        kept = (np.load(r / "gen-001" / "eval_samples.npy") for r in (run, runs[0]))
        assert np.array_equal(*kept)
    pools = [
        RealData(RunConfig("gmm", {}, "digits", make_protocol(p, **params)), lambda line: None)
        for p in ("fully-synthetic", "fresh-data")
    ]
    assert np.array_equal(pools[0].pool, pools[1].pool[:500])
    assert len(pools[1].pool) == 500 + 100  # generation 2's fresh rows follow


@pytest.mark.parametrize("data", ["digits", FASHION])
def test_noise_floor_kid_is_zero_within_its_spread(tmp_path, data):
    run = start(tmp_path / "r", "gaussian", data, generations=1, n_ini=200, eval_n=500)
    floor = results(run)[0]
    assert abs(float(floor["kid"])) < 3 * float(floor["kid_std"])
    assert float(floor["kid_scale"]) > 1  # LeNet features are scaled down before the kernel


def test_generated_sets_are_prefix_stable():
    dataset = get_dataset("gmm-25")
    short, long = dataset.train_pool(50, seed=4), dataset.train_pool(3000, seed=4)
    assert np.array_equal(short.x, long.x[:50]) and np.array_equal(short.y, long.y[:50])
