"""madbench's prepared GPU check: run by ``benchmarks/gpu/run.sh`` on a machine with one NVIDIA GPU.

It installs nothing (madbench and its dependencies must be installed: ``pip install -e .``),
reads no data set (features and images are seeded random arrays of the right shapes) and
finishes in a few minutes. It reports, and writes to ``$OUT/gpu-check.json`` when ``OUT`` is
set:

1. exact P/R/D/C at n = m = 50,000, d = 2048 on the GPU (target: under 2 s), and P/R/D/C + KID
   from one pass there;
2. the same metrics on the CPU and on the GPU at n = m = 10,000, d = 512: equal, to the bit;
3. FAISS's flat index on the GPU against the torch back end (equal metrics) and the FAISS CPU
   index's time at the same size (skipped, and said so, where faiss is not installed);
4. FID and KID at 50,000 samples (KID on the GPU from the one pass, against the float64 KID on
   the CPU);
5. the ``paper`` presets of ``wgan`` and ``ddpm`` on 28 x 28 images: training steps per second,
   images per second at lambda = 0.5, and the projected time of one generation (the preset's
   steps, then 60,000 samples).

Each section's figures are written as soon as it ends, so that a run cut short keeps them.
Exit status 1 when a result that must equal the CPU's does not, 2 when no GPU is seen.
``--smoke`` runs every section at toy sizes on whatever device is there (CPU included): the
test suite runs it so that this script cannot rot unnoticed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from madbench.adapters import build_adapter
from madbench.metrics.frechet import fid_from_features
from madbench.metrics.fused import prdc_and_kid
from madbench.metrics.kid import kid
from madbench.metrics.knn import knn_metrics
from madbench.metrics.neighbours import FaissBackend

FULL = {"n": 50_000, "d": 2048, "equal_n": 10_000, "equal_d": 512, "faiss_n": 20_000}
SMOKE = {"n": 600, "d": 16, "equal_n": 500, "equal_d": 8, "faiss_n": 400}
KEYS = ("precision", "recall", "density", "coverage")


def features(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    real = np.maximum(rng.standard_normal((n, d), dtype=np.float32) + 0.3, 0)
    fake = np.maximum(1.05 * rng.standard_normal((n, d), dtype=np.float32) + 0.32, 0)
    return real, fake


def synced(fn, *args, **kwargs):
    """``fn(...)`` and its wall time in seconds, the GPU's queue drained on both sides."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def knn_on_gpu(size, device, report):
    real, fake = features(size["n"], size["d"], 0)
    knn_metrics(real[:2000], fake[:2000], device=device)  # warm-up: kernels, allocator
    got, seconds = synced(knn_metrics, real, fake, device=device)
    (_, both), fused_seconds = synced(prdc_and_kid, real, fake, device=device)
    report(
        "exact_prdc",
        {"n": size["n"], "d": size["d"], "seconds": seconds, "target_seconds": 2.0},
        f"exact P/R/D/C, n=m={size['n']}, d={size['d']}: {seconds:.2f} s (target < 2 s); "
        f"with KID in one pass {fused_seconds:.2f} s; "
        + ", ".join(f"{k} {getattr(got, k):.4f}" for k in KEYS),
    )
    return {"kid_gpu": both}


def cpu_equals_gpu(size, device, report):
    real, fake = features(size["equal_n"], size["equal_d"], 1)
    on_cpu, cpu_seconds = synced(knn_metrics, real, fake, device="cpu")
    on_gpu, gpu_seconds = synced(knn_metrics, real, fake, device=device)
    equal = all(getattr(on_cpu, k) == getattr(on_gpu, k) for k in KEYS)
    report(
        "cpu_equals_gpu",
        {"equal": equal, "cpu_seconds": cpu_seconds, "gpu_seconds": gpu_seconds},
        f"P/R/D/C at n=m={size['equal_n']}, d={size['equal_d']}: CPU {cpu_seconds:.2f} s, "
        f"GPU {gpu_seconds:.2f} s, equal to the bit: {equal}",
    )
    return equal


