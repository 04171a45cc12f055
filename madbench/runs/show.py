"""A run or a leaderboard in the terminal: one line per metric (or per row and metric), its
first and last value and a sparkline of every generation between; and the machine-readable
summary ``madbench evaluate --json`` prints.

A sparkline maps the smallest value shown on its line to the lowest of eight bars and the
largest to the highest (linearly; a flat series is all middle bars); a generation without a
value is a space.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

BARS = "▁▂▃▄▅▆▇█"
#: The metrics shown, in order, where a run has them.
METRICS = (
    *("fid", "precision", "recall", "density", "coverage", "kid", "vendi", "reward"),
    *("w2", "trace_cov", "perplexity", "tail_mass", "distinct_2", "mauve", "memorised"),
)


def sparkline(values: list[float]) -> str:
    """``values`` as bars (module docstring); NaN: a space."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low, high = min(finite), max(finite)
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append(" ")
        elif high == low:
            out.append(BARS[3])
        else:
            out.append(BARS[min(7, int((v - low) / (high - low) * 8))])
    return "".join(out)


def _number(cell: object) -> float:
    try:
        return float(cell)
    except (TypeError, ValueError):
        return math.nan


def series(rows: list[dict], metric: str) -> list[float]:
    """``metric`` at generations 1.. of ``rows`` (NaN where empty)."""
    return [_number(row.get(metric)) for row in rows if str(row.get("generation")) != "0"]


def _lines(rows: list[dict], indent: str = "") -> list[str]:
    out = []
    for metric in METRICS:
        values = series(rows, metric)
        if not any(math.isfinite(v) for v in values):
            continue
        first, last = values[0], values[-1]
        out.append(f"{indent}{metric:<11}{first:>10.4g} -> {last:<10.4g} {sparkline(values)}")
    return out


def show_run(config: dict, rows: list[dict]) -> str:
    """A run: its setting in one line, then a line per metric over generations 1.."""
    p = config["protocol"]
    extras = "".join(f", {k} {p[k]}" for k in ("curate", "select", "correct") if k in p)
    head = (
        f"{config['model']} on {config['data']}, {p['name']} (source {p['source']}{extras}), "
        f"lambda {p['bias']:g}, seed {p['seed']}, generations 1-{p['generations']}"
    )
    failed = [row for row in rows if row.get("status") not in (None, "ok")]
    tail = [f"generation {row['generation']} FAILED: {row['error']}" for row in failed]
    return "\n".join([head, *_lines(rows, "  "), *tail])


def show_board(folder: Path) -> str:
    """A leaderboard folder: each row's setting, then its metrics' means over seeds by
    generation (from per_seed.csv)."""
    from madbench.leaderboard.build import SEED_COLUMNS
    from madbench.leaderboard.publish import read_csv

    board = read_csv(folder / "leaderboard.csv")
    by_setting = defaultdict(lambda: defaultdict(list))
    for row in read_csv(folder / "per_seed.csv", SEED_COLUMNS):
        by_setting[row["setting_hash"]][int(row["generation"])].append(row)
    out = []
    for row in board:
        params = json.loads(row["protocol_params"])
        extras = "".join(
            f", {k} {params[k]}" for k in ("curate", "select", "correct") if k in params
        )
        out.append(
            f"{row['model']} on {row['data']}, {row['protocol']} (source {params['source']}"
            f"{extras}), lambda {row['bias']}, {row['n_seeds']} seeds [{row['setting_hash']}]"
        )
        generations = by_setting[row["setting_hash"]]
        means = [
            {m: _mean(generations[t], m) for m in METRICS} | {"generation": t}
            for t in sorted(generations)
        ]
        out += _lines(means, "  ")
    return "\n".join(out)


def _mean(rows: list[dict], metric: str) -> float:
    values = [_number(r.get(metric)) for r in rows]
    values = [v for v in values if math.isfinite(v)]
    return sum(values) / len(values) if values else math.nan


def summary(path: Path, config: dict, rows: list[dict]) -> dict:
    """``evaluate --json``: the run's folder, setting and every generation's numeric cells
    (empty cells left out; text cells as text)."""
    generations = []
    for row in rows:
        cells = {}
        for key, cell in row.items():
            if cell in ("", None):
                continue
            number = _number(cell)
            cells[key] = (
                cell if math.isnan(number) else (int(number) if str(cell).isdigit() else number)
            )
        generations.append(cells)
    return {
        "run_dir": str(path),
        "model": config["model"],
        "model_args": config["model_args"],
        "data": config["data"],
        "protocol": config["protocol"],
        "protocol_hash": config["protocol_hash"],
        "generations": generations,
    }
