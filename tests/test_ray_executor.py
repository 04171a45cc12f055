"""The Ray executor: a suite's runs as Ray tasks on a local Ray instance, a worker killed
mid-run and its run resumed by Ray's retry, and the leaderboard the local executor builds."""

import os
import sys
import textwrap

import pytest

from madbench.cli import main
from madbench.leaderboard.publish import read_csv

ray = pytest.importorskip("ray")

#: An adapter whose process kills itself (SIGKILL, as the OOM killer or a lost node would) at
#: its second sample(), once in the whole test: the marker file makes the kill happen once.
VICTIM = """
import os, signal
from madbench.generators.gaussian import GaussianGenerator

class Victim(GaussianGenerator):
    samples = 0

    def sample(self, n, *, bias=1.0, seed=0):
        Victim.samples += 1
        marker = os.environ.get("MADBENCH_TEST_KILL_MARKER")
        if marker and Victim.samples == 2:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return super().sample(n, bias=bias, seed=seed)
"""


@pytest.mark.slow
def test_a_killed_worker_is_resumed_and_the_leaderboard_is_the_local_one(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "victim_adapter.py").write_text(textwrap.dedent(VICTIM))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    suite = tmp_path / "mini.yaml"
    suite.write_text(
        "name: mini\nexperiments:\n"
        "  - {name: v, model: 'victim_adapter:Victim', data: gaussian-2,\n"
        "     protocol: fully-synthetic,\n"
        "     params: {generations: 3, n_ini: 60, n_synth: 60, eval_n: 60},\n"
        "     vary: {bias: [1.0, 0.5]}, seeds: [0, 1]}\n"
    )
    args = ["reproduce", str(suite)]
    assert main([*args, "--runs", str(tmp_path / "local"), "--out", str(tmp_path / "lb-l")]) == 0

    marker = tmp_path / "killed"
    monkeypatch.setenv("MADBENCH_TEST_KILL_MARKER", str(marker))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # the local 2-CPU instance
    try:
        capsys.readouterr()
        ray_args = [*args, "--runs", str(tmp_path / "ray"), "--executor", "ray"]
        assert main([*ray_args, "--out", str(tmp_path / "lb-r")]) == 0
    finally:
        ray.shutdown()
    assert marker.exists()  # a worker was killed mid-run
    out = capsys.readouterr().out
    assert "its worker was lost; resuming the run in a new task" in out
    assert "runs: 4 done, 0 running, 0 queued, 0 failed" in out
    local, on_ray = (read_csv(tmp_path / k / "leaderboard.csv") for k in ("lb-l", "lb-r"))
    assert [{**r, "run_dirs": ""} for r in local] == [{**r, "run_dirs": ""} for r in on_ray]

    assert main([*ray_args, "--out", str(tmp_path / "lb-r")]) == 0  # again: all kept, no Ray
    assert "4 of 4 runs complete, kept" in capsys.readouterr().out


def test_ray_options_need_the_ray_executor(tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\nexperiments:\n  - {model: gaussian, data: gaussian-2, protocol: fresh-data}\n"
    )
    assert main(["reproduce", str(suite), "--gpus-per-run", "1"]) == 2
    assert "--gpus-per-run need --executor ray" in capsys.readouterr().err
    assert main(["reproduce", str(suite), "--executor", "ray", "--shard", "1/2"]) == 2
    assert "no --shard or --build-only" in capsys.readouterr().err
    assert main(["reproduce", str(suite), "--executor", "ray", "--cpus-per-run", "0"]) == 2
    assert "--cpus-per-run must be > 0" in capsys.readouterr().err


def test_an_unreachable_cluster_or_no_ray_is_one_line(tmp_path, capsys, monkeypatch):
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\nexperiments:\n  - {model: gaussian, data: gaussian-2, protocol: fresh-data,\n"
        "     params: {generations: 1, n_ini: 300, eval_n: 60}}\n"
    )
    runs = ["reproduce", str(suite), "--runs", str(tmp_path / "runs"), "--executor", "ray"]
    assert main([*runs, "--address", "127.0.0.1:1"]) == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in capsys.readouterr().err
    assert main([*runs, "--address", "nowhere"]) == 2
    assert "--address takes HOST:PORT" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(runs) == 2
    assert 'pip install "madbench[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # nothing was written
