"""On a GPU: a ddpm loop repeats bit for bit, and what torch's deterministic mode costs.

Skipped without CUDA. The loop engine runs every generation inside
:func:`madbench.runs.threads.pinned_threads`, which turns on torch's deterministic algorithms
(cuDNN and cuBLAS included, warn-only for the few operations without a deterministic kernel).
This module runs a 2-generation fully synthetic loop of the ``tiny`` ddpm on digits twice on
the GPU and checks that the metric cells and the kept samples are identical, then times the
ddpm's training and sampling with the deterministic settings and without them.
"""

import csv
import time

import numpy as np
import pytest
import torch
from conftest import report

from madbench.adapters import build_adapter
from madbench.data.datasets import get_dataset
from madbench.loops.config import RunConfig
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir
from madbench.runs.threads import pinned_threads

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
TIMING = {"fit_seconds", "sample_seconds", "metric_seconds"}


def loop(path):
    protocol = make_protocol("fully-synthetic", generations=2, n_ini=1000)
    config = RunConfig("ddpm", {"device": "cuda"}, "digits", protocol)
    Loop(config, RunDir(path), echo=lambda line: None).start()
    with open(path / "results.csv", newline="") as handle:
        return [{k: v for k, v in r.items() if k not in TIMING} for r in csv.DictReader(handle)]


def test_ddpm_loop_on_cuda_repeats_bit_for_bit(tmp_path):
    first, second = loop(tmp_path / "a"), loop(tmp_path / "b")
    assert first == second
    for t in (1, 2):
        for name in ("samples", "eval_samples"):
            a, b = (np.load(tmp_path / r / f"gen-{t:03d}" / f"{name}.npy") for r in "ab")
            assert np.array_equal(a, b)
    report(
        f"ddpm tiny on {torch.cuda.get_device_name(0)}: 2 generations twice, identical rows "
        f"and samples (generation 2 FID {float(first[2]['fid']):.4g})"
    )


def _fit_and_sample(deterministic: bool) -> tuple[float, float]:
    split = get_dataset("digits").split("train", n=1000, seed=0)
    model = build_adapter("ddpm", {"device": "cuda"})
    labels = np.arange(2000) % 10
    if deterministic:
        with pinned_threads():
            return _timed(model, split, labels)
    return _timed(model, split, labels)


def _timed(model, split, labels):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.fit(split.x, seed=0, labels=split.y)
    torch.cuda.synchronize()
    t1 = time.perf_counter()
    model.sample(2000, bias=0.5, seed=1, labels=labels)
    torch.cuda.synchronize()
    return t1 - t0, time.perf_counter() - t1


def test_cost_of_deterministic_mode_on_cuda():
    _fit_and_sample(False)  # warm-up: CUDA context, kernels
    free = _fit_and_sample(False)
    pinned = _fit_and_sample(True)
    report(
        f"ddpm tiny fit (400 steps) / sample 2000 at lambda 0.5 on "
        f"{torch.cuda.get_device_name(0)}: {free[0]:.2f} s / {free[1]:.2f} s free, "
        f"{pinned[0]:.2f} s / {pinned[1]:.2f} s deterministic "
        f"({pinned[0] / free[0]:.2f}x, {pinned[1] / free[1]:.2f}x)"
    )
