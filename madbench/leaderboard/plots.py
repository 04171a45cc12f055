"""Leaderboard plots (PNG, matplotlib's Agg back end), one set per data set.

- ``<data>-metrics.png``: every metric the runs computed (:data:`PLOTTED`: FID, precision,
  recall, density, coverage, KID, W2, Vendi, C_T, memorised, and for text the held-out
  perplexity, its tail mass, distinct-2, self-BLEU, vocabulary and bigram recall) against
  generation, a row per metric and a column per protocol with the y-axis shared along the
  row, one line per setting (one colour and marker per label, alike in every panel), the seed
  mean with a band of +- one std over seeds, and generation 0's noise floor as a grey band;
  one legend below;
- ``<data>-precision-recall.png``: each setting's (recall, precision) trajectory over
  generations, from generation 1 (circle) to the last (square), in the same colours;
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

from madbench.errors import DataFileError  # noqa: E402
from madbench.imagefiles import unreadable_image_errors  # noqa: E402
from madbench.leaderboard.build import Run  # noqa: E402

#: Line styles: every label (setting) gets its own colour and marker.
COLOURS = plt.get_cmap("tab10").colors
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
    """One label per setting, naming only what differs between the settings of one protocol
    (the protocol has its own column, and what it implies, such as n_synth, is not repeated);
    the model and lambda when nothing does. A field a setting lacks (an argument another
    model takes) is left out of its label."""
    flat = [_flat(runs[0].setting()) for runs in groups]
    keys = [k for k in dict.fromkeys(k for f in flat for k in f) if k != "protocol.name"]
    by_protocol: dict[str, list[dict]] = {}
    for f in flat:
        by_protocol.setdefault(f.get("protocol.name"), []).append(f)
    differ = [
        k for k in keys if any(len({repr(f.get(k)) for f in fs}) > 1 for fs in by_protocol.values())
    ]
    shown = differ or ["model", "protocol.bias"]
    short = {"protocol.bias": "lambda"}

    def part(f, key):
        if key == "model":
            return str(f.get(key)).rsplit(":", 1)[-1]
        return f"{short.get(key, key.split('.')[-1])}={f[key]}" if key in f else ""

    return [" ".join(filter(None, (part(f, key) for key in shown))) for f in flat]


def _styles(names: list[str]) -> dict[str, dict]:
    """One colour and marker per label, the same in every panel and row."""
    return {
        name: {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[i % len(MARKERS)]}
        for i, name in enumerate(dict.fromkeys(names))
    }


def _band(ax, runs: list[Run], metric: str, name: str, style: dict) -> None:
    series = np.array([run.series(metric) for run in runs])
    t = np.arange(1, series.shape[1] + 1)
    mean = series.mean(axis=0)
    ax.plot(t, mean, markersize=3, linewidth=1.2, label=name, **style)
    if len(runs) > 1:
        std = series.std(axis=0, ddof=1)
        ax.fill_between(t, mean - std, mean + std, color=style["color"], alpha=0.15)


FLOOR = "generation 0 (real vs held-out): mean +- std of one draw"


def _floor(ax, groups: list[list[Run]], metric: str) -> None:
    """Generation 0's value (the noise floor) over every run of the panel, as a grey band:
    mean +- the std of one draw. For FID, from each run's floor over several draws where it
    has one (run format 6: ``fid_floor``, ``fid_floor_sd``), the std pooling the draws'
    spread within runs and the runs' spread."""
    firsts = [run.rows[0] for runs in groups for run in runs]
    floors = [r for r in firsts if metric == "fid" and r.get("fid_floor_sd") not in (None, "")]
    if floors and len(floors) == len(firsts):
        means = np.array([float(r["fid_floor"]) for r in floors])
        within = np.mean([float(r["fid_floor_sd"]) ** 2 for r in floors])
        mean, std = float(means.mean()), float(np.sqrt(within + means.var()))
    else:
        values = [float(r[metric]) for r in firsts if r.get(metric) not in (None, "")]
        if not values:
            return
        mean, std = float(np.mean(values)), float(np.std(values))
    ax.axhspan(mean - std, mean + std, color="0.6", alpha=0.25, linewidth=0)
    ax.axhline(mean, color="0.4", linestyle="--", linewidth=0.8, label=FLOOR)


def _figure_legend(fig, axes, ncol: int = 4) -> None:
    """One legend for the figure, below the panels (never over a curve), entries once each."""
    entries = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(
            entries.values(), entries.keys(), loc="lower center", ncol=min(ncol, len(entries)),
            fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.0),
        )  # fmt: skip


def _panels(groups: list[list[Run]]) -> tuple[dict, dict, dict]:
    """What a figure of panels per protocol needs: each group's label (by ``id``), each
    label's style, and the groups of each protocol."""
    names = dict(zip(map(id, groups), labels(groups), strict=True))
    by_protocol: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_protocol.setdefault(runs[0].config["protocol"]["name"], []).append(runs)
    return names, _styles(list(names.values())), by_protocol


