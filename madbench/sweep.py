"""Sweeps from one command: a grid of loop settings written as a suite file, then run.

``madbench sweep`` takes the model, the data and any protocol field as lists, and writes
``OUT/sweep.yaml``: one experiment whose ``vary`` holds every field given more than one value
(the others are its ``params``), over the seeds given. That file is a suite like any other
(:mod:`madbench.suites`): the sweep runs it into ``OUT`` and builds its leaderboard in
``OUT/leaderboard`` through :func:`madbench.api.reproduce`, so ``madbench reproduce
OUT/sweep.yaml`` repeats it exactly and a re-run sweep keeps its complete runs. A sweep whose
``OUT/sweep.yaml`` already holds another grid is refused: one folder, one grid.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from madbench.errors import InputError
from madbench.suites import SAFE_NAME

#: Protocol fields a sweep takes as comma-separated lists, with their types.
LIST_FIELDS = {
    "generations": int,
    "n_ini": int,
    "n_real": int,
    "n_synth": int,
    "k": int,
    "eval_n": int,
    "bias": float,
    "synthetic_fraction": float,
    "source": str,
    "retrain": str,
}
#: Fields whose values hold commas (option specs): one value per repeated option.
REPEATED_FIELDS = ("curate", "select", "correct")


def parse_seeds(text: str) -> list[int]:
    """``0-4`` or ``0,2,5`` (or both: ``0-2,7``) as a sorted list of distinct seeds."""
    seeds = set()
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise InputError(f"--seeds takes ranges and numbers like 0-4 or 0,2,5; got {text!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise InputError(f"--seeds: range {part.strip()} runs backwards")
        seeds.update(range(low, high + 1))
    return sorted(seeds)


def parse_list(field: str, text: str) -> list:
    """A comma-separated list of ``field``'s values, typed (:data:`LIST_FIELDS`)."""
    kind = LIST_FIELDS[field]
    values = []
    for part in text.split(","):
        try:
            values.append(kind(part.strip()))
        except ValueError:
            raise InputError(
                f"--{field.replace('_', '-')}: {part.strip()!r} is not a {kind.__name__}"
            ) from None
    if len(set(values)) != len(values):
        raise InputError(f"--{field.replace('_', '-')}: a value is given twice in {text!r}")
    return values


def sweep_spec(
    name: str,
    model: str,
    model_args: dict,
    data: list[str],
    protocols: list[str],
    seeds: list[int],
    fields: dict[str, list],
    scoring: dict,
) -> dict:
    """The suite (as a mapping) of one sweep: every field with several values varied."""
    if not SAFE_NAME.fullmatch(name):
        raise InputError(f"--out's folder name {name!r} must be letters, digits and . _ + = -")
    experiment = {"name": "sweep", "model": model}
    if model_args:
        experiment["model_args"] = model_args
    grid = {"data": data, "protocol": protocols, **fields}
    vary = {k: v for k, v in grid.items() if len(v) > 1}
    single = {k: v[0] for k, v in grid.items() if len(v) == 1}
    for key in ("data", "protocol"):
        if key in single:
            experiment[key] = single.pop(key)
    if single:
        experiment["params"] = single
    if vary:
        experiment["vary"] = vary
    experiment["seeds"] = seeds
    if scoring:
        experiment["scoring"] = scoring
    return {
        "name": name,
        "description": "Written by madbench sweep; run it again with madbench reproduce FILE.",
        "experiments": [experiment],
    }


def write_sweep(out: Path, spec: dict) -> Path:
    """``out/sweep.yaml`` holding ``spec``; refused if it holds another sweep already."""
    path = out / "sweep.yaml"
    text = yaml.safe_dump(spec, sort_keys=False)
    if path.exists() and path.read_text() != text:
        raise InputError(
            f"{path} holds another sweep; use another --out (a folder is one grid), or run "
            f"that one again with madbench reproduce {path} --runs {out}"
        )
    out.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        from madbench.atomic import atomic_write_text

        atomic_write_text(path, text)
    return path
