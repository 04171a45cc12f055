"""What pinning the thread pools costs: the same loops with --threads 1 (the default) and with
as many threads as the machine has cores.

Runs are thread-independent because every numeric thread pool is pinned to the run's
``threads`` (madbench.runs.threads); the default, 1, gives the same bits on any machine with
the same software, whatever its core count. Before pinning, a loop used every core. This module
times README's main command and one run of each small-suite experiment both ways, in the same
process, and reports the ratio (pinned time / all-cores time).
"""

import os
import time

import pytest
from conftest import report

from madbench.loops.config import RunConfig
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir
from madbench.suites import load_suite

CORES = os.cpu_count() or 1
SMALL = {run.name.rsplit("-seed", 1)[0]: run.config for run in load_suite("small").runs}
CASES = {
    "README main command": RunConfig(
        "gmm", {}, "digits", make_protocol("fully-synthetic", generations=5)
    ),
    "small: gaussian-100 fresh data": SMALL["gaussian-fresh-data-n_ini1000-bias1"],
    "small: digits gmm": SMALL["digits-protocols-fully-synthetic-bias1"],
    "small: fashion-mnist gaussian": SMALL["fashion-mnist-protocols-fully-synthetic-bias1"],
    "small: gmm-25": SMALL["gmm-25-mode-loss"],
}


def seconds(config: RunConfig, threads: int, path) -> float:
    pinned = RunConfig(
        config.model,
        config.model_args,
        config.data,
        config.protocol,
        threads=threads,
        scoring=config.scoring,
    )
    t0 = time.perf_counter()
    Loop(pinned, RunDir(path), echo=lambda line: None).start()
    return time.perf_counter() - t0


@pytest.mark.skipif(CORES < 2, reason="one core: nothing to compare")
@pytest.mark.parametrize("name", list(CASES))
def test_pinned_against_all_cores(name, tmp_path):
    config = CASES[name]
    one = seconds(config, 1, tmp_path / "one")
    many = seconds(config, CORES, tmp_path / "many")
    report(f"{name}: 1 thread {one:.1f} s, {CORES} threads {many:.1f} s, ratio {one / many:.2f}")
