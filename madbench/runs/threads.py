"""Thread-independent computation: every thread pool pinned to a fixed size, and a record of it.

A self-consuming loop amplifies every rounding difference, and the thread count a process
starts with (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, torch's
settings) changes how BLAS kernels, scikit-learn's OpenMP loops and torch's convolutions split
their sums, hence their last bits: the same run gave generation-2 FID 5.9 with one thread and
6.6 with two before runs were pinned. :func:`pinned_threads` fixes the size of every pool
(OpenBLAS, OpenMP, torch's intra-op pool and MKL) for the block it wraps, and turns on torch's
deterministic algorithms (cuDNN and cuBLAS included), so the block computes the same bits
whatever the process started with. The loop engine runs every generation inside it with the
run's ``threads`` setting (default 1, recorded in ``config.json``), and
:func:`thread_report` records what the pools were, for ``provenance.json``.

On one machine that makes runs bit-for-bit repeatable; another CPU (other SIMD kernels) or
another BLAS may still move the last bits, which is why cross-machine checks are statistical
(``madbench leaderboard compare``).
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

#: Threads of the loop's numeric work unless a run asks for more (``--threads``).
DEFAULT_THREADS = 1
#: cuBLAS is deterministic only with a fixed workspace, set before CUDA starts (torch's docs).
CUBLAS_WORKSPACE = ":4096:8"


def _load_numeric_libraries() -> None:
    """Import the libraries whose thread pools matter, so that threadpoolctl sees them all."""
    import scipy.linalg  # noqa: F401  (its own OpenBLAS)
    import sklearn.cluster  # noqa: F401  (its own OpenMP runtime)
    import torch  # noqa: F401  (OpenMP, MKL)


@contextlib.contextmanager
def pinned_threads(threads: int = DEFAULT_THREADS) -> Iterator[None]:
    """Run the block with every numeric thread pool at ``threads`` and deterministic torch.

    Restores the previous pool sizes and torch settings afterwards, also on error. Sets
    ``CUBLAS_WORKSPACE_CONFIG`` for the process when it is unset (cuBLAS reads it once, when
    CUDA starts).
    """
    import torch
    from threadpoolctl import threadpool_limits

    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    _load_numeric_libraries()
    before = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.set_num_threads(threads)
    _deterministic(True, warn_only=True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before[0])
        _deterministic(before[1], warn_only=before[2])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[3:]


def _deterministic(mode: bool, warn_only: bool) -> None:
    """torch's deterministic-algorithms switch for eager operations.

    ``torch.use_deterministic_algorithms`` also sets torch.compile's (inductor's) flag, and
    importing inductor for it costs seconds at every start; madbench compiles nothing, so it
    calls the eager switch that function wraps, where this torch has it.
    """
    import torch

    switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if switch is None:
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    else:
        switch(mode, warn_only=warn_only)


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform module says."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def thread_report() -> dict:
    """The thread pools as they are now (call it inside :func:`pinned_threads`): BLAS and
    OpenMP libraries with versions and sizes, torch's settings, and the CPU."""
    import torch
    from threadpoolctl import threadpool_info

    _load_numeric_libraries()
    return {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "thread_pools": [
            {
                "api": info.get("internal_api"),
                "version": info.get("version"),
                "threads": info.get("num_threads"),
                "library": os.path.basename(info.get("filepath", "")),
            }
            for info in threadpool_info()
        ],
        "torch": {
            "threads": torch.get_num_threads(),
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "cudnn_deterministic": torch.backends.cudnn.deterministic,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        },
        "environment": {
            name: os.environ.get(name)
            for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        },
    }
