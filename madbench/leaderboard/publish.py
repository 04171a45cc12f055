"""Writing a leaderboard folder and checking one against its runs.

```
leaderboards/NAME/
  leaderboard.csv    one row per setting (columns: madbench.leaderboard.build.COLUMNS)
  per_seed.csv       every run's metrics at every generation (build.SEED_COLUMNS): what the
                     claims (madbench.leaderboard.claims) are tested on
  leaderboard.md     the headline columns as a markdown table
  columns.md         what every CSV column means (columns.html: the same, for the page)
  index.html         a static page: the table and the plots (no scripts)
  plots/             PNG plots (madbench.leaderboard.plots)
  .madbench-leaderboard.json   every file above with its sha256 (madbench.leaderboard.marker):
                     only a folder whose contents it lists is ever replaced by a build
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
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from madbench import defaults
from madbench.atomic import fsync_path, fsync_tree
from madbench.errors import DataFileError, InputError
from madbench.leaderboard.build import (
    COLUMNS,
    SCHEMA_VERSION,
    SEED_COLUMNS,
    build_rows,
    columns_of,
    group_runs,
    seed_rows,
)
from madbench.leaderboard.marker import foreign, seal
from madbench.leaderboard.plots import all_plots
from madbench.leaderboard.texts import sample_texts
from madbench.runs.lock import locked
from madbench.types import PathLike


def _number(value: str) -> str:
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value or "—"


def _with_interval(metric: str):
    """A headline cell: the mean over seeds and its 95 % t interval."""

    def cell(row: dict) -> str:  # (a metric older schemas lack: "—")
        mean, low, high = (
            row.get(f"{metric}_{stat}", "") for stat in ("mean", "ci_low", "ci_high")
        )
        return _number(mean) + (f" ({_number(low)}–{_number(high)})" if low else "")

    return cell


def _sizes(row: dict) -> str:
    params = json.loads(row["protocol_params"])
    return f"{params['n_ini']} / {params['n_real']} / {params['n_synth']}"


def _onset(prefix: str):
    """An onset cell: the generation and its Holm-adjusted p, 'none', or — (not tested)."""

    def cell(row: dict) -> str:
        onset, p = row.get(f"{prefix}_onset", ""), row.get(f"{prefix}_onset_p", "")
        if onset in ("", "none"):
            return onset or "—"
        return f"{onset} (adj. p = {float(p):.2g})"

    return cell


#: markdown / HTML column -> its text from a CSV row.
HEADLINE = {
    "data": lambda row: row["data"],
    "model": lambda row: row["model"],
    "protocol": lambda row: row["protocol"],
    "lambda": lambda row: _number(row["bias"]),
    "n_ini / n_real / n_synth": _sizes,
    "seeds": lambda row: row["n_seeds"],
    "gens": lambda row: row["generations"],
    "FID gen 1 (95 % CI)": _with_interval("fid_gen1"),
    "FID last (95 % CI)": _with_interval("fid_last"),
    "precision last": _with_interval("precision_last"),
    "recall last": _with_interval("recall_last"),
    "Vendi last": _with_interval("vendi_last"),
    "C_T last": _with_interval("ct_last"),
    "MAD onset": _onset("mad"),
    "copying from": _onset("copying"),
}
#: The columns text boards add (shown when a row has text statistics).
TEXT_HEADLINE = {
    "perplexity last": _with_interval("perplexity_last"),
    "tail mass last": _with_interval("tail_mass_last"),
    "distinct-2 last": _with_interval("distinct_2_last"),
    "self-BLEU last": _with_interval("self_bleu_last"),
}


def headline(rows: list[dict]) -> dict:
    """The table's columns for ``rows``: :data:`HEADLINE`, and :data:`TEXT_HEADLINE` when
    some row is a text loop's."""
    if any(row.get("distinct_2_last_mean") for row in rows):
        return {**HEADLINE, **TEXT_HEADLINE}
    return HEADLINE


