"""Experiment trackers: a run's configuration, its every metric per generation and its samples,
sent to TensorBoard, Weights & Biases (offline) or MLflow (a local file store) as the run goes.

One small interface, :class:`Sink`: ``start(config, provenance)`` once, ``generation(t,
metrics, media)`` for every finished generation (t = 0 is the noise floor; ``metrics`` are
the row's numeric cells, float64, the step is t), ``close()`` at the end. ``media`` is the
generation's grid of evaluation samples (uint8 image) or its first documents (text runs).
Several sinks may run at once (``--log tensorboard --log mlflow``). Each writes under
``<log dir>/<tracker>``, outside the run directory (which holds only its own files: W&B
writes links), by default ``logs/<run directory's name>``; each needs its own package
(``pip install 'madbench[trackers]'``);
a missing one is named before the run starts. A resumed run sends the generations done before
first, so every tracker run holds the whole run.

TensorBoard scalars are written as float64 tensors (``double_precision``), so what its reader
reads back equals results.csv; W&B keeps values as JSON, MLflow as text: both exact.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from madbench.errors import InputError

TRACKERS = ("tensorboard", "wandb", "mlflow")
#: Cells that describe the run rather than measure a generation: never logged as metrics.
NOT_METRICS = {"generation", "seed", "bias", "k", "eval_n", "intervals"}
#: Documents a text run's generation sends as media.
TEXTS_SHOWN = 8


def metrics_of(row: dict) -> dict[str, float]:
    """The numeric cells of a results row (but :data:`NOT_METRICS`), as floats."""
    out = {}
    for key, cell in row.items():
        if key in NOT_METRICS or cell in (None, ""):
            continue
        try:
            value = float(cell)
        except (TypeError, ValueError):
            continue
        if np.isfinite(value):
            out[key] = value
    return out


class Sink(Protocol):
    def start(self, config: dict, provenance: dict) -> None: ...

    def generation(self, t: int, metrics: dict[str, float], media: object) -> None: ...

    def close(self) -> None: ...


class TensorBoardSink:
    """Through torch's ``SummaryWriter`` (TensorBoard's event format), into ``folder``."""

    def __init__(self, folder: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(folder))

    def start(self, config: dict, provenance: dict) -> None:
        self.writer.add_text("config", f"```\n{json.dumps(config, indent=2)}\n```")
        self.writer.add_text("provenance", f"```\n{json.dumps(provenance, indent=2)}\n```")

    def generation(self, t: int, metrics: dict[str, float], media: object) -> None:
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, t, new_style=True, double_precision=True)
        if isinstance(media, np.ndarray):
            self.writer.add_image(
                "samples", media, t, dataformats="HW" if media.ndim == 2 else "HWC"
            )
        elif media:
            self.writer.add_text("samples", "\n\n".join(media), t)

    def close(self) -> None:
        self.writer.close()


class WandbSink:
    """A Weights & Biases run in offline mode (``wandb sync`` uploads it later), in ``folder``."""

    def __init__(self, folder: Path, name: str):
        import wandb

        self.wandb, self.folder, self.name, self.run = wandb, folder, name, None

    def start(self, config: dict, provenance: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run = self.wandb.init(
            project="madbench",
            name=self.name,
            dir=str(self.folder),
            mode="offline",
            config={"config": config, "provenance": provenance},
            settings=self.wandb.Settings(silent=True, console="off"),
            reinit="create_new",
        )

    def generation(self, t: int, metrics: dict[str, float], media: object) -> None:
        logged = dict(metrics)
        if isinstance(media, np.ndarray):
            logged["samples"] = self.wandb.Image(media)
        elif media:
            logged["samples"] = self.wandb.Table(columns=["text"], data=[[d] for d in media])
        self.run.log(logged, step=t)

    def close(self) -> None:
        if self.run is not None:
            self.run.finish()


class MlflowSink:
    """An MLflow run in a local file store at ``folder`` (``mlflow ui --backend-store-uri``)."""

    def __init__(self, folder: Path, name: str):
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=folder.resolve().as_uri())
        self.name, self.run_id = name, None

    def start(self, config: dict, provenance: dict) -> None:
        found = self.client.get_experiment_by_name("madbench")
        experiment = found.experiment_id if found else self.client.create_experiment("madbench")
        self.run_id = self.client.create_run(experiment, run_name=self.name).info.run_id
        for key, value in _flat(config).items():
            self.client.log_param(self.run_id, key, value)
        self.client.log_dict(self.run_id, config, "config.json")
        self.client.log_dict(self.run_id, provenance, "provenance.json")

    def generation(self, t: int, metrics: dict[str, float], media: object) -> None:
        for key, value in metrics.items():
            self.client.log_metric(self.run_id, key, value, step=t)
        if isinstance(media, np.ndarray):
            self.client.log_image(self.run_id, media, f"samples/gen-{t:03d}.png")
        elif media:
            self.client.log_text(self.run_id, "\n\n".join(media), f"samples/gen-{t:03d}.txt")

    def close(self) -> None:
        if self.run_id is not None:
            self.client.set_terminated(self.run_id)


def tracker_media(gen_dir: Path) -> object:
    """A committed generation's media: its grid of evaluation samples (``samples.png``, as
    a uint8 array), or a text run's first :data:`TEXTS_SHOWN` documents, or None."""
    grid = gen_dir / "samples.png"
    if grid.is_file():
        from PIL import Image

        with Image.open(grid) as picture:
            return np.asarray(picture.convert("RGB" if picture.mode != "L" else "L"))
    documents = gen_dir / "eval_samples.npy"
    if documents.is_file():
        from madbench.npfiles import load_npy

        array = load_npy(documents)
        if array.dtype.kind == "U":
            return [str(d) for d in array[:TEXTS_SHOWN]]
    return None


def _flat(d: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.dumps(value) if not isinstance(value, str) else value
    return out


def check_trackers(names: list[str] | tuple[str, ...]) -> list[str]:
    """``names``, each a known tracker whose package imports, else InputError saying what to
    install."""
    wheels = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow-skinny"}
    for name in names:
        if name not in TRACKERS:
            raise InputError(f"unknown tracker {name!r}; choose {', '.join(TRACKERS)}")
        try:
            __import__(name)
        except ImportError:
            raise InputError(
                f"--log {name} needs the {name} package: pip install 'madbench[trackers]' "
                f"(or pip install {wheels[name]})"
            ) from None
    return list(dict.fromkeys(names))


def log_folder(run_dir: Path, log_dir: str | os.PathLike | None = None) -> Path:
    """Where a run's trackers write: ``log_dir``, else ``logs/<run directory's name>``."""
    return Path(log_dir) if log_dir is not None else Path("logs") / run_dir.name


def open_sinks(names: list[str], run_dir: Path, logs: Path) -> list[Sink]:
    """One sink per tracker, writing under ``logs/<tracker>``."""
    os.environ.setdefault("WANDB_SILENT", "true")
    # MLflow 3 keeps its file store in maintenance mode, behind this switch; a local folder
    # beside the run is what a run without a tracking server can be sent to.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    made = {
        "tensorboard": lambda: TensorBoardSink(logs / "tensorboard"),
        "wandb": lambda: WandbSink(logs / "wandb", run_dir.name),
        "mlflow": lambda: MlflowSink(logs / "mlflow", run_dir.name),
    }
    return [made[name]() for name in check_trackers(names)]
