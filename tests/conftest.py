"""Fixtures shared by every test, and one marker per thing a machine may lack.

A test that needs Fashion-MNIST, the fortunes, Chromium, a GPU or a pretrained network's
published weights carries the marker for it (``needs_fashion_mnist``, ``needs_fortunes``,
``needs_chromium``, ``needs_gpu``, ``needs_weights("inception")``) and is skipped, with the
reason and how to install what is missing, on a machine without it. README's "What the full
suite needs" lists the same."""

import contextlib
import os
import shutil
from pathlib import Path

# Under pytest-xdist (README's `-n auto`), each worker computes on one thread: the workers fill
# the cores, and BLAS or torch threads on top of them would only contend. Set before numpy and
# torch load, since both read these variables once, at import.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

# Tests never download: Hugging Face libraries fail at once on what is not local (read once,
# at import).
for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402  (after the variables above)
import pytest  # noqa: E402

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FORTUNES = Path("/usr/share/games/fortunes")


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def _has_weights(network: str) -> bool:
    import os

    from madbench.features import weights
    from madbench.features.extractors import INCEPTION

    known = {"inception": INCEPTION}[network]
    return bool(os.environ.get(known.env)) or weights.local_copy(known) is not None


NEEDS = {
    "needs_fashion_mnist": (
        lambda: FASHION_MNIST.is_dir(),
        "needs Fashion-MNIST: sudo apt-get install dataset-fashion-mnist",
    ),
    "needs_fortunes": (
        lambda: FORTUNES.is_dir(),
        "needs Debian's fortunes: sudo apt-get install fortunes",
    ),
    "needs_chromium": (
        lambda: shutil.which("chromium") is not None,
        "needs headless Chromium: sudo apt-get install chromium",
    ),
    "needs_gpu": (_has_gpu, "needs a CUDA GPU"),
    "needs_weights": (
        _has_weights,
        "needs the published {0} weights: put them in madbench's cache (~/.cache/madbench) "
        "or name them in MADBENCH_{1}_WEIGHTS",
    ),
}


def pytest_runtest_setup(item):
    for marker in item.iter_markers():
        if marker.name not in NEEDS:
            continue
        available, reason = NEEDS[marker.name]
        if not available(*marker.args):
            pytest.skip(reason.format(*marker.args, *(a.upper() for a in marker.args)))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@contextlib.contextmanager
def _boards_without_plots():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("madbench.leaderboard.publish.all_plots", lambda groups, folder: [])
        yield


@pytest.fixture(scope="session")
def without_plots():
    """A context in which leaderboards are built without their plots (most of a small
    board's build time), for tests that read a board's tables only; tests/test_leaderboard.py
    tests the plots."""
    return _boards_without_plots


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's $MADBENCH_HOME."""
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path_factory.getbasetemp() / "madbench-home"))
