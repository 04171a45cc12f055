"""Sample texts for a text leaderboard's page, as image boards show sample grids: each
setting's first seed, its first :data:`SHOWN` evaluation documents at generation 1, the middle
generation and the last (read from the run's verified ``eval_samples.npy``)."""

from __future__ import annotations

from madbench.data.text import is_text
from madbench.leaderboard.build import Run
from madbench.leaderboard.plots import labels
from madbench.runs.rundir import RunDir

#: Documents shown per generation.
SHOWN = 5


def generation_texts(run: Run) -> list[tuple[int, list[str]]]:
    """(generation, its first :data:`SHOWN` documents) at generation 1, the middle and the
    last; empty when the run's samples are not documents."""
    last = run.config["protocol"]["generations"]
    run_dir = RunDir(run.path)
    shown = []
    for t in sorted({1, (1 + last) // 2, last}):
        samples = run_dir.load_array(t, "eval_samples")
        if not is_text(samples):
            return []
        shown.append((t, [str(doc) for doc in samples[:SHOWN]]))
    return shown


def sample_texts(groups: list[list[Run]]) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """For each text setting of ``groups``, by data set: its title in words (labelled as the
    plots label it) and :func:`generation_texts` of its first seed."""
    by_data: dict[str, list[list[Run]]] = {}
    for runs in groups:
        by_data.setdefault(runs[0].config["data"], []).append(runs)
    out = []
    for data, data_groups in sorted(by_data.items()):
        for runs, name in zip(data_groups, labels(data_groups), strict=True):
            first = min(runs, key=lambda r: r.config["protocol"]["seed"])
            shown = generation_texts(first)
            if shown:
                p = first.config["protocol"]
                out.append((f"{data}: sample texts, {p['name']} {name}, seed {p['seed']}", shown))
    return out
