"""A run directory: everything one ``madbench evaluate`` run writes, written atomically.

```
RUN/
  config.json        resolved configuration (model, model args, data, protocol) and its hash
  provenance.json    madbench version, git commit, package versions, device, data hashes
  gen-001/           checkpoint of generation 1: samples.npy (the synthetic samples later
  gen-002/ ...       generations train on), eval_samples.npy (the exact array it was scored
                     on), labels.npy / eval_labels.npy (conditional models), model/ when the
                     adapter can save, meta.json when it has meta(), samples.png (image
                     data: a grid of evaluation samples); a folder appears only when complete
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
from madbench.runs.threads import thread_report

PACKAGES = ("numpy", "scipy", "torch", "faiss-cpu", "scikit-learn", "clean-fid")


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def provenance(data_hashes: dict) -> dict:
    """Where and with what a run was computed (call it inside the run's pinned threads, so
    that the thread pools it records are the ones the run used)."""
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
        "threads": thread_report(),
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

    def save_generation(
        self,
        t: int,
        samples: np.ndarray,
        evaluation: np.ndarray,
        model,
        labels=None,
        eval_labels=None,
    ) -> None:
        """Checkpoint generation t: its synthetic training draw and its evaluation draw (with
        the labels they were drawn with, for conditional models), the model if it can save,
        and for grayscale images (n, height, width) a PNG grid of evaluation samples."""
        final = self.gen_dir(t)
        tmp = self.path / f".gen-{t:03d}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        arrays = {
            "samples": samples,
            "labels": labels,
            "eval_samples": evaluation,
            "eval_labels": eval_labels,
        }
        for name, array in arrays.items():
            if array is not None:
                np.save(tmp / f"{name}.npy", array)
        if evaluation.ndim == 3:
            save_grid(tmp / "samples.png", evaluation)
        if callable(getattr(model, "save", None)):
            (tmp / "model").mkdir()
            model.save(str(tmp / "model"))
        if callable(getattr(model, "meta", None)):
            (tmp / "meta.json").write_text(json.dumps(model.meta(), indent=2, default=str))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)

    def load_array(self, t: int, name: str) -> np.ndarray:
        """``gen-<t>/<name>.npy``: a plain numeric array (never unpickled)."""
        path = self.gen_dir(t) / f"{name}.npy"
        try:
            array = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise DataFileError(f"{path} is missing") from None
        except (ValueError, OSError, EOFError) as exc:
            raise DataFileError(f"{path}: not a plain numeric array ({exc})") from None
        if array.dtype.kind not in "biuf":
            raise DataFileError(f"{path}: holds {array.dtype} values, not numbers")
        return array

    def load_samples(self, t: int) -> np.ndarray:
        return self.load_array(t, "samples")

    def load_labels(self, t: int) -> np.ndarray:
        return self.load_array(t, "labels")

    # -- results --------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        path = self.path / "results.csv"
        if not path.exists():
            return []
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))

    def write_rows(self, rows: list[dict]) -> None:
        write_results(self.path / "results.csv", rows)

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


def cell_text(value) -> str:
    """A results.csv cell: floats as their shortest exact repr, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def write_results(path: str | os.PathLike, rows: list[dict]) -> None:
    """Rows as a results.csv (columns: :data:`COLUMNS`), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: cell_text(row.get(key)) for key in COLUMNS})
    try:
        atomic_write_text(Path(path), buffer.getvalue())
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
