"""Shared helpers for the performance benchmarks (run with ``pytest benchmarks/``).

Each benchmark module times madbench and its peer in the same run; the ``test_ratio_*`` test at
the end of a module reads those timings, prints the ratio and checks the target. Timings are
kept in ``TIMINGS`` (seconds, the best of the rounds).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def values():
    """What a module's benchmarks computed, by name, for its last test to compare."""
    return {}


@pytest.fixture
def timed(benchmark):
    """Run ``fn`` under pytest-benchmark (``rounds`` rounds); record its best time as ``name``.

    The best of the rounds is the figure least disturbed by other work on the machine; the
    table pytest-benchmark prints also shows the mean.
    """

    def run(name, fn, *args, rounds=1, **kwargs):
        result = benchmark.pedantic(fn, args=args, kwargs=kwargs, rounds=rounds, iterations=1)
        TIMINGS[name] = benchmark.stats.stats.min
        return result

    return run


def gaussian_pair(n: int, m: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """The benchmarks' float32 feature sets (seed 0): ``n`` standard normal real rows and ``m``
    fake rows from N(0.02, 1.05^2), in d dimensions."""
    rng = np.random.default_rng(0)
    real = rng.standard_normal((n, d), dtype=np.float32)
    fake = (1.05 * rng.standard_normal((m, d)) + 0.02).astype(np.float32)
    return real, fake


def timing(name):
    if name not in TIMINGS:
        pytest.skip(f"{name} was not timed in this run (run the whole module)")
    return TIMINGS[name]


def report(line: str) -> None:
    """Print a result line even under pytest's output capture."""
    sys.__stdout__.write(f"\n[madbench benchmark] {line}\n")
    sys.__stdout__.flush()


def peak_memory_above_inputs(setup: str, work: str, timeout: int = 3600) -> dict:
    """Run ``setup`` then ``work`` in a fresh Python; return RSS after setup and peak above it.

    Peak RSS is read from /proc/self/status (VmHWM) after resetting it with
    /proc/self/clear_refs once the inputs exist, so the figure is what ``work`` adds, in bytes.
    """
    script = textwrap.dedent(
        """
        import json, re, time
        def rss(field):
            text = open("/proc/self/status").read()
            return int(re.search(field + r":\\s+(\\d+) kB", text).group(1)) * 1024
        {setup}
        base = rss("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        t0 = time.perf_counter()
        {work}
        seconds = time.perf_counter() - t0
        print(json.dumps({{"inputs_rss": base, "peak_above_inputs": rss("VmHWM") - base,
                          "seconds": seconds}}))
        """
    ).format(setup=setup, work=work)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])
