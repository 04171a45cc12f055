"""Leaderboard plots (PNG, matplotlib's Agg back end), one set per data set.

- ``<data>-metrics.png``: FID, precision and recall (and W2 for vector data) against generation,
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


def label(runs: list[Run], with_protocol: bool = True) -> str:
    config = runs[0].config
    p = config["protocol"]
    sizes = f"n_ini={p['n_ini']}" + (f" n_real={p['n_real']}" if p["name"] == "fresh-data" else "")
    name = f"{config['model']} {p['name']} " if with_protocol else f"{config['model']} "
    return f"{name}lambda={p['bias']:g} {sizes}"


def _band(ax, runs: list[Run], metric: str) -> None:
    series = np.array([run.series(metric) for run in runs])
    t = np.arange(1, series.shape[1] + 1)
    mean = series.mean(axis=0)
    line = ax.plot(t, mean, marker=".", label=label(runs, with_protocol=False))[0]
    if len(runs) > 1:
        std = series.std(axis=0, ddof=1)
        ax.fill_between(t, mean - std, mean + std, color=line.get_color(), alpha=0.2)


def metric_plot(groups: list[list[Run]], path: Path) -> None:
    """One row of panels per protocol, one column per metric, one line per setting."""
    metrics = ["fid", "precision", "recall"]
    if not np.isnan(groups[0][0].series("w2")).all():
        metrics.append("w2")
    by_protocol: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_protocol.setdefault(runs[0].config["protocol"]["name"], []).append(runs)
    fig, axes = plt.subplots(
        len(by_protocol),
        len(metrics),
        figsize=(4.2 * len(metrics), 3.2 * len(by_protocol)),
        squeeze=False,
    )
    for row, (protocol, protocol_groups) in zip(axes, sorted(by_protocol.items()), strict=True):
        for ax, metric in zip(row, metrics, strict=True):
            for runs in protocol_groups:
                _band(ax, runs, metric)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"{protocol}: {metric}", fontsize=10)
            ax.grid(alpha=0.3)
        row[0].legend(fontsize=6)
    for ax in axes[-1]:
        ax.set_xlabel("generation")
    fig.suptitle(f"{groups[0][0].config['data']}: mean +- std over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def precision_recall_plot(groups: list[list[Run]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for runs in groups:
        p = np.mean([run.series("precision") for run in runs], axis=0)
        r = np.mean([run.series("recall") for run in runs], axis=0)
        line = ax.plot(r, p, marker=".", label=label(runs))[0]
        ax.plot(r[0], p[0], "o", color=line.get_color())
        ax.plot(r[-1], p[-1], "s", color=line.get_color())
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"{groups[0][0].config['data']}: generation 1 (o) to last (s)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
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
    fig.suptitle(label(runs))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
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
