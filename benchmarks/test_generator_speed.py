"""Training + sampling time of one loop generation for each reference generator.

CPU, ``tiny`` presets: each model is fitted on 1000 real samples (digits 8x8 for the image
models, gmm-25 for the vector ones) and draws 2000 samples, the n_synth + eval_n of a default
generation, at lambda = 1 and at lambda = 0.5. There is no peer implementation to race, so the
ratios reported are madbench's own: classifier-free guidance's cost (two U-Net passes per step)
and DDIM's speed-up over the T ancestral steps.

GPU (skipped without CUDA), ``paper`` presets on fashion-mnist 28x28: the training rate over 200
steps and the sampling rate over 500 images, and from them the time of one paper-size generation
(the preset's steps, 60000 samples), reported as a projection.
"""

import copy
import time

import numpy as np
import pytest
import torch
from conftest import report, timing

from madbench.adapters import build_adapter
from madbench.data.datasets import get_dataset

N_TRAIN, N_SAMPLES = 1000, 2000
MODELS = {  # model -> data set of its tiny benchmark
    "gaussian": "gmm-25",
    "gmm": "gmm-25",
    "kde": "gmm-25",
    "flow": "gmm-25",
    "wgan": "digits",
    "ddpm": "digits",
}
SAMPLING: dict[str, float] = {}  # "<model>_sample_<lambda>" -> seconds for N_SAMPLES


def fit(model, split):
    kwargs = {"labels": split.y} if getattr(model, "conditional", False) else {}
    return model.fit(split.x, seed=0, **kwargs)


@pytest.mark.parametrize("name", MODELS)
def test_tiny_generation_on_cpu(timed, name):
    split = get_dataset(MODELS[name]).split("train", n=N_TRAIN, seed=0)
    model = build_adapter(name, {"device": "cpu"} if name in ("flow", "wgan", "ddpm") else {})
    timed(f"{name}_fit", fit, model, split)
    for bias in (1.0, 0.5):
        t0 = time.perf_counter()
        model.sample(N_SAMPLES, bias=bias, seed=1)
        SAMPLING[f"{name}_sample_{bias}"] = time.perf_counter() - t0
    if name == "ddpm":
        ddim = copy.copy(model)
        ddim.settings = {**model.settings, "sampler": "ddim"}
        t0 = time.perf_counter()
        ddim.sample(N_SAMPLES, bias=1.0, seed=1)
        SAMPLING["ddpm_ddim_sample_1.0"] = time.perf_counter() - t0


def test_report_tiny():
    lines = []
    for name in MODELS:
        fit_s = timing(f"{name}_fit")
        one, half = SAMPLING[f"{name}_sample_1.0"], SAMPLING[f"{name}_sample_0.5"]
        lines.append(
            f"{name:8s} ({MODELS[name]}): fit {fit_s:7.3f} s, sample {N_SAMPLES} "
            f"{one:7.3f} s (lambda 1) / {half:7.3f} s (lambda 0.5); "
            f"generation {fit_s + one:7.3f} s"
        )
    ddim = SAMPLING["ddpm_ddim_sample_1.0"]
    plain, guided = SAMPLING["ddpm_sample_1.0"], SAMPLING["ddpm_sample_0.5"]
    lines.append(
        f"ddpm: guidance costs {guided / plain:.2f}x the unguided sampling; "
        f"DDIM (20 steps) samples {plain / ddim:.2f}x faster than T = 50 ancestral steps"
    )
    report("tiny presets, CPU, one generation:\n  " + "\n  ".join(lines))
    assert guided > plain > ddim


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["wgan", "ddpm"])
def test_paper_generation_on_gpu(name):
    split = get_dataset("fashion-mnist").split("train", n=10_000, seed=0)
    probe_steps, probe_images = 200, 500
    model = build_adapter(name, {"preset": "paper", "device": "cuda", "steps": probe_steps})
    fit(model, split)  # warm-up: kernels, allocator
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fit(model, split)
    torch.cuda.synchronize()
    per_step = (time.perf_counter() - t0) / probe_steps
    t0 = time.perf_counter()
    model.sample(probe_images, bias=0.5, seed=1)
    torch.cuda.synchronize()
    per_image = (time.perf_counter() - t0) / probe_images
    full_steps = build_adapter(name, {"preset": "paper"}).settings["steps"]
    projected = full_steps * per_step + 60_000 * per_image
    report(
        f"{name} paper preset on {torch.cuda.get_device_name()}, fashion-mnist 28x28: "
        f"{1 / per_step:.1f} training steps/s, {1 / per_image:.1f} images/s at lambda 0.5; "
        f"one generation ({full_steps} steps, 60000 samples) ~ {projected / 60:.1f} min"
    )
    assert np.isfinite(projected)
