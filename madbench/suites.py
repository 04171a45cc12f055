"""Reproduction suites: YAML lists of experiments, run as loops, then built into a leaderboard.

A suite file (``benchmarks/suites/<name>.yaml``, or any path) holds ``name``, ``description``,
``experiments`` and optionally ``claims``; each experiment gives ``model``, optional
``model_args``, ``data``, ``protocol``, ``params`` (protocol fields), ``vary`` (field -> list
of values; any of ``data``, ``protocol`` or a protocol field), ``seeds`` and ``scoring``
(:class:`~madbench.loops.config.ScoringSettings` fields, e.g. ``{bootstrap: 0}``). It expands into
one run per combination of its ``vary`` values and seeds. The claims are the hypothesis tests
the suite's leaderboard must pass (:mod:`madbench.leaderboard.claims`).

``madbench reproduce SUITE`` runs every run into ``runs/<suite>/<run name>``: a complete run is
kept, an interrupted one is resumed, so the command itself can be re-run after any crash.
Then it builds ``leaderboards/<suite>`` from exactly those runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from madbench.errors import DataFileError, InputError
from madbench.leaderboard.claims import Claim
from madbench.loops.config import RunConfig, ScoringSettings
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir

SUITES_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "suites"
EXPERIMENT_KEYS = {
    "name",
    "model",
    "model_args",
    "data",
    "protocol",
    "params",
    "vary",
    "seeds",
    "scoring",
}


@dataclass(frozen=True)
class PlannedRun:
    name: str
    config: RunConfig


@dataclass(frozen=True)
class Suite:
    name: str
    runs: list[PlannedRun]
    claims: list[Claim]


def suite_path(suite: str) -> Path:
    """A suite's file: ``suite`` itself if it is a file, else ``benchmarks/suites/<suite>.yaml``."""
    path = Path(suite)
    if path.is_file():
        return path
    named = SUITES_DIR / f"{suite}.yaml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in SUITES_DIR.glob("*.yaml")) if SUITES_DIR.is_dir() else []
    raise InputError(f"unknown suite {suite!r}; known: {', '.join(known) or 'none'}, or a path")


def load_suite(suite: str) -> Suite:
    """The suite's name, runs and claims, every entry checked before anything runs."""
    path = suite_path(suite)
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("experiments"), list):
        raise InputError(f"{path}: a suite needs 'name' and a list of 'experiments'")
    runs = []
    for number, exp in enumerate(spec["experiments"], start=1):
        where = f"{path}, experiment {exp.get('name', number)}"
        unknown = set(exp) - EXPERIMENT_KEYS
        if unknown:
            raise InputError(f"{where}: unknown keys {sorted(unknown)}")
        try:
            scoring = ScoringSettings(**(exp.get("scoring") or {}))
        except (TypeError, InputError) as exc:  # TypeError: an unknown field
            raise InputError(f"{where}: scoring: {exc}") from None
        vary = exp.get("vary") or {}
        if not all(isinstance(v, list) and v for v in vary.values()):
            raise InputError(f"{where}: every 'vary' field needs a non-empty list of values")
        names, values = list(vary), [vary[k] for k in vary]
        for combo in itertools.product(*values):
            fields = {**(exp.get("params") or {}), "data": exp.get("data")}
            fields["protocol"] = exp.get("protocol")
            fields.update(zip(names, combo, strict=True))
            data, protocol = fields.pop("data"), fields.pop("protocol")
            if data is None or protocol is None or "model" not in exp:
                raise InputError(f"{where}: needs model, data and protocol")
            for seed in exp.get("seeds") or [0]:
                try:
                    proto = make_protocol(protocol, **fields, seed=seed)
                except (TypeError, InputError) as exc:  # TypeError: an unknown field
                    raise InputError(f"{where}: {exc}") from None
                model_args = exp.get("model_args") or {}
                config = RunConfig(exp["model"], model_args, data, proto, scoring=scoring)
                tag = "".join(_tag(k, v) for k, v in zip(names, combo, strict=True))
                name = f"{exp.get('name', number)}{tag}-seed{seed}"
                runs.append(PlannedRun(name, config))
    claims = [
        Claim.from_spec(entry, f"{path}, claim {number}")
        for number, entry in enumerate(spec.get("claims") or [], start=1)
    ]
    return Suite(spec.get("name", path.stem), runs, claims)


def _tag(field: str, value) -> str:
    """A run name's part for one varied field: ``-fresh-data``, ``-bias0.8``, ``-n_ini100``."""
    if field in ("data", "protocol"):
        return f"-{value}"
    return f"-{field}{value:g}" if isinstance(value, int | float) else f"-{field}{value}"


def _quiet(line: str) -> None:
    """Suites print one line per run, not the loop's line per generation."""


def run_suite(runs: list[PlannedRun], runs_dir: Path, echo=print) -> list[Path]:
    """Run (or resume, or keep) every planned run; return their directories."""
    paths = []
    for number, planned in enumerate(runs, start=1):
        run_dir = RunDir(runs_dir / planned.name)
        paths.append(run_dir.path)
        head = f"[{number}/{len(runs)}] {planned.name}"
        if not (run_dir.path / "config.json").exists():
            echo(f"{head}: running")
            Loop(planned.config, run_dir, echo=_quiet).start()
            continue
        if run_dir.config() != planned.config.as_dict():
            raise InputError(
                f"{run_dir.path} holds a different run than the suite asks for; "
                "move it away or use another --runs folder"
            )
        if len(run_dir.completed()) == planned.config.protocol.generations + 1:
            echo(f"{head}: complete, kept")
        else:
            echo(f"{head}: resuming")
            Loop(planned.config, run_dir, echo=_quiet).resume()
    return paths