def csv_text(rows: list[dict], columns: Sequence[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def read_csv(path: PathLike, columns: Sequence[str] = COLUMNS) -> list[dict]:
    """A leaderboard CSV (or, with ``columns=SEED_COLUMNS``, a per_seed.csv), checked."""
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such leaderboard file") from None
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: not a CSV file ({exc})") from None
    if not rows:
        raise DataFileError(f"{path}: holds no rows (empty or header only); nothing to check")
    if "schema_version" not in rows[0]:  # schema 1 (madbench 0.2): the same columns but this
        rows = [{"schema_version": "1", **row} for row in rows]
    versions = {row["schema_version"] for row in rows}
    newer = [v for v in versions if not v.isdigit() or int(v) > SCHEMA_VERSION]
    if newer:
        raise DataFileError(
            f"{path}: written by a newer madbench (schema version {newer[0]}; this one reads "
            f"1 to {SCHEMA_VERSION}): upgrade madbench to read it"
        )
    for row in rows:
        if set(row) != set(columns_of(columns, int(row["schema_version"]))) or None in row.values():
            raise DataFileError(
                f"{path}: not a madbench leaderboard file (its columns are not those of schema "
                f"version {row['schema_version']}); rebuild it with madbench leaderboard build"
            )
    return rows


def published_board(suite: str) -> str:
    """The published leaderboard CSV of ``suite`` that a check compares with:
    ``leaderboards/SUITE/leaderboard.csv`` in the working folder (a clone), else the copy in
    madbench's resources (an installed madbench)."""
    from importlib.resources import files

    here = Path("leaderboards") / suite / "leaderboard.csv"
    shipped = files("madbench") / "resources" / "leaderboards" / f"{suite}.csv"
    if here.is_file() or not shipped.is_file():
        return str(here)
    return str(shipped)


def markdown(rows: list[dict]) -> str:
    columns = headline(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row) for cell in columns.values()) + " |")
    return "\n".join(lines) + "\n"


def columns_text() -> str:
    lines = ["# leaderboard.csv columns", ""]
    lines += [f"- `{column}`: {meaning}" for column, meaning in COLUMNS.items()]
    lines += ["", "Empty cells: not applicable (w2 for images), or a std over a single seed."]
    lines += ["", "# per_seed.csv columns", ""]
    lines += [f"- `{column}`: {meaning}" for column, meaning in SEED_COLUMNS.items()]
    return "\n".join(lines) + "\n"


def columns_html() -> str:
    """columns.md as an HTML page (columns.html), so the page links to something a browser
    renders."""
    items = []
    for line in columns_text().splitlines():
        if line.startswith("# "):
            items.append(f"<h2>{html.escape(line[2:])}</h2>")
        elif line.startswith("- `"):
            column, _, meaning = line[3:].partition("`: ")
            items.append(f"<p><code>{html.escape(column)}</code>: {html.escape(meaning)}</p>")
        elif line:
            items.append(f"<p>{html.escape(line)}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>leaderboard columns</title>\n<style>body { font-family: sans-serif; margin: 2em; "
        "max-width: 60em; }</style>\n</head>\n<body>\n" + "\n".join(items) + "\n</body>\n</html>\n"
    )


def _texts_html(anchor: str, title: str, shown: list[tuple[int, list[str]]]) -> str:
    parts = [f'<section id="{anchor}"><h2>{html.escape(title)}</h2>']
    for t, docs in shown:
        items = "".join(f"<li>{html.escape(doc)}</li>" for doc in docs)
        parts.append(f"<h3>generation {t}</h3><ol>{items}</ol>")
    return "".join(parts) + '<p><a href="#top">(top)</a></p></section>'


