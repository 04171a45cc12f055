"""Leaderboard plots (PNG, matplotlib's Agg back end), one set per data set.

- ``<data>-metrics.png``: FID, precision and recall (and W2 for vector data, the Vendi score,
  C_T and the memorisation rate where the runs computed them) against generation,
  a row of panels per protocol, one line per model x lambda x sizes, the seed mean with a band
  of +- one std over seeds;
- ``<data>-precision-recall.png``: each setting's (recall, precision) trajectory over
  generations, from generation 1 (circle) to the last (square);
- ``<data>-<setting>-samples.png`` (image data): the first seed's sample grids of generation 1,
  the middle generation and the last, side by side.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from PIL import Image  # noqa: E402

from madbench.leaderboard.build import Run  # noqa: E402

#: Line styles: every setting in a plot gets its own colour and marker.
COLOURS = plt.get_cmap("tab20").colors
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h", "p")


def _flat(setting: dict, prefix: str = "") -> dict:
    """A setting's fields, nested ones as ``protocol.bias``."""
    out = {}
    for key, value in setting.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def labels(groups: list[list[Run]]) -> list[str]:
    """One label per setting, naming only what differs between the settings (the model and
    lambda when nothing does)."""
    flat = [_flat(runs[0].setting()) for runs in groups]
    differ = [k for k in flat[0] if len({repr(f.get(k)) for f in flat}) > 1]
    shown = differ or ["model", "protocol.bias"]
    short = {"protocol.bias": "lambda", "protocol.name": "protocol"}

    def part(f, key):
        name = short.get(key, key.split(".")[-1])
        return f"{f.get(key)}" if key in ("model", "protocol.name") else f"{name}={f.get(key)}"

    return [" ".join(part(f, key) for key in shown) for f in flat]


def _style(index: int) -> dict:
    return {"color": COLOURS[index % len(COLOURS)], "marker": MARKERS[index % len(MARKERS)]}


def _band(ax, runs: list[Run], metric: str, name: str, style: dict) -> None:
    series = np.array([run.series(metric) for run in runs])
    t = np.arange(1, series.shape[1] + 1)
    mean = series.mean(axis=0)
    ax.plot(t, mean, markersize=3, linewidth=1, label=name, **style)
    if len(runs) > 1:
        std = series.std(axis=0, ddof=1)
        ax.fill_between(t, mean - std, mean + std, color=style["color"], alpha=0.15)


def _legend_beside(ax) -> None:
    """The legend outside the axes, on the right, so that it never hides a curve."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


def metric_plot(groups: list[list[Run]], path: Path) -> None:
    """One row of panels per protocol, one column per metric, one line per setting."""
    metrics = ["fid", "precision", "recall"]
    for extra in ("w2", "vendi", "ct", "memorised"):  # where the runs have them
        if any(not np.isnan(runs[0].series(extra)).all() for runs in groups):
            metrics.append(extra)
    names = dict(zip(map(id, groups), labels(groups), strict=True))
    styles = {id(runs): _style(i) for i, runs in enumerate(groups)}
    by_protocol: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_protocol.setdefault(runs[0].config["protocol"]["name"], []).append(runs)
    fig, axes = plt.subplots(
        len(by_protocol),
        len(metrics),
        figsize=(4.2 * len(metrics) + 3.0, 3.2 * len(by_protocol)),
        squeeze=False,
    )
    for row, (protocol, protocol_groups) in zip(axes, sorted(by_protocol.items()), strict=True):
        for ax, metric in zip(row, metrics, strict=True):
            for runs in protocol_groups:
                _band(ax, runs, metric, names[id(runs)], styles[id(runs)])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"{protocol}: {metric}", fontsize=10)
            ax.grid(alpha=0.3)
        _legend_beside(row[-1])
    for ax in axes[-1]:
        ax.set_xlabel("generation")
    fig.suptitle(f"{groups[0][0].config['data']}: mean +- std over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def precision_recall_plot(groups: list[list[Run]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for index, (runs, name) in enumerate(zip(groups, labels(groups), strict=True)):
        p = np.mean([run.series("precision") for run in runs], axis=0)
        r = np.mean([run.series("recall") for run in runs], axis=0)
        style = _style(index)
        ax.plot(r, p, markersize=3, linewidth=1, label=name, **style)
        ax.plot(r[0], p[0], "o", color=style["color"], markersize=6, fillstyle="none")
        ax.plot(r[-1], p[-1], "s", color=style["color"], markersize=6)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"{groups[0][0].config['data']}: generation 1 (open circle) to last (square)")
    ax.grid(alpha=0.3)
    _legend_beside(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def samples_plot(runs: list[Run], path: Path) -> bool:
    """Grids of generation 1, the middle and the last generation; False without grids."""
    run = runs[0]
    last = run.config["protocol"]["generations"]
    gens = sorted({1, (1 + last) // 2, last})
    files = [run.path / f"gen-{t:03d}" / "samples.png" for t in gens]
    if not all(f.is_file() for f in files):
        return False
    fig, axes = plt.subplots(1, len(gens), figsize=(2.8 * len(gens), 3.0))
    for ax, t, f in zip(np.atleast_1d(axes), gens, files, strict=True):
        with Image.open(f) as png:
            ax.imshow(np.asarray(png), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"generation {t}")
        ax.axis("off")
    p = run.config["protocol"]
    fig.suptitle(
        f"{run.config['data']}: {run.config['model']} {p['name']} lambda={p['bias']:g}, "
        f"seed {p['seed']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return True


def all_plots(groups: list[list[Run]], folder: Path) -> list[str]:
    """Write every plot into ``folder``; return their file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    by_data: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_data.setdefault(runs[0].config["data"], []).append(runs)
    for data, data_groups in sorted(by_data.items()):
        for suffix, plot in (("metrics", metric_plot), ("precision-recall", precision_recall_plot)):
            plot(data_groups, folder / f"{data}-{suffix}.png")
            names.append(f"{data}-{suffix}.png")
        for runs in data_groups:
            name = f"{data}-{runs[0].setting_hash()}-samples.png"
            if samples_plot(runs, folder / name):
                names.append(name)
    return names
