"""Reproduction suites: YAML lists of experiments, run as loops, then built into a leaderboard.

A suite file (shipped as ``madbench/resources/suites/<name>.yaml``, or any path) holds
``name``, ``description``, ``experiments`` and optionally ``claims`` and ``alpha``; each
experiment gives ``model``, optional ``model_args``, ``data``, ``protocol``, ``params`` (protocol
fields),
``vary`` (field -> list of values; any of ``data``, ``protocol`` or a protocol field),
``seeds`` and ``scoring`` (:class:`~madbench.loops.config.ScoringSettings` fields, e.g.
``{intervals: 0}``). It expands into one run per combination of its ``vary`` values and
seeds. The claims are one pre-registered family of hypothesis tests on the suite's
leaderboard, Holm-corrected at ``alpha`` (:mod:`madbench.leaderboard.claims`).

``madbench reproduce SUITE`` runs every run into ``runs/<suite>/<run name>``: a complete run is
kept, an interrupted one is resumed, so the command itself can be re-run after any crash.
Then it builds ``leaderboards/<suite>`` from exactly those runs and writes its claims, as
tested, to ``claims.csv`` there.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from madbench import defaults
from madbench.adapters import build_adapter
from madbench.data.datasets import get_dataset
from madbench.errors import DataFileError, InputError, one_line
from madbench.home import shipped
from madbench.leaderboard.claims import Claim
from madbench.loops.config import RunConfig, ScoringSettings
from madbench.loops.protocol import make_protocol
from madbench.runs.lock import locked
from madbench.runs.rundir import RunDir
from madbench.types import Echo

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
    """A suite file, read: its runs, its claims (one family, Holm-corrected at ``alpha``) and
    the file's sha256, which the leaderboard built from it records beside the claims."""

    name: str
    runs: list[PlannedRun]
    claims: list[Claim]
    alpha: float = defaults.ALPHA
    sha256: str = ""


def suite_path(suite: str) -> Path:
    """A suite's file: ``suite`` itself if it is a file, else the shipped ``<suite>.yaml``."""
    path = Path(suite)
    if path.is_file():
        return path
    named = shipped("suites") / f"{suite}.yaml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in shipped("suites").glob("*.yaml"))
    raise InputError(f"unknown suite {suite!r}; known: {', '.join(known) or 'none'}, or a path")


#: What a suite, experiment or run name may hold: it becomes a folder under --runs and --out.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]*")


def _safe_name(value, where: str) -> str:
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value):
        raise InputError(
            f"{where}: name {value!r} must be letters, digits and . _ + = - (it names a "
            "folder; no paths)"
        )
    return value


def _typed(exp: dict, key: str, kind: type, where: str, default):
    value = exp.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise InputError(f"{where}: {key} must be a {kind.__name__}, got {value!r}")
    return value


#: The most YAML nodes a suite file may hold once its aliases are expanded (an alias repeats a
#: whole subtree: nine nested aliases of nine make 387 million nodes from 900 bytes).
MAX_YAML_NODES = 100_000
#: The most runs one suite may plan (every combination of its ``vary`` values, every seed).
MAX_RUNS = 10_000


def _expanded_nodes(node, sizes: dict) -> int:
    """How many nodes ``node`` stands for with every alias expanded (shared subtrees counted
    as often as they are used, each computed once)."""
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a node that contains itself counts once, not forever
        if isinstance(node, yaml.SequenceNode):
            sizes[id(node)] += sum(_expanded_nodes(child, sizes) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            sizes[id(node)] += sum(
                _expanded_nodes(key, sizes) + _expanded_nodes(value, sizes)
                for key, value in node.value
            )
    return sizes[id(node)]


def read_yaml(path: Path) -> object:
    """``path``'s YAML (safe types only), refused beyond :data:`MAX_YAML_NODES` expanded nodes
    before anything is built from it."""
    try:
        loader = yaml.SafeLoader(path.read_text())
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_nodes(node, {}) > MAX_YAML_NODES:
                raise InputError(
                    f"{path}: more than {MAX_YAML_NODES:,} YAML nodes once its aliases are "
                    "expanded; a suite needs far fewer (write it without nested aliases)"
                )
            return None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError) as exc:
        raise DataFileError(f"{path}: not a readable YAML file ({one_line(exc)})") from None