def faiss_against_torch(size, device, report):
    try:
        import faiss  # noqa: F401
    except ImportError:
        report("faiss", {"skipped": "faiss is not installed"}, "FAISS: not installed, skipped")
        return True
    real, fake = features(size["faiss_n"], size["d"], 2)
    torch_result, torch_seconds = synced(knn_metrics, real, fake, device=device)
    faiss_result, faiss_seconds = synced(knn_metrics, real, fake, backend="faiss")
    equal = all(getattr(torch_result, k) == getattr(faiss_result, k) for k in KEYS)
    cpu_index = FaissBackend("flat")
    cpu_index.use_gpu = False
    base = cpu_index.prepare(real)
    _, cpu_search = synced(cpu_index.search, base, base, 22)
    report(
        "faiss",
        {
            "backend": faiss_result.backend,
            "equal_to_torch": equal,
            "faiss_seconds": faiss_seconds,
            "torch_seconds": torch_seconds,
            "faiss_cpu_self_search_seconds": cpu_search,
        },
        f"P/R/D/C at n=m={size['faiss_n']}, d={size['d']}: {faiss_result.backend} "
        f"{faiss_seconds:.2f} s, torch on {device} {torch_seconds:.2f} s, equal: {equal}; "
        f"FAISS CPU flat self-search of the real set {cpu_search:.2f} s",
    )
    return equal


def fid_and_kid(size, device, report, kid_gpu):
    real, fake = features(size["n"], size["d"], 0)
    fid, fid_seconds = synced(fid_from_features, real, fake)
    on_cpu, kid_seconds = synced(kid, real, fake)
    close = abs(on_cpu.mean - kid_gpu.mean) <= 1e-6 * max(1.0, abs(on_cpu.mean))
    report(
        "fid_kid",
        {
            "fid": fid,
            "fid_seconds": fid_seconds,
            "kid_cpu": on_cpu.mean,
            "kid_cpu_seconds": kid_seconds,
            "kid_gpu_one_pass": kid_gpu.mean,
            "kid_agrees": close,
        },
        f"n=m={size['n']}, d={size['d']}: FID {fid:.4f} in {fid_seconds:.2f} s (CPU, float64); "
        f"KID {on_cpu.mean:.6f} in {kid_seconds:.2f} s (CPU, float64), "
        f"{kid_gpu.mean:.6f} from the GPU's one pass: agree: {close}",
    )
    return close


def paper_presets(device, report, smoke: bool):
    rng = np.random.default_rng(3)
    images = rng.random((200 if smoke else 10_000, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, len(images))
    probe_steps, probe_images = (2, 2) if smoke else (200, 500)
    for name in ("wgan", "ddpm"):
        preset = "tiny" if smoke else "paper"
        model = build_adapter(name, {"preset": preset, "device": device, "steps": probe_steps})
        extra = {"labels": labels} if getattr(model, "conditional", False) else {}
        model.fit(images, seed=0, **extra)  # warm-up
        _, fit_seconds = synced(model.fit, images, seed=0, **extra)
        sample_extra = {"labels": labels[:probe_images]} if extra else {}
        _, sample_seconds = synced(model.sample, probe_images, bias=0.5, seed=1, **sample_extra)
        per_step, per_image = fit_seconds / probe_steps, sample_seconds / probe_images
        steps = build_adapter(name, {"preset": preset}).settings["steps"]
        projected = steps * per_step + 60_000 * per_image
        report(
            f"{name}_{preset}",
            {
                "steps_per_second": 1 / per_step,
                "images_per_second": 1 / per_image,
                "projected_generation_minutes": projected / 60,
            },
            f"{name} {preset} preset, 28x28: {1 / per_step:.1f} training steps/s, "
            f"{1 / per_image:.1f} images/s at lambda 0.5; one generation ({steps} steps, "
            f"60000 samples) ~ {projected / 60:.1f} min",
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="toy sizes, any device")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available() and not args.smoke:
        print("no CUDA GPU is visible to torch: nothing to check (see --smoke)")
        return 2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    size = SMOKE if args.smoke else FULL
    results = {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "smoke": args.smoke,
    }
    out = os.environ.get("OUT")

    def report(key, values, line):
        results[key] = values
        print(line, flush=True)
        if out:  # after every section: a run cut short keeps what it measured
            Path(out, "gpu-check.json").write_text(json.dumps(results, indent=2, default=float))

    print(f"madbench GPU check on {results['device']} (torch {torch.__version__})", flush=True)
    started = time.perf_counter()
    kid_gpu = knn_on_gpu(size, device, report)["kid_gpu"]
    ok = cpu_equals_gpu(size, device, report)
    ok = faiss_against_torch(size, device, report) and ok
    ok = fid_and_kid(size, device, report, kid_gpu) and ok
    paper_presets(device, report, args.smoke)
    results["seconds"] = time.perf_counter() - started
    report(
        "all_equal",
        ok,
        f"done in {results['seconds']:.0f} s; results that must equal the CPU's do: {ok}",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
