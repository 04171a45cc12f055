"""The prepared GPU check (benchmarks/gpu/check.py) runs end to end at toy sizes on the CPU, so
that it cannot rot between the sessions that have a GPU to run it on."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_smoke_run_reports_every_section(tmp_path):
    proc = subprocess.run(
        ["bash", str(ROOT / "benchmarks/gpu/run.sh"), "--smoke"],
        capture_output=True,
        text=True,
        env={"OUT": str(tmp_path), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "gpu-check.json").read_text())
    for key in ("exact_prdc", "cpu_equals_gpu", "faiss", "fid_kid", "wgan_tiny", "ddpm_tiny"):
        assert key in results, key
    assert results["all_equal"] and results["cpu_equals_gpu"]["equal"]
    assert results["faiss"]["equal_to_torch"] and results["fid_kid"]["kid_agrees"]


@pytest.mark.slow  # a subprocess that imports torch
def test_gpu_check_without_a_gpu_says_so():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/gpu/check.py")],
        capture_output=True,
        text=True,
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 2
    assert "no CUDA GPU is visible" in proc.stdout


def test_gpu_check_skips_faiss_where_it_is_not_installed(monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks/gpu/check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    reported = {}
    ok = check.faiss_against_torch(
        check.SMOKE, "cpu", lambda key, values, line: reported.update({key: (values, line)})
    )
    assert ok and reported["faiss"] == (
        {"skipped": "faiss is not installed"},
        "FAISS: not installed, skipped",
    )
