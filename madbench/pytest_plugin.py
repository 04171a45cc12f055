"""madbench's pytest plugin (entry point ``pytest11``): a test that takes ``madbench_vector``
runs once per case of the reference battery (:mod:`madbench.checks.battery`)::

    def test_my_precision(madbench_vector):
        if madbench_vector.metric == "precision" and madbench_vector.rule in ("<=", ""):
            madbench_vector.check(my_precision)   # fails with expected, got and the known bug

``pytest --madbench-vectors DIR`` takes the cases from files ``madbench vectors export DIR``
wrote (each verified by its sha256) instead of building them. Nothing is imported from
madbench until a test asks for the fixture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--madbench-vectors",
        default=None,
        help="folder written by madbench vectors export (default: build the battery in memory)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "madbench_vector" not in metafunc.fixturenames:
        return
    from madbench.checks.vectors import Vector, load

    folder = metafunc.config.getoption("--madbench-vectors")
    vectors = load(folder) if folder else Vector.built()
    metafunc.parametrize("madbench_vector", vectors, ids=[v.id for v in vectors])
