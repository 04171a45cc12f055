import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's $MADBENCH_HOME."""
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path_factory.getbasetemp() / "madbench-home"))