#: Every metric a leaderboard plots, in this order (those no run computed are left out).
PLOTTED = ("fid", "precision", "recall", "density", "coverage", "kid", "w2", "vendi", "ct",
           "memorised", "perplexity", "tail_mass", "distinct_2", "self_bleu", "vocabulary",
           "ngram2_recall")  # fmt: skip


def metric_plot(groups: list[list[Run]], path: Path) -> None:
    """One row per metric, one column per protocol, the y-axis shared along a row; one line
    per setting (colour and marker by label, alike in every panel), the seeds' mean with a
    band of +- one std, and generation 0's floor as a grey band."""
    metrics = [m for m in PLOTTED if any(not np.isnan(r[0].series(m)).all() for r in groups)]
    names, styles, by_protocol = _panels(groups)
    protocols = sorted(by_protocol)
    fig, axes = plt.subplots(
        len(metrics), len(protocols), sharey="row", sharex=True, squeeze=False,
        figsize=(3.6 * len(protocols) + 0.8, 2.3 * len(metrics) + 1.2),
    )  # fmt: skip
    for row, metric in zip(axes, metrics, strict=True):
        for ax, protocol in zip(row, protocols, strict=True):
            _floor(ax, by_protocol[protocol], metric)
            for runs in by_protocol[protocol]:
                _band(ax, runs, metric, names[id(runs)], styles[names[id(runs)]])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
        row[0].set_ylabel(metric, fontsize=10)
    for ax, protocol in zip(axes[0], protocols, strict=True):
        ax.set_title(protocol, fontsize=11)
    for ax in axes[-1]:
        ax.set_xlabel("generation", fontsize=9)
    fig.suptitle(f"{groups[0][0].config['data']}: mean +- std over seeds", fontsize=12)
    ncol = 2 if len(protocols) == 1 else 4
    legend_inches = 0.22 * -(-(len(styles) + 1) // ncol)  # rows of entries
    fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 0.98))
    _figure_legend(fig, axes, ncol)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def precision_recall_plot(groups: list[list[Run]], path: Path) -> None:
    """Each setting's (recall, precision) trajectory, generation 1 (open circle) to the last
    (square): a panel per protocol on shared axes, the colours and markers of the metrics
    figure."""
    names, styles, by_protocol = _panels(groups)
    protocols = sorted(by_protocol)
    fig, axes = plt.subplots(
        1, len(protocols), sharex=True, sharey=True, squeeze=False,
        figsize=(3.8 * len(protocols) + 0.8, 4.2),
    )  # fmt: skip
    for ax, protocol in zip(axes[0], protocols, strict=True):
        for runs in by_protocol[protocol]:
            p = np.mean([run.series("precision") for run in runs], axis=0)
            r = np.mean([run.series("recall") for run in runs], axis=0)
            style = styles[names[id(runs)]]
            ax.plot(r, p, markersize=3, linewidth=1, label=names[id(runs)], **style)
            ax.plot(r[0], p[0], "o", color=style["color"], markersize=7, fillstyle="none")
            ax.plot(r[-1], p[-1], "s", color=style["color"], markersize=6)
        ax.set_title(protocol, fontsize=11)
        ax.set_xlabel("recall", fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axes[0][0].set_ylabel("precision", fontsize=9)
    fig.suptitle(
        f"{groups[0][0].config['data']}: generation 1 (open circle) to the last (square), "
        "mean over seeds", fontsize=11,
    )  # fmt: skip
    fig.tight_layout(rect=(0, 0.22 * -(-len(styles) // 4) / fig.get_figheight(), 1, 1))
    _figure_legend(fig, axes)
    fig.savefig(path, dpi=100, bbox_inches="tight")
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
        try:
            with Image.open(f) as png:
                ax.imshow(np.asarray(png), cmap="gray", vmin=0, vmax=255)
        except unreadable_image_errors() as exc:
            plt.close(fig)
            raise DataFileError(f"{f}: not a readable sample grid ({exc})") from None
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


def all_plots(groups: list[list[Run]], folder: Path) -> list[tuple[str, str]]:
    """Write every plot into ``folder``; return their file names, each with a title in words
    (for the page's contents)."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = []
    by_data: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_data.setdefault(runs[0].config["data"], []).append(runs)
    for data, data_groups in sorted(by_data.items()):
        metric_plot(data_groups, folder / f"{data}-metrics.png")
        plots.append((f"{data}-metrics.png", f"{data}: every metric by generation"))
        precision_recall_plot(data_groups, folder / f"{data}-precision-recall.png")
        plots.append((f"{data}-precision-recall.png", f"{data}: precision against recall"))
        for runs, name in zip(data_groups, labels(data_groups), strict=True):
            file = f"{data}-{runs[0].setting_hash()}-samples.png"
            if samples_plot(runs, folder / file):
                protocol = runs[0].config["protocol"]["name"]
                plots.append((file, f"{data}: samples, {protocol} {name}"))
    return plots
