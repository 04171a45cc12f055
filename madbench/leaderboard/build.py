"""Leaderboard rows, derived only from run directories.

One row per setting: model (with its arguments) x data set x protocol (every field but the
seed) x lambda. Runs of one setting that differ only in their seed are its seeds. Every number
in a row is computed here from the runs' ``results.csv``; the row also names its runs and
fingerprints their configuration and results, so ``madbench leaderboard verify`` can re-derive
it and notice any change. Column meanings: :data:`COLUMNS`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madbench.errors import DataFileError, InputError
from madbench.runs.rundir import RunDir

METRICS = ("fid", "precision", "recall", "density", "coverage", "kid", "w2")
DEFAULT_MARGIN = 0.2
TIMINGS = ("fit_seconds", "sample_seconds", "metric_seconds")  # differ on every machine
WHEN = {"gen1": "generation 1", "last": "the last generation"}

COLUMNS = {
    "model": "model spec as given to --model",
    "model_args": "its constructor arguments (JSON)",
    "data": "data set",
    "protocol": "protocol name",
    "bias": "sampling bias lambda",
    "protocol_params": "the protocol's other fields (JSON; all but name, bias and seed)",
    "setting_hash": "sha256 (16 hex) of model, arguments, data and every protocol field but the "
    "seed: rows with equal hashes ran the same experiment",
    "n_seeds": "runs (seeds) averaged in this row",
    "seeds": "their seeds, ';'-separated",
    "generations": "generations trained (t = 1..generations)",
    **{
        f"{metric}_{when}_{stat}": f"{metric} at {WHEN[when]}, {stat} over seeds (std: ddof 1)"
        for metric in METRICS
        for when in WHEN
        for stat in ("mean", "std")
    },
    "mad_margin": "the margin of mad_onset (0.2: 20 %)",
    "mad_onset": "first generation t >= 2 whose seed-mean FID exceeds (1 + mad_margin) x the "
    "seed-mean FID of generation 1; empty if none",
    "fid_auc_mean": "area under the FID-by-generation curve, t = 1..generations (trapezoids, "
    "FID x generations), mean over seeds",
    "fid_auc_std": "its std over seeds",
    "madbench_version": "madbench version(s) that computed the runs",
    "protocol_hashes": "the runs' protocol hashes (seed included), ';'-separated",
    "data_sha256": "sha256 (16 hex) of the data files' sha256 list the runs recorded",
    "run_ids": "the runs' directory names, ';'-separated",
    "run_dirs": "the runs' directories relative to the leaderboard's folder, ';'-separated",
    "runs_sha256": "sha256 (16 hex) of the runs' configurations and results.csv cells (wall-clock "
    "timings excepted)",
}


def _short_hash(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass
class Run:
    """One complete run directory, read."""

    path: Path
    config: dict
    provenance: dict
    rows: list[dict]

    @classmethod
    def read(cls, path) -> Run:
        run_dir = RunDir(path)
        config = run_dir.config()
        try:
            prov = json.loads((run_dir.path / "provenance.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{path}: provenance.json is missing or corrupt ({exc})") from None
        rows = run_dir.rows()
        expected = config["protocol"]["generations"] + 1
        done = [r for r in rows if r["status"] == "ok"]
        if len(rows) != expected or len(done) != expected:
            raise InputError(
                f"{path}: incomplete run ({len(done)} of {expected} rows ok, generation 0 "
                f"included); finish it with madbench evaluate --resume {path}"
            )
        return cls(Path(path), config, prov, rows)

    def setting(self) -> dict:
        protocol = {k: v for k, v in self.config["protocol"].items() if k != "seed"}
        return {
            "model": self.config["model"],
            "model_args": self.config["model_args"],
            "data": self.config["data"],
            "protocol": protocol,
        }

    def setting_hash(self) -> str:
        return _short_hash(json.dumps(self.setting(), sort_keys=True))

    def fingerprint(self) -> bytes:
        """The run's configuration and every result cell except wall-clock timings."""
        results = [{k: v for k, v in row.items() if k not in TIMINGS} for row in self.rows]
        return json.dumps([self.config, results], sort_keys=True).encode()

    def series(self, metric: str) -> np.ndarray:
        """The metric at t = 1..generations (NaN where not applicable)."""
        return np.array(
            [float(r[metric]) if r.get(metric) not in (None, "") else np.nan for r in self.rows[1:]]
        )


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return repr(float(value)) if isinstance(value, float | np.floating) else str(value)


