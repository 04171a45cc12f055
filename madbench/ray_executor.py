"""Suites on Ray: every run of a suite as one Ray task, on a local Ray instance or a cluster.

``madbench reproduce SUITE --executor ray [--address ADDR]`` hands each incomplete run to
:func:`madbench.suites.run_one` in a Ray task; runs already complete are kept without a task.
A task starts its run, or resumes it from the last verified generation, so a task whose worker
dies (killed, out of memory, node lost) is simply run again by Ray (``max_retries`` times) and
picks up where the dead one stopped; the run directory's lock keeps two tasks off one run.
Every run is seeded and pins its thread pools, so the results are the local executor's, bit for
bit; the leaderboard is built by the caller once every run is complete.

On a cluster every node must see the runs folder at the same path (a shared file system), and
the data sets under the same ``MADBENCH_HOME``, which the tasks inherit from the driver when it
is set. Ray is an extra: ``pip install "madbench[ray]"``.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from madbench.errors import InputError, MadbenchError, one_line
from madbench.loops.config import RunConfig
from madbench.runs.lock import locked
from madbench.suites import PlannedRun, check_up_front, missing_runs, run_one
from madbench.types import Echo

#: Seconds between progress checks of the driver.
POLL_S = 1.0
#: How often Ray runs a task again after its worker died (each time resuming the run).
MAX_RETRIES = 3


def _ray():
    try:
        import ray
    except ImportError:
        raise InputError(
            '--executor ray needs Ray: pip install "madbench[ray]" (or pip install ray)'
        ) from None
    return ray


def _run_task(name: str, config: dict, runs_dir: str, tracker) -> str:
    """One Ray task: tell the tracker it started (again, after a retry), then run the run.

    The tracker is told synchronously: a call still queued in a worker that is then killed
    would be lost, and the retry would go unreported."""
    _ray().get(tracker.started.remote(name))
    run_one(PlannedRun(name, RunConfig.from_dict(config)), Path(runs_dir))
    return name


class _Tracker:
    """Counts how often each run's task has started (a Ray actor, using no CPU)."""

    def __init__(self):
        self.starts: dict[str, int] = {}

    def started(self, name: str) -> None:
        self.starts[name] = self.starts.get(name, 0) + 1

    def snapshot(self) -> dict[str, int]:
        return dict(self.starts)


@dataclass(frozen=True)
class RayOptions:
    """Where and how the tasks run. ``address`` names an existing cluster (``ray://host:10001``,
    ``host:6379`` or ``auto``); without it a local Ray instance is started with ``init_args``
    (e.g. ``{"num_cpus": 2}``) and stopped at the end. Each task asks for ``cpus_per_run`` CPUs
    (default: its run's ``threads``) and ``gpus_per_run`` GPUs (fractions share one card)."""

    address: str | None = None
    cpus_per_run: float | None = None
    gpus_per_run: float = 0
    max_retries: int = MAX_RETRIES
    init_args: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.gpus_per_run < 0 or (self.cpus_per_run is not None and self.cpus_per_run <= 0):
            raise InputError("--cpus-per-run must be > 0 and --gpus-per-run >= 0")


def run_suite_on_ray(
    runs: list[PlannedRun], runs_dir: Path, echo: Echo = print, options: RayOptions = RayOptions()
) -> list[Path]:
    """Run every planned run that is not complete as a Ray task; return all run directories.

    Progress is one line whenever the counts of runs done / running / queued / failed change.
    Runs that fail are named as they fail, and the call raises once every other run has
    finished; running it again keeps the complete runs and resumes the others.
    """
    ray = _ray()
    check_up_front(runs)
    if options.address not in (None, "auto", "local"):
        _check_reachable(options.address)
    runs_dir = Path(runs_dir).resolve()
    with locked(runs_dir, create=True):
        todo = set(missing_runs(runs, runs_dir))
        if len(todo) < len(runs):
            echo(f"{len(runs) - len(todo)} of {len(runs)} runs complete, kept")
        if todo:
            with _ray_session(ray, options):
                _submit_and_wait(ray, [p for p in runs if p.name in todo], runs_dir, echo, options)
    return [runs_dir / planned.name for planned in runs]


@contextlib.contextmanager
def _ray_session(ray, options: RayOptions):
    """Connect to Ray for the block; one started here is stopped at its end."""
    if ray.is_initialized():  # a notebook's session: use it, leave it running
        yield
        return
    home = os.environ.get("MADBENCH_HOME")
    try:
        ray.init(
            address=options.address,
            runtime_env={"env_vars": {"MADBENCH_HOME": home}} if home else None,
            log_to_driver=False,
            include_dashboard=False,
            **options.init_args,
        )
    except Exception as exc:  # Ray's own errors: no cluster there, a version mismatch, ...
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        raise InputError(f"cannot start or reach {where}: {one_line(exc)}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse an address where nothing listens, in one line: Ray itself would wait minutes."""
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except ValueError:
        raise InputError(f"--address takes HOST:PORT or ray://HOST:PORT, got {address!r}") from None
    except OSError as exc:
        raise InputError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start one with "
            "`ray start --head` there, or check --address"
        ) from None


def _submit_and_wait(ray, runs, runs_dir: Path, echo, options: RayOptions) -> None:
    tracker = ray.remote(num_cpus=0)(_Tracker).remote()
    task = ray.remote(_run_task)
    pending = {}
    for planned in runs:
        ref = task.options(
            num_cpus=options.cpus_per_run or planned.config.threads,
            num_gpus=options.gpus_per_run,
            max_retries=options.max_retries,
        ).remote(planned.name, planned.config.as_dict(), str(runs_dir), tracker)
        pending[ref] = planned.name
    done, failed, retried, last = 0, {}, set(), None
    while pending:
        finished, _ = ray.wait(list(pending), num_returns=len(pending), timeout=POLL_S)
        for ref in finished:
            name = pending.pop(ref)
            try:
                ray.get(ref)
                done += 1
            except ray.exceptions.WorkerCrashedError:
                failed[name] = f"its worker died {options.max_retries + 1} times"
                echo(f"{name}: failed: {failed[name]}")
            except Exception as exc:  # the run's own error, as Ray wraps it
                failed[name] = _cause(exc)
                echo(f"{name}: failed: {failed[name]}")
        starts = ray.get(tracker.snapshot.remote())
        for name in sorted(n for n, count in starts.items() if count > 1 and n not in retried):
            retried.add(name)
            echo(f"{name}: its worker was lost; resuming the run in a new task")
        running = sum(1 for name in pending.values() if name in starts)
        counts = (done, running, len(pending) - running, len(failed))
        if counts != last:
            echo("runs: {} done, {} running, {} queued, {} failed".format(*counts))
            last = counts
    if failed:
        raise MadbenchError(
            f"{len(failed)} of {len(runs)} runs failed (e.g. {', '.join(sorted(failed)[:3])}; "
            "errors above); fix them and run the command again: complete runs are kept, the "
            "others resumed"
        )


def _cause(exc: BaseException) -> str:
    """The one-line reason a task failed: the run's own error, not Ray's wrapping of it."""
    cause = getattr(exc, "cause", None)
    return one_line(cause if isinstance(cause, BaseException) else exc)