def load_suite(suite: str) -> Suite:
    """The suite's name, runs and claims, every entry checked before anything runs."""
    path = suite_path(suite)
    spec = read_yaml(path)
    if not isinstance(spec, dict) or not isinstance(spec.get("experiments"), list):
        raise InputError(f"{path}: a suite needs 'name' and a list of 'experiments'")
    runs = []
    for number, exp in enumerate(spec["experiments"], start=1):
        if not isinstance(exp, dict):
            raise InputError(f"{path}, experiment {number}: expected a mapping, got {exp!r}")
        where = f"{path}, experiment {_safe_name(exp.get('name', str(number)), path)}"
        runs += _expand(exp, number, where)
    names = [planned.name for planned in runs]
    if len(set(names)) != len(names):
        raise InputError(f"{path}: two runs are named alike; give the experiments other names")
    claims = spec.get("claims") or []
    if not isinstance(claims, list):
        raise InputError(f"{path}: claims must be a list")
    claims = [
        Claim.from_spec(entry, f"{path}, claim {number}")
        for number, entry in enumerate(claims, start=1)
    ]
    alpha = spec.get("alpha", defaults.ALPHA)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InputError(f"{path}: alpha (the claims' family-wise level) must lie in (0, 1)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Suite(_safe_name(spec.get("name", path.stem), path), runs, claims, alpha, digest)


def _expand(exp: dict, number: int, where: str) -> list[PlannedRun]:
    """One experiment's runs: every combination of its ``vary`` values, every seed."""
    unknown = set(exp) - EXPERIMENT_KEYS
    if unknown:
        raise InputError(f"{where}: unknown keys {sorted(unknown, key=str)}")
    try:
        scoring = ScoringSettings(**_typed(exp, "scoring", dict, where, {}))
    except (TypeError, InputError) as exc:  # TypeError: an unknown field
        raise InputError(f"{where}: scoring: {one_line(exc)}") from None
    vary = _typed(exp, "vary", dict, where, {})
    if not all(isinstance(v, list) and v for v in vary.values()):
        raise InputError(f"{where}: every 'vary' field needs a non-empty list of values")
    params = _typed(exp, "params", dict, where, {})
    model_args = _typed(exp, "model_args", dict, where, {})
    seeds = _typed(exp, "seeds", list, where, [0])
    if not all(isinstance(seed, int) and not isinstance(seed, bool) for seed in seeds):
        raise InputError(f"{where}: seeds must be a list of integers")
    if not isinstance(exp.get("model"), str):
        raise InputError(f"{where}: needs model, data and protocol")
    planned = len(seeds) * math.prod(len(v) for v in vary.values())
    if planned > MAX_RUNS:
        raise InputError(
            f"{where}: its vary values and seeds make {planned:,} runs, more than a suite may "
            f"plan ({MAX_RUNS:,})"
        )
    names, runs = list(vary), []
    for combo in itertools.product(*vary.values()):
        fields = {**params, "data": exp.get("data"), "protocol": exp.get("protocol")}
        fields.update(zip(names, combo, strict=True))
        data, protocol = fields.pop("data"), fields.pop("protocol")
        if not isinstance(data, str) or not isinstance(protocol, str):
            raise InputError(f"{where}: needs model, data and protocol")
        for seed in seeds:
            try:
                proto = make_protocol(protocol, **{str(k): v for k, v in fields.items()}, seed=seed)
            except (TypeError, ValueError) as exc:  # TypeError: an unknown field
                raise InputError(f"{where}: {one_line(exc)}") from None
            config = RunConfig(exp["model"], model_args, data, proto, scoring=scoring)
            tag = "".join(_tag(k, v) for k, v in zip(names, combo, strict=True))
            name = _safe_name(f"{exp.get('name', number)}{tag}-seed{seed}", where)
            runs.append(PlannedRun(name, config))
    return runs


def _tag(field: str, value) -> str:
    """A run name's part for one varied field: ``-fresh-data``, ``-bias0.8``, ``-n_ini100``,
    ``-curatetop_keep=0.5``, ``-curatenone`` (off)."""
    if field in ("data", "protocol"):
        return f"-{value}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"-{field}{value:g}"
    text = "none" if value is None else str(value)  # an option spec: ':' '_', ',' '+'
    return f"-{field}{text.replace(':', '_').replace(',', '+')}"


def _quiet(line: str) -> None:
    """Suites print one line per run, not the loop's line per generation."""


def run_suite(
    runs: list[PlannedRun], runs_dir: Path, echo: Echo = print, *, shared: bool = False
) -> list[Path]:
    """Run (or resume, or keep) every planned run; return their directories. The runs folder
    is locked for the whole suite: two suites never write one folder, unless both are shards
    (``shared``), which lock it shared and rely on each run's own lock (one writer per run)."""
    check_up_front(runs)
    with locked(runs_dir, shared=shared, create=True):
        return _run_all(runs, runs_dir, echo)


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` as (I, N), 1 <= I <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        index = count = 0
    if not 1 <= index <= count:
        raise InputError(f"--shard takes I/N with 1 <= I <= N (e.g. 2/8), got {text!r}")
    return index, count


def shard(runs: list[PlannedRun], index: int, count: int) -> list[PlannedRun]:
    """Shard ``index`` of ``count``: every count-th run of the suite's order, from the
    index-th; the shards of one count split the suite, each run in exactly one."""
    return runs[index - 1 :: count]


def missing_runs(runs: list[PlannedRun], runs_dir: Path) -> list[str]:
    """The planned runs without a complete, verified run directory in ``runs_dir``."""
    return [
        planned.name
        for planned in runs
        if not (runs_dir / planned.name / "config.json").exists()
        or not _complete(planned, RunDir(runs_dir / planned.name))
    ]


def check_up_front(runs: list[PlannedRun]) -> None:
    """Build every distinct model once and verify every data set's files, so that a suite
    stops before its first run, not at its 48th, on a bad model argument or a missing set."""
    models = {json.dumps([r.config.model, r.config.model_args], sort_keys=True) for r in runs}
    for model, model_args in map(json.loads, sorted(models)):
        build_adapter(model, model_args)
    for data, data_dir in sorted({(r.config.data, r.config.data_dir) for r in runs}, key=str):
        get_dataset(data, data_dir=data_dir).verify()


def _run_all(runs: list[PlannedRun], runs_dir: Path, echo) -> list[Path]:
    paths = []
    for number, planned in enumerate(runs, start=1):
        head = f"[{number}/{len(runs)}] {planned.name}"
        paths.append(
            run_one(planned, runs_dir, lambda action, head=head: echo(f"{head}: {action}"))
        )
    return paths


def run_one(planned: PlannedRun, runs_dir: Path, announce: Echo = _quiet) -> Path:
    """Bring one planned run to completion in ``runs_dir / planned.name``: start it, resume
    it after whatever stopped it, or keep it if complete; ``announce`` hears which. The unit of
    work of every executor; the run directory's lock keeps two of them off one run."""
    from madbench.loops.engine import Loop  # the numeric code, loaded once a run is due

    run_dir = RunDir(runs_dir / planned.name)
    if not (run_dir.path / "config.json").exists():
        announce("running")
        Loop(planned.config, run_dir, echo=_quiet).start()
        return run_dir.path
    if run_dir.config() != planned.config.as_dict():
        raise InputError(
            f"{run_dir.path} holds a different run than the suite asks for; "
            "move it away or use another --runs folder"
        )
    if _complete(planned, run_dir):
        announce("complete, kept")
    else:
        announce("resuming")
        Loop(planned.config, run_dir, echo=_quiet).resume()
    return run_dir.path


def _complete(planned: PlannedRun, run_dir: RunDir) -> bool:
    with locked(run_dir.path, shared=True):
        found = run_dir.verify()
    return len(found.rows) == planned.config.protocol.generations + 1 and not found.missing_rows