def html_page(
    name: str,
    rows: list[dict],
    plots: list[tuple[str, str]],
    texts: list[tuple[str, list[tuple[int, list[str]]]]] = (),
) -> str:
    """The leaderboard page: the table, then every plot (file, title) as a thumbnail that
    links to its full-size image, then each text setting's sample texts (title, (generation,
    documents)), all listed by title in the contents."""
    columns = headline(rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(row))}</td>" for cell in columns.values())
        for row in rows
    )
    anchors = [f"plot-{i}" for i in range(len(plots))]
    figures = "".join(
        f'<figure id="{a}"><a href="plots/{html.escape(p)}"><img src="plots/{html.escape(p)}" '
        f'alt="{html.escape(title)}"></a><figcaption>{html.escape(title)} (click for full '
        'size) <a href="#top">(top)</a></figcaption></figure>'
        for a, (p, title) in zip(anchors, plots, strict=True)
    )
    text_anchors = [f"texts-{i}" for i in range(len(texts))]
    figures += "".join(
        _texts_html(a, title, shown) for a, (title, shown) in zip(text_anchors, texts, strict=True)
    )
    contents = "".join(
        f'<li><a href="#{a}">{html.escape(title)}</a></li>'
        for a, title in zip(
            [*anchors, *text_anchors],
            [title for _, title in plots] + [title for title, _ in texts],
            strict=True,
        )
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
img {{ max-width: 100%; max-height: 32em; border: 1px solid #eee; }}
</style>
</head>
<body>
<h1 id="top">madbench leaderboard: {html.escape(name)}</h1>
<p>Built by <code>madbench leaderboard build</code> from run directories; every row can be
re-derived with <code>madbench leaderboard verify leaderboard.csv</code>. All columns, with
provenance: <a href="leaderboard.csv">leaderboard.csv</a> (what each column means:
<a href="columns.html">columns.html</a>).</p>
<nav><h2>Contents</h2><ul><li><a href="#table">The table</a></li>{contents}</ul></nav>
<table id="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
{figures}
</body>
</html>
"""


def _seed_rows_in_order(groups, rows: list[dict]) -> list[dict]:
    by_hash = {runs[0].setting_hash(): runs for runs in groups}
    return seed_rows([by_hash[row["setting_hash"]] for row in rows])


def _check_out(out: Path, run_dirs) -> None:
    """Refuse an --out whose replacement would destroy something: the working folder or one
    above it, a folder holding runs or inside one, or an existing folder that holds anything
    madbench did not put there as a leaderboard (:mod:`madbench.leaderboard.marker`)."""
    target = out.resolve()
    here = Path.cwd().resolve()
    if out.name in ("", ".", "..") or target == here or target in here.parents:
        raise InputError(f"--out {out}: name a leaderboard folder, e.g. leaderboards/NAME")
    for run in run_dirs:
        run = Path(run).resolve()
        if target == run or target in run.parents:
            raise InputError(f"--out {out}: it holds the run {run}; choose another folder")
        if run in target.parents:
            raise InputError(f"--out {out}: it lies inside the run {run}; choose another folder")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError(f"--out {out}: exists and is not a folder; choose another folder")
    if out.exists():
        found = foreign(out)
        if found is not None:
            raise InputError(
                f"--out {out}: holds {found}, so it is not a leaderboard madbench built; "
                "building would replace the folder: move that out, or choose another folder"
            )


def build(run_dirs: Iterable[PathLike], out: PathLike, alpha: float = defaults.ALPHA) -> list[dict]:
    """Build the leaderboard folder ``out`` from ``run_dirs``; return its rows.

    One build per folder at a time (a lock beside it, ``.NAME.lock``); the temporary folders
    of builds killed before they finished are removed first.
    """
    if not 0 < alpha < 1:
        raise InputError(f"--alpha must be in (0, 1), got {alpha}")
    out = Path(out)
    _check_out(out, run_dirs)
    groups = group_runs(run_dirs)
    rows = build_rows(groups, out, alpha)
    with locked(out.parent, create=True, name=f".{out.name}.lock"):
        _clean_stale(out)
        _write(groups, rows, out)
    return rows


def _clean_stale(out: Path) -> None:
    """Remove what builds of ``out`` killed half-way left (``.NAME.tmp-PID``); a previous
    leaderboard moved aside (``.NAME.old-PID``) goes back into place if ``out`` is missing."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(tmp|old)-\d+")
    for stale in sorted(out.parent.iterdir()):
        if stale.is_symlink() or not (stale.is_dir() and pattern.fullmatch(stale.name)):
            continue  # (a link of that name is not a build's folder: never followed)
        if stale.name.startswith(f".{out.name}.old-") and not out.exists():
            os.replace(stale, out)
        else:
            shutil.rmtree(stale)


def _write(groups, rows: list[dict], out: Path) -> None:
    """Assemble the folder under a temporary name (files fsynced) and swap it into place."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True)
        plots = all_plots(groups, tmp / "plots")
        (tmp / "leaderboard.csv").write_text(csv_text(rows))
        seeds = _seed_rows_in_order(groups, rows)
        (tmp / "per_seed.csv").write_text(csv_text(seeds, SEED_COLUMNS))
        (tmp / "leaderboard.md").write_text(markdown(rows))
        (tmp / "columns.md").write_text(columns_text())
        (tmp / "columns.html").write_text(columns_html())
        page = html_page(out.name, rows, plots, sample_texts(groups))
        (tmp / "index.html").write_text(page)
        seal(tmp)
        fsync_tree(tmp)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        fsync_path(out.parent)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise DataFileError(f"{out}: cannot write the leaderboard ({exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _confined(base: Path, entry: str, root: Path) -> Path:
    """A run_dirs entry (relative to the leaderboard folder) that lies inside ``root``."""
    path = base / entry
    resolved = path.resolve()
    if Path(entry).is_absolute() or not (resolved == root or root in resolved.parents):
        raise InputError(
            f"run directory {entry!r} lies outside {root} (give --runs-root to allow its folder)"
        )
    return path


def verify(
    csv_path: PathLike, runs_root: PathLike | None = None, *, without_models: bool = False
) -> list[str]:
    """Re-derive every row of a leaderboard CSV, and the per_seed.csv beside it, from the runs
    they name; list the differences. Runs are read only inside ``runs_root`` (default: the
    working folder), whatever the CSV names; ``without_models``: runs unpacked from a pack."""
    csv_path = Path(csv_path)
    base = csv_path.parent
    root = Path(runs_root or Path.cwd()).resolve()
    rows = read_csv(csv_path)
    named = [base / d for row in rows for d in row["run_dirs"].split(";")]
    if not any(path.exists() for path in named):
        raise DataFileError(
            f"none of the {len(named)} runs behind {csv_path} is here (they are not committed: "
            "they hold every generation's samples); re-create them first, e.g. madbench "
            f"reproduce {base.name}, then verify"
        )
    problems, verified = [], []
    for number, row in enumerate(rows, start=1):
        where = (
            f"row {number} ({row['data']}, {row['model']}, {row['protocol']}, lambda {row['bias']})"
        )
        try:
            dirs = [_confined(base, d, root) for d in row["run_dirs"].split(";")]
            groups = group_runs(dirs, without_models=without_models)
        except (InputError, DataFileError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        if len(groups) != 1:
            problems.append(f"{where}: its runs are not one setting")
            continue
        try:
            alpha = float(row["mad_alpha"])
        except ValueError:
            problems.append(f"{where}: mad_alpha {row['mad_alpha']!r} is not a number")
            continue
        fresh = build_rows(groups, base, alpha)[0]
        # The columns of the file's own schema (an earlier one lacks the later columns).
        for column in columns_of(COLUMNS, int(row["schema_version"]))[1:]:
            if fresh[column] != row[column]:
                problems.append(
                    f"{where}: {column} is {row[column]!r}; the runs give {fresh[column]!r}"
                )
        verified.append(groups[0])
    return problems + _verify_seeds(base / "per_seed.csv", verified)


def _verify_seeds(path: Path, groups) -> list[str]:
    """per_seed.csv against the runs of the rows that re-derived."""
    if not path.exists():
        return [f"{path} is missing: the claims have nothing to be tested on"]
    recorded = {}
    for row in read_csv(path, SEED_COLUMNS):
        recorded.setdefault(row["setting_hash"], []).append(row)
    problems = []
    for runs in groups:
        expected = [{k: str(v) for k, v in r.items()} for r in seed_rows([runs])]
        found = recorded.get(expected[0]["setting_hash"], [])
        # The columns of the file's own schema (an earlier one lacks the later columns).
        columns = columns_of(SEED_COLUMNS, int(found[0]["schema_version"])) if found else []
        expected = [{k: r[k] for k in columns[1:]} for r in expected]
        if [{k: r[k] for k in columns[1:]} for r in found] != expected or not found:
            problems.append(
                f"{path}: the rows of setting {expected[0]['setting_hash']} differ from its runs"
            )
    return problems
