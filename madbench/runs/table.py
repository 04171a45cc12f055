"""Results rows as text: the one line a generation reports, and the table of a run.

Both show the same metrics, in the same order, with 4 significant digits; a metric that was
not computed (``--metrics``) or does not apply (``w2`` for images) is left out.
"""

from __future__ import annotations

#: The metrics shown, in order.
SHOWN = ("fid", "fid_inf", "precision", "recall", "density", "coverage", "w2")


def _has(row: dict, key: str) -> bool:
    return row.get(key) not in (None, "")


def generation_line(row: dict) -> str:
    """``generation t: fid 6.99 [3.47, 13.4], precision 0.98, ...`` (or what failed)."""
    if row["status"] != "ok":
        return f"generation {row['generation']}: FAILED: {row['error']}"
    parts = []
    for key in (k for k in SHOWN if _has(row, k)):
        part = f"{key} {float(row[key]):.4g}"
        if key == "fid" and _has(row, "fid_ci_low"):
            part += f" [{float(row['fid_ci_low']):.4g}, {float(row['fid_ci_high']):.4g}]"
        if key == "fid" and _has(row, "fid_floor") and _has(row, "fid_floor_sd"):
            part += (
                f" (floor {float(row['fid_floor']):.4g} +- {float(row['fid_floor_sd']):.2g} "
                f"over {row['floor_draws']} draws)"
            )
        parts.append(part)
    return f"generation {row['generation']}: " + ", ".join(parts)


def run_table(rows: list[dict]) -> str:
    """One line per generation, one column per metric any row has."""
    keys = ["generation", *(k for k in SHOWN if any(_has(row, k) for row in rows))]
    lines = [" ".join(f"{key:>10}" for key in keys)]
    for row in rows:
        cells = [f"{row['generation']:>10}"] + [f"{float(row[key]):>10.4g}" for key in keys[1:]]
        lines.append(" ".join(cells))
    return "\n".join(lines)
