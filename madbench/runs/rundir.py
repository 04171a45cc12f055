"""A run directory: everything one ``madbench evaluate`` run writes, written atomically.

```
RUN/
  config.json        resolved configuration (model, model args, data, protocol) and its hash
  provenance.json    madbench version, git commit, package versions, device, data hashes
  gen-001/           checkpoint of generation 1: samples.npy (its synthetic samples),
  gen-002/ ...       labels.npy (conditional models), model/ when the adapter can save,
                     meta.json when it has meta(), samples.png (image data: a grid);
                     a folder appears only when complete
  results.csv        one row per generation (schema: madbench.runs.schema.COLUMNS)
```

Every file is written under a temporary name and renamed into place, and a generation's folder
is renamed into place only once complete, so a run killed at any moment (even mid-write)
leaves only whole files behind; ``--resume`` continues after the last generation that has both
its folder and its row.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from madbench import __version__
from madbench.errors import DataFileError
from madbench.runs.grid import save_grid
from madbench.runs.schema import COLUMNS

PACKAGES = ("numpy", "scipy", "torch", "faiss-cpu", "scikit-learn", "clean-fid")


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def provenance(data_hashes: dict) -> dict:
    """Where and with what a run was computed."""
    import torch

    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
                cwd=Path(__file__).resolve().parent,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "madbench_version": __version__,
        "git_commit": commit,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "data_sha256": data_hashes,
    }


class RunDir:
    """Reading and writing one run directory."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- creation -------------------------------------------------------------------------
    def create(self, config: dict, prov: dict) -> None:
        if (self.path / "config.json").exists():
            raise DataFileError(
                f"{self.path} already holds a run; continue it with --resume {self.path} "
                "or choose another --out"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path / "provenance.json", json.dumps(prov, indent=2))
            atomic_write_text(
                self.path / "config.json", json.dumps(config, indent=2, sort_keys=True)
            )
        except OSError as exc:
            raise DataFileError(
                f"{self.path}: cannot write the run directory ({exc.strerror or exc})"
            ) from None

    def config(self) -> dict:
        try:
            return json.loads((self.path / "config.json").read_text())
        except FileNotFoundError:
            raise DataFileError(f"{self.path}: no run here (config.json is missing)") from None
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{self.path}/config.json is corrupt ({exc})") from None

    # -- generations ----------------------------------------------------------------------
    def gen_dir(self, t: int) -> Path:
        return self.path / f"gen-{t:03d}"

    def save_generation(self, t: int, samples: np.ndarray, model, labels=None, grid=None) -> None:
        """Checkpoint generation t: its synthetic samples (and the labels they were drawn
        with, for conditional models), the model if it can save, and for image data a PNG
        grid of ``grid`` (evaluation samples)."""
        final = self.gen_dir(t)
        tmp = self.path / f".gen-{t:03d}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        np.save(tmp / "samples.npy", samples)
        if labels is not None:
            np.save(tmp / "labels.npy", labels)
        if grid is not None:
            save_grid(tmp / "samples.png", grid)
        if callable(getattr(model, "save", None)):
            (tmp / "model").mkdir()
            model.save(str(tmp / "model"))
        if callable(getattr(model, "meta", None)):
            (tmp / "meta.json").write_text(json.dumps(model.meta(), indent=2, default=str))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)

    def load_samples(self, t: int) -> np.ndarray:
        return np.load(self.gen_dir(t) / "samples.npy")

    def load_labels(self, t: int) -> np.ndarray:
        return np.load(self.gen_dir(t) / "labels.npy")

    # -- results --------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        path = self.path / "results.csv"
        if not path.exists():
            return []
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))

    def write_rows(self, rows: list[dict]) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(row.get(key)) for key in COLUMNS})
        atomic_write_text(self.path / "results.csv", buffer.getvalue())

    def completed(self) -> list[dict]:
        """Rows of the generations that finished (status ok, with a checkpoint for t >= 1),
        in order, stopping at the first gap."""
        done = []
        for expected, row in enumerate(self.rows()):
            t = int(row["generation"])
            if t != expected or row["status"] != "ok" or (t >= 1 and not self.gen_dir(t).is_dir()):
                break
            done.append(row)
        return done

    def clean_after(self, t: int) -> None:
        """Drop checkpoints and temporary files of generations after t (a crashed run's debris)."""
        for child in self.path.iterdir():
            name = child.name
            if name.startswith(".gen-") or name.startswith(".results.csv.tmp"):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
            elif name.startswith("gen-") and int(name[4:]) > t:
                shutil.rmtree(child)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value
