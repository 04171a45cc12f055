"""``madbench metrics`` with every metric, whole process, against prdc's P/R/D/C alone, at
n = m = 10,000, d = 1024 float32 features, both as a user runs them: a fresh Python that
imports, loads the two .npy files and computes.

Target: madbench at least 2.5x faster. Inside madbench, P/R/D/C and KID come from one pass
(:mod:`madbench.metrics.fused`); the module also times that pass against the two apart and
checks that the numbers agree.
"""

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import gaussian_pair, report, timing

from madbench.metrics.fused import prdc_and_kid
from madbench.metrics.kid import kid
from madbench.metrics.knn import knn_metrics

N, D = 10_000, 1024
PRDC_SCRIPT = """
import sys, numpy as np
from prdc import compute_prdc
real, fake = np.load(sys.argv[1]), np.load(sys.argv[2])
print(compute_prdc(real, fake, nearest_k=5))
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    real, fake = gaussian_pair(N, N, D)
    folder = tmp_path_factory.mktemp("features")
    np.save(folder / "real.npy", real)
    np.save(folder / "fake.npy", fake)
    return str(folder / "real.npy"), str(folder / "fake.npy")


@pytest.fixture(scope="module")
def results():
    return {}


def run(command):
    subprocess.run(command, check=True, capture_output=True, text=True)


def test_madbench_metrics_whole_process(timed, files, results):
    command = ["madbench", "metrics", *files, "--json"]
    timed("madbench_metrics", run, command, rounds=3)
    results["madbench"] = json.loads(
        subprocess.run(command, check=True, capture_output=True, text=True).stdout
    )


def test_prdc_whole_process(timed, files):
    timed("prdc_process", run, [sys.executable, "-c", PRDC_SCRIPT, *files], rounds=2)


def test_one_pass_against_two(files, results):
    real, fake = np.load(files[0]), np.load(files[1])
    t0 = time.perf_counter()
    results["fused"] = prdc_and_kid(real, fake)
    t1 = time.perf_counter()
    results["apart"] = knn_metrics(real, fake), kid(real, fake)
    t2 = time.perf_counter()
    results["seconds"] = t1 - t0, t2 - t1


def test_ratio(results):
    ours, peer = timing("madbench_metrics"), timing("prdc_process")
    fused, apart = results["seconds"]
    report(
        f"all metrics, n=m={N}, d={D}, whole process: madbench metrics {ours:.2f} s, prdc "
        f"(P/R/D/C only) {peer:.2f} s: {peer / ours:.2f}x faster; P/R/D/C + KID in one pass "
        f"{fused:.2f} s, apart {apart:.2f} s"
    )
    (knn, k), (knn_apart, k_apart) = results["fused"], results["apart"]
    assert knn == knn_apart
    assert k.mean == pytest.approx(k_apart.mean, abs=1e-8)
    for key in ("precision", "recall", "density", "coverage", "kid"):
        assert results["madbench"][key] == pytest.approx(
            getattr(knn, key, None) if key != "kid" else k.mean, abs=1e-12
        )
    assert peer / ours >= 2.5
