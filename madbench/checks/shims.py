"""The function ``madbench check-metric SPEC`` checks: ``package.module:function`` (a module
importable from the current folder, as ``python -m`` would find it), or a shim file,
``path/to/shim.py:function`` or ``path/to/shim.py`` (then the function named as the metric:
``precision``, ``fid``...). A shim file is a few lines that adapt a project's own metric to
the battery's signature (real first, generated second, numpy arrays; k-NN metrics take
``k``); its folder is importable while it loads, so it may import the project beside it.
SPEC names code the user chose to run: it is imported, as ``python shim.py`` would run it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path

from madbench.errors import MadbenchError


def metric_function(spec: str, metric: str) -> Callable:
    """The callable ``spec`` names (module docstring) for ``metric``."""
    from madbench.adapters import lookup

    location, _, name = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if location.endswith(".py") or spec.endswith(".py"):
        function = getattr(_load_shim(Path(location or spec)), name or metric, None)
        if function is None:
            raise MadbenchError(
                f"{location or spec} defines no {name or metric!r}; name the function as "
                "SHIM.py:FUNCTION"
            )
    else:
        if os.getcwd() not in sys.path:  # a module of the folder it is run in, as python -m
            sys.path.insert(0, os.getcwd())
        function = lookup(spec, what="metric function", error=MadbenchError)
    if not callable(function):
        raise MadbenchError(f"{spec} names a {type(function).__name__}, not a function")
    return function


def _load_shim(path: Path):
    """The module of the shim file ``path``, loaded under a name of its own."""
    if not path.is_file():
        raise MadbenchError(f"shim file {path} does not exist")
    name = "madbench_shim_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    loader = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        loader.loader.exec_module(module)
    except Exception as exc:  # a syntax error, a failing import: the shim's, said in one line
        raise MadbenchError(f"shim file {path} failed to load: {exc!r}") from None
    finally:
        sys.path.remove(folder)
    return module