def _mean_std(values: np.ndarray) -> tuple[float | None, float | None]:
    if np.isnan(values).all():
        return None, None
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else None)


def setting_row(runs: list[Run], base: Path, margin: float = DEFAULT_MARGIN) -> dict:
    """The leaderboard row of one setting's runs (all seeds); ``base``: the leaderboard folder."""
    runs = sorted(runs, key=lambda r: r.config["protocol"]["seed"])
    first = runs[0]
    protocol = first.config["protocol"]
    row = {
        "model": first.config["model"],
        "model_args": json.dumps(first.config["model_args"], sort_keys=True),
        "data": first.config["data"],
        "protocol": protocol["name"],
        "bias": _cell(float(protocol["bias"])),
        "protocol_params": json.dumps(
            {k: v for k, v in protocol.items() if k not in ("name", "bias", "seed")},
            sort_keys=True,
        ),
        "setting_hash": first.setting_hash(),
        "n_seeds": str(len(runs)),
        "seeds": ";".join(str(r.config["protocol"]["seed"]) for r in runs),
        "generations": str(protocol["generations"]),
    }
    for metric in METRICS:
        series = np.array([run.series(metric) for run in runs])
        for when, column in (("gen1", 0), ("last", -1)):
            mean, std = _mean_std(series[:, column])
            row[f"{metric}_{when}_mean"], row[f"{metric}_{when}_std"] = _cell(mean), _cell(std)
    fid = np.array([run.series("fid") for run in runs])
    curve = fid.mean(axis=0)
    late = np.flatnonzero(curve[1:] > (1 + margin) * curve[0])
    row["mad_margin"] = _cell(float(margin))
    row["mad_onset"] = str(int(late[0]) + 2) if len(late) else ""
    auc = np.array([np.trapezoid(f) for f in fid])
    row["fid_auc_mean"], row["fid_auc_std"] = (_cell(v) for v in _mean_std(auc))
    row["madbench_version"] = ";".join(sorted({r.provenance["madbench_version"] for r in runs}))
    row["protocol_hashes"] = ";".join(r.config["protocol_hash"] for r in runs)
    data_hashes = sorted({json.dumps(r.provenance["data_sha256"], sort_keys=True) for r in runs})
    row["data_sha256"] = _short_hash(";".join(data_hashes))
    row["run_ids"] = ";".join(r.path.name for r in runs)
    row["run_dirs"] = ";".join(os.path.relpath(r.path.resolve(), base.resolve()) for r in runs)
    row["runs_sha256"] = _short_hash(b"".join(r.fingerprint() for r in runs))
    return row


def group_runs(run_dirs) -> list[list[Run]]:
    """The runs of ``run_dirs``, read and grouped by setting (seeds of one setting together)."""
    if not run_dirs:
        raise InputError("leaderboard: give at least one run directory")
    groups: dict[str, list[Run]] = {}
    for path in run_dirs:
        run = Run.read(path)
        key = json.dumps(run.setting(), sort_keys=True)
        seeds = [r.config["protocol"]["seed"] for r in groups.get(key, [])]
        if run.config["protocol"]["seed"] in seeds:
            raise InputError(f"{path}: a second run of the same setting with the same seed")
        groups.setdefault(key, []).append(run)
    return list(groups.values())


def row_order(row: dict) -> tuple:
    return (row["data"], row["model"], row["protocol"], -float(row["bias"]), row["setting_hash"])


def build_rows(groups: list[list[Run]], base: Path, margin: float = DEFAULT_MARGIN) -> list[dict]:
    """One row per group of :func:`group_runs`, in a stable order."""
    return sorted((setting_row(runs, base, margin) for runs in groups), key=row_order)
