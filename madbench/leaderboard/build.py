"""Leaderboard rows, derived only from run directories.

One row per setting: model (with its arguments) x data set (and its files' sha256) x protocol
(every field but the seed) x lambda x scoring settings x feature space (and its weights'
sha256) x thread count (:meth:`Run.setting`). Runs of one setting that differ only in their
seed are its seeds; two runs of one setting and seed are refused. Every number
in a row is computed here from the runs' ``results.csv``; the row also names its runs and
fingerprints their configuration and results, so ``madbench leaderboard verify`` can re-derive
it and notice any change. Column meanings: :data:`COLUMNS`; the per-seed values behind the
rows: :data:`SEED_COLUMNS` (``per_seed.csv``), which the claims are tested on.

Means over seeds come with their standard deviation and a 95 % t interval (Student's t with
n_seeds - 1 degrees of freedom: with 3 seeds the interval is +- 4.30 std / sqrt(3), which is why
published suites use at least 5). The MAD onset is a test, not a threshold: the first
generation whose FID is significantly above generation 1's, paired over seeds (one-sided
paired t-tests of FID_t - FID_1, one per generation t >= 2), with Holm's correction over the
generations, so that a loop whose FID never moves is given an onset with probability at most
``mad_alpha`` however many generations it runs. The copying onset is the same for the
memorisation test (:mod:`madbench.metrics.copying`): each generation's p-values over seeds
combined by Fisher's method, Holm over the generations; a row is said to copy only on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madbench import defaults
from madbench.errors import InputError
from madbench.leaderboard.stats import (
    first_rejected,
    fisher,
    one_sample,
    t_interval,
)
from madbench.metrics.names import CMMD_KEYS, LATER_KEYS, PERPLEXITY_KEYS, TEXT_KEYS
from madbench.metrics.ranges import METRIC_BOUNDS
from madbench.runs.lock import locked
from madbench.runs.rundir import RunDir, check_run_data
from madbench.types import PathLike

#: The metrics a leaderboard summarises; those of :data:`ADDED_IN_3` came with schema 3.
METRICS = (
    "fid",
    "fid_inf",
    "precision",
    "recall",
    "density",
    "coverage",
    "kid",
    "w2",
    "vendi",
    "ct",
    "authenticity",
    "memorised",
    *("perplexity", "tail_mass", "distinct_2", "self_bleu", "vocabulary", "ngram2_recall"),
    *("mauve", "near_copies"),
    "reward",
    *LATER_KEYS,
)
ADDED_IN_3 = ("vendi", "ct", "authenticity", "memorised")
#: Columns that came with schema 4 (leaderboard.csv, then per_seed.csv).
ADDED_IN_4 = ("copying_onset", "copying_onset_p", "memorised_p")
#: Columns that came with schema 5: FID-infinity (run format 6).
ADDED_IN_5 = ("fid_inf",)
#: Columns that came with schema 6: text loops (run format 9), their statistics and perplexity.
ADDED_IN_6 = (*TEXT_KEYS, *PERPLEXITY_KEYS)
#: Columns that came with schema 7: text loops' MAUVE and copies (run format 10).
ADDED_IN_7 = ("mauve", "exact_copies", "near_copies")
#: Columns that came with schema 8: the curation's reward (run format 11).
ADDED_IN_8 = ("reward",)
#: Columns that came with schema 9: the later metrics (run format 12; empty unless named).
ADDED_IN_9 = tuple(key for key in LATER_KEYS if key not in CMMD_KEYS)
#: Columns that came with schema 10: CMMD (run format 13; empty unless named).
ADDED_IN_10 = CMMD_KEYS
TIMINGS = ("fit_seconds", "sample_seconds", "metric_seconds")  # differ on every machine
WHEN = {"gen1": "generation 1", "last": "the last generation"}
STATS = {
    "mean": "mean over seeds",
    "std": "std over seeds (ddof 1)",
    "ci_low": "low end of the 95 % t interval of the mean over seeds, clipped to the metric's "
    "range (madbench.metrics.ranges; before schema 4 a t interval could reach "
    "past a metric's bounds, e.g. above 1 for precision)",
    "ci_high": "high end of that interval",
}

#: Version of the leaderboard.csv and per_seed.csv schemas. 1: madbench 0.2 (no
#: schema_version column); 2: madbench 0.3, the column first in both files; 3: madbench 0.4
#: on, the Vendi score and the data-copying metrics (:data:`ADDED_IN_3`); 4: the MAD onset
#: Holm-corrected over generations (mad_onset_p adjusted), the copying onset, memorised_p; 5:
#: FID-infinity (:data:`ADDED_IN_5`; empty for runs of run format 5 and before); 6: text
#: loops' statistics and perplexity (:data:`ADDED_IN_6`; empty for vectors and images); 7:
#: text loops' MAUVE and copies (:data:`ADDED_IN_7`; empty for runs of run format 9 and before);
#: 8: the reward (:data:`ADDED_IN_8`; empty for runs without one); 9: the later metrics
#: (:data:`ADDED_IN_9`; empty for runs that do not compute them); 10: CMMD
#: (:data:`ADDED_IN_10`; likewise).
SCHEMA_VERSION = 10
COLUMNS = {
    "schema_version": "version of this file's columns (readers accept every earlier one)",
    "model": "model spec as given to --model",
    "model_args": "its constructor arguments (JSON)",
    "data": "data set",
    "protocol": "protocol name",
    "bias": "sampling bias lambda",
    "protocol_params": "the protocol's other fields (JSON; all but name, bias and seed)",
    "setting_hash": "sha256 (16 hex) of model, arguments, data and its files' sha256, every "
    "protocol field but the seed, scoring settings, feature space and its weights' sha256, and "
    "thread count: rows with equal hashes ran the same experiment",
    "n_seeds": "runs (seeds) averaged in this row",
    "seeds": "their seeds, ';'-separated",
    "generations": "generations trained (t = 1..generations)",
    **{
        f"{metric}_{when}_{stat}": f"{metric} at {WHEN[when]}, {meaning}"
        for metric in METRICS
        for when in WHEN
        for stat, meaning in STATS.items()
    },
    "mad_alpha": "the level of the MAD and copying onsets' tests (family-wise, over generations)",
    "mad_onset": "first generation t >= 2 whose FID is significantly above generation 1's "
    "(one-sided paired t-tests over seeds of FID_t - FID_1, Holm-adjusted over the generations, "
    "adjusted p <= mad_alpha); 'none' if no generation is; empty with a single seed",
    "mad_onset_p": "the Holm-adjusted p-value at the onset (at none: the smallest of any "
    "generation; schemas before 4: unadjusted)",
    "copying_onset": "first generation whose samples are flagged as copies of their training "
    "set by the memorisation test (memorised_p over seeds combined by Fisher's method, "
    "Holm-adjusted over the generations, <= mad_alpha); 'none' if none is; C_T alone, which "
    "contraction also lowers, never flags a row; empty without the copying metrics",
    "copying_onset_p": "the Holm-adjusted p-value at the copying onset (at none: the smallest)",
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
    def read(cls, path: PathLike, *, without_models: bool = False) -> Run:
        """The run at ``path``, verified (:meth:`RunDir.verify`; ``without_models``: model
        checkpoints may be absent, as in a pack) and complete."""
        run_dir = RunDir(path, without_models=without_models)
        with locked(run_dir.path, shared=True):
            found = run_dir.verify()
            prov = run_dir.provenance()
            check_run_data(run_dir, found.config)
        expected = found.config["protocol"]["generations"] + 1
        if len(found.rows) != expected or found.missing_rows:
            raise InputError(
                f"{path}: incomplete run ({len(found.rows)} of {expected} generations done, "
                f"generation 0 included); finish it with madbench evaluate --resume {path}"
            )
        return cls(Path(path), found.config, prov, found.rows)

    def setting(self) -> dict:
        """What makes runs seeds of one experiment: everything that changes their numbers but
        the seed. The model and its arguments, the data set and its files' sha256, the protocol,
        the scoring settings, the feature space and its weights' sha256, what the model starts
        from beyond its arguments (pretrained weights' sha256 or revision, where the adapter
        says), and the thread count (threads change a loop's arithmetic, and a loop amplifies
        the last bits)."""
        protocol = {k: v for k, v in self.config["protocol"].items() if k != "seed"}
        setting = {
            "model": self.config["model"],
            "model_args": self.config["model_args"],
            "data": self.config["data"],
            "data_sha256": self.provenance["data_sha256"],
            "protocol": protocol,
            "features": self.provenance.get("features"),
            "threads": self.config.get("threads", 1),
        }
        if "scoring" in self.config:  # run format 2 on
            setting["scoring"] = self.config["scoring"]
        if self.provenance.get("model_source") is not None:  # absent for most models
            setting["model_source"] = self.provenance["model_source"]
        return setting

    def described(self) -> str:
        """The setting in words, for messages."""
        p = self.config["protocol"]
        args = json.dumps(self.config["model_args"], sort_keys=True)
        return (
            f"{self.config['model']} {args} on {self.config['data']}, {p['name']} lambda "
            f"{p['bias']}, {self.config.get('threads', 1)} threads"
        )

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


def _summary(values: np.ndarray, metric: str = "") -> dict:
    """Mean, std and 95 % t interval of per-seed values, clipped to the metric's range (None
    where undefined)."""
    if np.isnan(values).all():
        return dict.fromkeys(STATS)
    interval = t_interval(values, METRIC_BOUNDS.get(metric, (None, None))) or (None, None)
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
        "ci_low": interval[0],
        "ci_high": interval[1],
    }


def mad_onset(fid: np.ndarray, alpha: float) -> tuple[str, float | None]:
    """The MAD onset of per-seed FID curves (seeds x generations, t = 1..): the first t >= 2
    with FID_t significantly above FID_1 after Holm's correction over the generations, and
    its adjusted p-value (module docstring)."""
    if fid.shape[0] < 2 or fid.shape[1] < 2:
        return "", None
    pvalues = [one_sample(fid[:, t] - fid[:, 0], "greater").p for t in range(1, fid.shape[1])]
    index, p = first_rejected(pvalues, alpha)
    return ("none" if index is None else str(index + 2)), p


def copying_onset(memorised_p: np.ndarray, alpha: float) -> tuple[str, float | None]:
    """The first generation the memorisation test flags (``memorised_p``: seeds x
    generations, t = 1..), seeds combined by Fisher's method, Holm over the generations;
    with its adjusted p-value. Empty when no generation has the test."""
    combined = [fisher(memorised_p[:, t]) for t in range(memorised_p.shape[1])]
    tested = [(t, p) for t, p in enumerate(combined, start=1) if np.isfinite(p)]
    if not tested:
        return "", None
    index, p = first_rejected([p for _, p in tested], alpha)
    return ("none" if index is None else str(tested[index][0])), p


def setting_row(runs: list[Run], base: Path, alpha: float = defaults.ALPHA) -> dict:
    """The leaderboard row of one setting's runs (all seeds); ``base``: the leaderboard folder."""
    runs = sorted(runs, key=lambda r: r.config["protocol"]["seed"])
    first = runs[0]
    protocol = first.config["protocol"]
    row = {
        "schema_version": str(SCHEMA_VERSION),
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
            for stat, value in _summary(series[:, column], metric).items():
                row[f"{metric}_{when}_{stat}"] = _cell(value)
    fid = np.array([run.series("fid") for run in runs])
    row["mad_alpha"] = _cell(float(alpha))
    row["mad_onset"], p = mad_onset(fid, alpha)
    row["mad_onset_p"] = _cell(p)
    memorised_p = np.array([run.series("memorised_p") for run in runs])
    row["copying_onset"], p = copying_onset(memorised_p, alpha)
    row["copying_onset_p"] = _cell(p)
    auc = _summary(np.array([np.trapezoid(f) for f in fid]))
    row["fid_auc_mean"], row["fid_auc_std"] = _cell(auc["mean"]), _cell(auc["std"])
    row["madbench_version"] = ";".join(sorted({r.provenance["madbench_version"] for r in runs}))
    row["protocol_hashes"] = ";".join(r.config["protocol_hash"] for r in runs)
    data_hashes = sorted({json.dumps(r.provenance["data_sha256"], sort_keys=True) for r in runs})
    row["data_sha256"] = _short_hash(";".join(data_hashes))
    row["run_ids"] = ";".join(r.path.name for r in runs)
    row["run_dirs"] = ";".join(os.path.relpath(r.path.resolve(), base.resolve()) for r in runs)
    row["runs_sha256"] = _short_hash(b"".join(r.fingerprint() for r in runs))
    return row


def group_runs(run_dirs: Iterable[PathLike], *, without_models: bool = False) -> list[list[Run]]:
    """The runs of ``run_dirs``, read and grouped by setting (seeds of one setting together)."""
    if not run_dirs:
        raise InputError("leaderboard: give at least one run directory")
    groups: dict[str, list[Run]] = {}
    for path in run_dirs:
        run = Run.read(path, without_models=without_models)
        key = json.dumps(run.setting(), sort_keys=True)
        seed = run.config["protocol"]["seed"]
        twin = next((r for r in groups.get(key, []) if r.config["protocol"]["seed"] == seed), None)
        if twin is not None:
            raise InputError(
                f"{path} and {twin.path} are two runs of one setting ({run.described()}, and "
                f"everything else) with the same seed {seed}: keep one of them"
            )
        groups.setdefault(key, []).append(run)
    return list(groups.values())


def row_order(row: dict) -> tuple:
    return (
        row["data"],
        row["model"],
        row["protocol"],
        -float(row["bias"]),
        row["protocol_params"],
        row["setting_hash"],
    )


def build_rows(groups: list[list[Run]], base: Path, alpha: float = defaults.ALPHA) -> list[dict]:
    """One row per group of :func:`group_runs`, in a stable order."""
    return sorted((setting_row(runs, base, alpha) for runs in groups), key=row_order)


#: ``per_seed.csv``: every run's metric values at every generation, as results.csv has them.
SEED_COLUMNS = {
    "schema_version": COLUMNS["schema_version"],
    "setting_hash": "the leaderboard row (setting) the run belongs to",
    "seed": "the run's seed",
    "generation": "t (0: the noise floor)",
    **{
        m: f"{m} as in the run's results.csv"
        for m in dict.fromkeys(
            (
                *(*METRICS, "trace_cov", "clipped_frac", "memorised_p", *TEXT_KEYS),
                *(*PERPLEXITY_KEYS, "exact_copies"),
            )
        )
    },
}


def columns_of(columns: dict, version: int) -> list[str]:
    """The columns of ``columns`` (:data:`COLUMNS` or :data:`SEED_COLUMNS`) that a file of
    schema ``version`` has."""
    added = (
        *(ADDED_IN_3 if version < 3 else ()),
        *(ADDED_IN_4 if version < 4 else ()),
        *(ADDED_IN_5 if version < 5 else ()),
        *(ADDED_IN_6 if version < 6 else ()),
        *(ADDED_IN_7 if version < 7 else ()),
        *(ADDED_IN_8 if version < 8 else ()),
        *(ADDED_IN_9 if version < 9 else ()),
        *(ADDED_IN_10 if version < 10 else ()),
    )
    return [c for c in columns if not any(c == m or c.startswith(f"{m}_") for m in added)]


def seed_rows(groups: list[list[Run]]) -> list[dict]:
    """The per-seed table behind ``groups`` (in their order), each group's runs by seed."""
    out = []
    for runs in groups:
        for run in sorted(runs, key=lambda r: r.config["protocol"]["seed"]):
            for result in run.rows:
                row = {
                    "schema_version": SCHEMA_VERSION,
                    "setting_hash": run.setting_hash(),
                    "seed": run.config["protocol"]["seed"],
                }
                row.update({c: result.get(c, "") for c in SEED_COLUMNS if c not in row})
                out.append(row)
    return out
