"""Writing a leaderboard folder and checking one against its runs.

```
leaderboards/NAME/
  leaderboard.csv    one row per setting (columns: madbench.leaderboard.build.COLUMNS)
  leaderboard.md     the headline columns as a markdown table
  columns.md         what every CSV column means
  index.html         a static page: the table and the plots (no scripts)
  plots/             PNG plots (madbench.leaderboard.plots)
```

The folder is assembled under a temporary name and renamed into place, so a failed build
leaves the previous leaderboard (or nothing) behind, never a half-written one.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
from pathlib import Path

from madbench.errors import DataFileError, InputError
from madbench.leaderboard.build import COLUMNS, DEFAULT_MARGIN, build_rows, group_runs
from madbench.leaderboard.plots import all_plots

HEADLINE = {  # markdown / HTML column -> CSV column
    "data": "data",
    "model": "model",
    "protocol": "protocol",
    "lambda": "bias",
    "n_ini / n_real / n_synth": "protocol_params",
    "seeds": "n_seeds",
    "gens": "generations",
    "FID gen 1": "fid_gen1_mean",
    "FID last": "fid_last_mean",
    "precision last": "precision_last_mean",
    "recall last": "recall_last_mean",
    "MAD onset": "mad_onset",
    "FID AUC": "fid_auc_mean",
}


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def read_csv(path) -> list[dict]:
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such leaderboard CSV") from None
    if rows and set(rows[0]) != set(COLUMNS):
        raise DataFileError(f"{path}: not a madbench leaderboard (its columns differ)")
    return rows


def _short(value: str) -> str:
    if value.startswith("{"):  # protocol_params: the sizes that tell rows apart
        params = json.loads(value)
        return f"{params['n_ini']} / {params['n_real']} / {params['n_synth']}"
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value or "—"


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADLINE) + " |", "|" + "---|" * len(HEADLINE)]
    for row in rows:
        lines.append("| " + " | ".join(_short(row[c]) for c in HEADLINE.values()) + " |")
    return "\n".join(lines) + "\n"


def columns_text() -> str:
    lines = ["# leaderboard.csv columns", ""]
    lines += [f"- `{column}`: {meaning}" for column, meaning in COLUMNS.items()]
    lines += ["", "Empty cells: not applicable (w2 for images), or a std over a single seed."]
    return "\n".join(lines) + "\n"


def html_page(name: str, rows: list[dict], plots: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADLINE)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_short(row[c]))}</td>" for c in HEADLINE.values())
        for row in rows
    )
    figures = "".join(
        f'<figure><img src="plots/{html.escape(p)}" alt="{html.escape(p)}"></figure>' for p in plots
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>madbench leaderboard: {html.escape(name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
img {{ max-width: 100%; }}
</style>
</head>
<body>
<h1>madbench leaderboard: {html.escape(name)}</h1>
<p>Built by <code>madbench leaderboard build</code> from run directories; every row can be
re-derived with <code>madbench leaderboard verify leaderboard.csv</code>. All columns, with
provenance: <a href="leaderboard.csv">leaderboard.csv</a> (what each column means:
<a href="columns.md">columns.md</a>).</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
{figures}
</body>
</html>
"""


def build(run_dirs, out, margin: float = DEFAULT_MARGIN) -> list[dict]:
    """Build the leaderboard folder ``out`` from ``run_dirs``; return its rows."""
    if not margin > 0:
        raise InputError(f"--margin must be > 0, got {margin}")
    out = Path(out)
    groups = group_runs(run_dirs)
    rows = build_rows(groups, out, margin)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        plots = all_plots(groups, tmp / "plots")
        (tmp / "leaderboard.csv").write_text(csv_text(rows))
        (tmp / "leaderboard.md").write_text(markdown(rows))
        (tmp / "columns.md").write_text(columns_text())
        (tmp / "index.html").write_text(html_page(out.name, rows, plots))
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise DataFileError(f"{out}: cannot write the leaderboard ({exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def verify(csv_path) -> list[str]:
    """Re-derive every row of a leaderboard CSV from the runs it names; list the differences."""
    csv_path = Path(csv_path)
    base = csv_path.parent
    problems = []
    for number, row in enumerate(read_csv(csv_path), start=1):
        where = (
            f"row {number} ({row['data']}, {row['model']}, {row['protocol']}, lambda {row['bias']})"
        )
        dirs = [base / d for d in row["run_dirs"].split(";")]
        try:
            groups = group_runs(dirs)
        except (InputError, DataFileError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        if len(groups) != 1:
            problems.append(f"{where}: its runs are not one setting")
            continue
        try:
            margin = float(row["mad_margin"])
        except ValueError:
            problems.append(f"{where}: mad_margin {row['mad_margin']!r} is not a number")
            continue
        fresh = build_rows(groups, base, margin)[0]
        for column in COLUMNS:
            if fresh[column] != row[column]:
                problems.append(
                    f"{where}: {column} is {row[column]!r}; the runs give {fresh[column]!r}"
                )
    return problems
