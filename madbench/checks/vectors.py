"""``madbench vectors export DIR``: the reference battery (:mod:`madbench.checks.battery`) as
plain files any project's CI can load with numpy and json alone.

Layout: ``DIR/vectors.json`` holds ``version`` (:data:`VECTORS_VERSION`), the madbench
version, the signatures, and one entry per case: ``metric``, ``name``, ``description``,
``rule`` (the k-NN ball rule its expected value assumes; "" for FID and KID), ``kwargs``,
``expected`` (null: an error, or the value with ``same_as`` instead of ``kwargs``),
``tolerance`` and ``floor`` (pass when ``|got - expected| <= tolerance * max(|expected|,
floor)``), ``error_ok`` (an error passes too), ``bug`` (the historical bug a failure
matches), ``file`` and its ``sha256``. Each case's inputs are ``DIR/<file>``, an ``.npz``
with arrays ``real`` and ``fake`` (load with ``np.load(path, allow_pickle=False)``). The k-NN
cases come under both rules, ``<=`` and ``<``; choose yours by ``rule``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from madbench import __version__
from madbench.atomic import atomic_write_text
from madbench.checks import battery

#: Bumped whenever a case's inputs or expected value change meaning.
VECTORS_VERSION = 1


def _file_name(number: int, case: battery.Case, rule: str) -> str:
    """``003-precision-le-gaussians.npz``: numbered, since names alone can collide once
    punctuation is dropped (``scale 1e-30``, ``scale 1e+30``)."""
    tag = {"<=": "le", "<": "lt", "": ""}[rule]
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{case.metric}-{tag}-{case.name}").strip("-")
    return f"{number:03d}-{stem}.npz"


def entries(rule_cases: list[tuple[str, battery.Case]]) -> list[dict]:
    """The index entries of ``rule_cases`` (their files' sha256 still to add)."""
    out = []
    for number, (rule, case) in enumerate(rule_cases):
        out.append(
            {
                "metric": case.metric,
                "name": case.name,
                "description": case.description,
                "rule": rule,
                "kwargs": case.kwargs,
                "expected": case.expected,
                "tolerance": case.tolerance,
                "floor": case.floor,
                "error_ok": case.error_ok,
                "same_as": case.same_as,
                "bug": battery.BUGS.get(case.bug, ""),
                "file": _file_name(number, case, rule),
            }
        )
    return out


def all_cases() -> list[tuple[str, battery.Case]]:
    """(rule, case) for every case: the k-NN metrics under both rules."""
    found = [
        (rule, c) for rule in ("<=", "<") for m in battery.KNN for c in battery.knn_cases(m, rule)
    ]
    others = (*battery.fid_cases(), *battery.kid_cases(), *battery.cmmd_cases())
    return found + [("", c) for c in others]


def export(folder: str | os.PathLike) -> Path:
    """Write the battery into ``folder`` (created if need be; its files replaced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases = all_cases()
    listed = entries(cases)
    for entry, (_, case) in zip(listed, cases, strict=True):
        path = folder / entry["file"]
        np.savez(path, real=case.real, fake=case.fake)
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    index = {
        "version": VECTORS_VERSION,
        "madbench": __version__,
        "signatures": {
            "precision, recall, density, coverage": "f(real, fake, *, k) -> float",
            "fid": "f(real, fake) -> float",
            "kid": "f(real, fake, *, subset_size, n_subsets, seed) -> float (the mean)",
        },
        "cases": listed,
    }
    atomic_write_text(folder / "vectors.json", json.dumps(index, indent=1) + "\n")
    return folder / "vectors.json"


class Vector:
    """One case for :mod:`madbench.pytest_plugin`: its ``metric``, ``name``, ``rule`` and
    inputs; :meth:`check` runs a function on it and fails (AssertionError) as check-metric
    would, with the case, expected, got and the known bug a failure matches."""

    def __init__(self, rule: str, case: battery.Case):
        self.rule, self.case = rule, case
        self.metric, self.name = case.metric, case.name
        self.id = f"{case.metric}[{rule}]-{case.name}" if rule else f"{case.metric}-{case.name}"

    @classmethod
    def built(cls) -> list[Vector]:
        return [cls(rule, case) for rule, case in all_cases()]

    def check(self, function: Callable) -> None:
        outcome = battery.run_case(function, self.case)
        if not outcome.ok:
            bug = f"; a failure here matches {battery.BUGS[self.case.bug]}" if self.case.bug else ""
            raise AssertionError(f"{outcome.line()}{bug}")


def load(folder: str | os.PathLike) -> list[Vector]:
    """The cases ``export`` wrote in ``folder``, every file checked against its sha256."""
    from madbench.errors import DataFileError

    folder = Path(folder)
    index = json.loads((folder / "vectors.json").read_text())
    if index.get("version") != VECTORS_VERSION:
        raise DataFileError(
            f"{folder}/vectors.json: version {index.get('version')!r}, this madbench reads "
            f"{VECTORS_VERSION}: export them again with this madbench"
        )
    bugs = {text: key for key, text in battery.BUGS.items()}
    out = []
    for entry in index["cases"]:
        path = folder / entry["file"]
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            raise DataFileError(f"{path}: its sha256 is not the one vectors.json records")
        with np.load(path, allow_pickle=False) as arrays:
            real, fake = arrays["real"], arrays["fake"]
        case = battery.Case(
            entry["metric"], entry["name"], entry["description"], real, fake, entry["kwargs"],
            entry["expected"], entry["tolerance"], bugs.get(entry["bug"], ""), entry["same_as"],
            entry["error_ok"], entry["floor"],
        )  # fmt: skip
        out.append(Vector(entry["rule"], case))
    return out
