"""A run directory: everything one ``madbench evaluate`` run writes, atomically and verifiably.

```
RUN/
  config.json        resolved configuration (model, model args, data, protocol, scoring),
                     provenance_sha256 (of provenance.json) and config_sha256 (of the rest)
  provenance.json    madbench version, git commit, package versions, device, data hashes
  gen-000/           generation 0 (the noise floor): its manifest.json only
  gen-001/           generation 1: samples.npy (the synthetic samples later generations train
  gen-002/ ...       on), eval_samples.npy (the exact array it was scored on), labels.npy /
                     eval_labels.npy (conditional models), model/ when the adapter can save,
                     meta.json when it has meta(), samples.png (image data), and manifest.json:
                     the sha256 of every other file and the generation's results.csv row
  gen-NNN.error.log  the adapter's full traceback, when generation NNN failed
  results.csv        one row per generation (schema: madbench.runs.schema.COLUMNS)
  .lock              the one writer's lock (madbench.runs.lock)
```

Every file is fsynced under a temporary name and renamed into place, and a generation's folder
is renamed into place only once complete, manifest included, so a run killed at any moment
leaves only whole files behind. :meth:`RunDir.verify` checks a run before anything continues,
re-scores or publishes it: config.json against its hash, every kept file against its
generation's manifest, every results.csv row against the row its manifest recorded, and every
row against the configuration. Whatever differs is refused by name; nothing is ever deleted
but the temporary files of dead processes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench import __version__
from madbench.atomic import atomic_write_text, fsync_path, fsync_tree
from madbench.digests import file_sha256
from madbench.errors import DataFileError, InputError, one_line
from madbench.npfiles import load_npy
from madbench.runs.grid import save_grid
from madbench.runs.schema import COLUMNS, COLUMNS_BY_FORMAT
from madbench.runs.threads import thread_report

if TYPE_CHECKING:
    from madbench.loops.config import RunConfig

PACKAGES = (
    "numpy",
    "scipy",
    "torch",
    "faiss-gpu",
    "faiss-cpu",
    "scikit-learn",
    "clean-fid",
    "timm",
)
MANIFEST = "manifest.json"
GENERATION = re.compile(r"gen-(\d{3,})")
#: Temporary names of this module and of madbench.leaderboard.publish: ``.NAME.tmp-PID``.
TEMPORARY = re.compile(r"\..+\.tmp-\d+")
RESTORE_HINT = "restore it, or start a new run with --out"
#: The fields config.json adds to the configuration: hashes of itself and of provenance.json.
SEALS = ("config_sha256", "provenance_sha256")


def config_sha256(config: dict) -> str:
    """sha256 of config.json's content without its ``config_sha256`` field."""
    content = {key: value for key, value in config.items() if key != "config_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_json(path: Path, what: str) -> dict:
    """A JSON object from ``path``, or a one-line :class:`DataFileError`."""
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataFileError(f"{path} is missing ({what})") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataFileError(f"{path} is corrupt ({what}): {one_line(exc)}") from None
    if not isinstance(value, dict):
        raise DataFileError(f"{path} is corrupt ({what}): not a JSON object")
    return value


def source_commit() -> dict:
    """The git commit of madbench's own checkout and whether it has uncommitted changes; both
    None when madbench is installed (not run from its checkout), even inside another repo."""
    root = Path(__file__).resolve().parents[2]

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5
        )

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode or Path(top.stdout.strip()).resolve() != root:
            return {"git_commit": None, "git_dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {
            "git_commit": git("rev-parse", "HEAD").stdout.strip() or None,
            "git_dirty": bool(status.stdout.strip()),
        }
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}


def provenance(
    data_hashes: dict, features: dict | None = None, model_source: str | None = None
) -> dict:
    """Where and with what a run was computed (call it inside the run's pinned threads, so
    that the thread pools it records are the ones the run used); ``features``: the feature
    space's name and the sha256 of its weights (None for identity); ``model_source``: what the
    model starts from beyond its arguments (:func:`madbench.adapters.source_digest`)."""
    import torch

    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "madbench_version": __version__,
        **source_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "threads": thread_report(),
        "data_sha256": data_hashes,
        "features": features,
        "model_source": model_source,
    }


def check_features(recorded: dict, features: dict) -> None:
    """Refuse to continue or re-score a run in other feature weights than it was scored in
    (``recorded``: its provenance; ``features``: name and sha256 of the weights at hand)."""
    before = recorded.get("features")
    if before is not None and before != features:
        raise DataFileError(
            f"the run was scored in {before['name']} with weights sha256 "
            f"{str(before['sha256'])[:12]}...; these are {features['name']}, sha256 "
            f"{str(features['sha256'])[:12]}...: pass the weights file the run used "
            "(--feature-weights PATH)"
        )


def check_model_source(recorded: dict, source: str | None) -> None:
    """Refuse to continue a run from other starting weights than it began with."""
    before = recorded.get("model_source")
    if before != source:
        raise DataFileError(
            f"the run's model started from {before}; the model now starts from {source}: "
            "pass the weights the run used, or start a new run"
        )


def check_data(recorded: dict, hashes: dict, name: str) -> None:
    """Refuse to continue, re-score or publish a run on other data than it used
    (``recorded``: its provenance; ``hashes``: ``{file: sha256}`` of data set ``name`` now,
    :func:`madbench.data.datasets.file_hashes`)."""
    before = recorded.get("data_sha256", {})
    if before == hashes:
        return
    changed = [
        f"{file}: the run used sha256 {str(before.get(file, 'no such file'))[:12]}, the data "
        f"set now has {str(hashes.get(file, 'no such file'))[:12]}"
        for file in sorted(set(before) | set(hashes))
        if before.get(file) != hashes.get(file)
    ]
    raise DataFileError(
        f"data set {name!r} is not the data this run used ({'; '.join(changed)}): restore "
        "the data the run used (madbench data remove, then data add the old files), or "
        "start a new run"
    )


def check_run_data(run_dir: RunDir, config: dict) -> None:
    """:func:`check_data` for the data set ``config`` (the run's config.json) names, from its
    manifest alone (no file is read). A data set not registered on this machine has nothing
    to compare (a leaderboard may be built where the data is not)."""
    from madbench.data.datasets import file_hashes, get_dataset
    from madbench.errors import InputError

    try:
        dataset = get_dataset(config["data"], data_dir=config.get("data_dir"))
    except InputError:
        return
    check_data(run_dir.provenance(), file_hashes(dataset), config["data"])


def default_run_dir(config: RunConfig) -> str:
    """``runs/DATA-MODEL-PROTOCOL-HASH`` for a :class:`~madbench.loops.config.RunConfig`:
    HASH is the protocol's content hash, followed by a hash of the model arguments when there
    are any and by the feature space when it is not the data set's default, so runs that differ
    only in them never share a folder."""
    slug = config.model.replace(":", "-").replace(".", "-").replace("/", "-")
    name = f"{config.data}-{slug}-{config.protocol.name}-{config.protocol.content_hash()}"
    if config.model_args:
        text = json.dumps(config.model_args, sort_keys=True, default=str)
        name += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    if config.scoring.features:
        name += "-" + re.sub(r"[^A-Za-z0-9]+", "-", config.scoring.features)
    return f"runs/{name}"


@dataclass
class Verified:
    """What :meth:`RunDir.verify` found: the configuration, the rows of the complete
    generations (from their manifests, equal to results.csv's), the failed row results.csv
    holds after them (if any), and how many complete rows results.csv lacks (a run killed
    between a generation's folder and its row)."""

    config: dict
    rows: list[dict]
    failed: dict | None
    missing_rows: int


class RunDir:
    """Reading, writing and verifying one run directory. ``without_models``: a run unpacked
    from a leaderboard pack (``madbench leaderboard pack``), whose model checkpoints were left
    out: their manifest entries are not required to be present (every other file is)."""

    def __init__(self, path: str | os.PathLike, *, without_models: bool = False):
        self.path = Path(path)
        self.without_models = without_models

    # -- configuration --------------------------------------------------------------------
    def check_new(self) -> None:
        """Refuse a folder that already holds a run (a new run never overwrites one)."""
        if (self.path / "config.json").exists():
            raise DataFileError(
                f"{self.path} already holds a run; continue it with --resume {self.path} "
                "or choose another --out"
            )

    def create(self, config: dict, prov: dict) -> None:
        """Write config.json (sealed with its hash) and provenance.json of a new run."""
        self.check_new()
        prov_text = json.dumps(prov, indent=2)
        sealed = {**config, "provenance_sha256": hashlib.sha256(prov_text.encode()).hexdigest()}
        sealed["config_sha256"] = config_sha256(sealed)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path / "provenance.json", prov_text)
            atomic_write_text(
                self.path / "config.json", json.dumps(sealed, indent=2, sort_keys=True)
            )
        except OSError as exc:
            raise DataFileError(
                f"{self.path}: cannot write the run directory ({exc.strerror or exc})"
            ) from None

    def _sealed(self) -> dict:
        """config.json as written, checked against its ``config_sha256`` (format 3 on)."""
        if not (self.path / "config.json").exists():
            raise DataFileError(f"{self.path}: no run here (config.json is missing)")
        config = read_json(self.path / "config.json", "the run's configuration")
        if "config_sha256" in config and config["config_sha256"] != config_sha256(config):
            raise DataFileError(
                f"{self.path}/config.json was edited after the run started (its content no "
                f"longer matches its config_sha256); {RESTORE_HINT}"
            )
        return config

    def config(self) -> dict:
        """The run's configuration: config.json, checked, without its two hash fields."""
        return {key: value for key, value in self._sealed().items() if key not in SEALS}

    def provenance(self) -> dict:
        """provenance.json, checked against the hash config.json holds of it."""
        path = self.path / "provenance.json"
        digest = self._sealed().get("provenance_sha256")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataFileError(f"{path} is unreadable ({exc.strerror or exc})") from None
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            raise DataFileError(f"{path} differs from the one the run wrote; {RESTORE_HINT}")
        prov = read_json(path, "the run's provenance")
        if not isinstance(prov.get("madbench_version"), str) or not isinstance(
            prov.get("data_sha256"), dict
        ):
            raise DataFileError(f"{path} lacks madbench_version or data_sha256")
        return prov

    # -- generations ----------------------------------------------------------------------
    def gen_dir(self, t: int) -> Path:
        return self.path / f"gen-{t:03d}"

    def stage(self, t: int) -> Path:
        """An empty temporary folder for generation t's files (see :meth:`commit`)."""
        tmp = self.path / f".gen-{t:03d}.tmp-{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()  # the link only: clean-up never follows one
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return tmp

    def save_arrays(self, tmp: Path, t: int, arrays: dict) -> None:
        """Generation t's arrays as ``<name>.npy`` (None: skipped), and for images (n, height,
        width) or (n, height, width, 3) a PNG grid of the evaluation samples, titled with run
        and t."""
        for name, array in arrays.items():
            if array is not None:
                np.save(tmp / f"{name}.npy", array)
        evaluation = arrays.get("eval_samples")
        if evaluation is not None and (
            evaluation.ndim == 3 or (evaluation.ndim == 4 and evaluation.shape[-1] == 3)
        ):
            save_grid(tmp / "samples.png", evaluation, f"{self.path.name}, generation {t}")

    def commit(self, t: int, tmp: Path, row: dict) -> None:
        """Seal the staged folder with its manifest (every file's sha256 and the row) and
        rename it into place as ``gen-<t>``; a generation folder is never replaced."""
        final = self.gen_dir(t)
        if final.exists():
            raise DataFileError(f"{final} already exists; a finished generation is never replaced")
        files = {
            path.relative_to(tmp).as_posix(): file_sha256(path)
            for path in sorted(tmp.rglob("*"))
            if path.is_file()
        }
        manifest = {"generation": t, "row": row_cells(row), "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        fsync_tree(tmp)
        os.replace(tmp, final)
        fsync_path(self.path)

    def load_array(self, t: int, name: str) -> np.ndarray:
        """``gen-<t>/<name>.npy``: a plain numeric array, or a 1-D str array of documents
        (text runs); never unpickled."""
        path = self.gen_dir(t) / f"{name}.npy"
        array = load_npy(path)
        if array.dtype.kind not in "biuf" and not (array.dtype.kind == "U" and array.ndim == 1):
            raise DataFileError(f"{path}: holds {array.dtype} values, not numbers or documents")
        return array

    def load_samples(self, t: int) -> np.ndarray:
        return self.load_array(t, "samples")

    def load_labels(self, t: int) -> np.ndarray:
        return self.load_array(t, "labels")

    def error_log(self, t: int) -> Path:
        """Where generation t's adapter traceback goes when it fails."""
        return self.path / f"gen-{t:03d}.error.log"

    def clean_temporary(self) -> None:
        """Remove the temporary files and folders of dead writers (call it holding the lock:
        then no live process owns one)."""
        for child in self.path.iterdir():
            if TEMPORARY.fullmatch(child.name):  # a link: the link only, never its target
                shutil.rmtree(
                    child
                ) if child.is_dir() and not child.is_symlink() else child.unlink()

    # -- results --------------------------------------------------------------------------
    def rows(self) -> list[dict] | None:
        """results.csv's rows as text cells, checked for its columns; None when it is absent.
        An unreadable file is refused, with what to do: the manifests hold every row."""
        path = self.path / "results.csv"
        hint = (
            "nothing was deleted: move it aside and run madbench evaluate --resume "
            f"{self.path}, which rebuilds it from the generations' manifests"
        )
        try:
            with open(path, newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                body = list(reader)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataFileError(f"{path} is unreadable ({exc}); {hint}") from None
        run_format = self._sealed().get("format")
        columns = list(COLUMNS_BY_FORMAT.get(run_format, ()))
        if not columns:
            raise DataFileError(
                f"{path}: this madbench knows no results.csv columns for run format "
                f"{run_format!r} (it reads formats {sorted(COLUMNS_BY_FORMAT)})"
            )
        if header != columns:
            raise DataFileError(f"{path} does not have results.csv's columns; {hint}")
        for number, cells in enumerate(body, start=2):
            if len(cells) != len(columns):
                raise DataFileError(
                    f"{path}, line {number}: {len(cells)} cells, not {len(columns)}; {hint}"
                )
        return [dict(zip(columns, cells, strict=True)) for cells in body]

    def write_rows(self, rows: list[dict]) -> None:
        write_results(self.path / "results.csv", rows)

    # -- verification ---------------------------------------------------------------------
    def generations(self) -> list[int]:
        """The t of every ``gen-NNN`` folder, sorted (other names are not the run's)."""
        found = []
        for child in self.path.iterdir():
            match = GENERATION.fullmatch(child.name)
            if match and child.is_dir():
                found.append(int(match.group(1)))
        return sorted(found)

    def _manifest(self, t: int) -> dict:
        """Generation t's manifest, with its files checked against their sha256."""
        folder = self.gen_dir(t)
        manifest = read_json(folder / MANIFEST, f"generation {t}'s manifest")
        files, row = manifest.get("files"), manifest.get("row")
        if (
            manifest.get("generation") != t
            or not isinstance(files, dict)
            or not isinstance(row, dict)
        ):
            raise DataFileError(f"{folder}/{MANIFEST} is corrupt; {RESTORE_HINT}")
        present = {
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and path != folder / MANIFEST
        }
        added = sorted(present - set(files))
        if added:
            raise DataFileError(
                f"{folder}/{added[0]} is not in its manifest (added later); remove it"
            )
        for name, digest in sorted(files.items()):
            path = folder / name
            if name not in present and self.without_models and name.startswith("model/"):
                continue
            if name not in present:
                raise DataFileError(f"{path} is missing; {RESTORE_HINT}")
            if file_sha256(path) != digest:
                raise DataFileError(
                    f"{path} differs from the file generation {t} wrote (sha256 mismatch): it "
                    f"was edited or damaged; {RESTORE_HINT}"
                )
        return row

    def _refuse_links(self) -> None:
        """A run holds only its own files and folders: a symbolic link anywhere in it (to a
        file or a folder, a generation folder itself) is refused, never followed."""
        for root, folders, files in os.walk(self.path):  # os.walk does not descend into links
            for name in (*folders, *files):
                path = Path(root) / name
                if path.is_symlink() and not TEMPORARY.fullmatch(name):  # clean-up unlinks those
                    raise DataFileError(
                        f"{path} is a symbolic link; a run holds only its own files and folders: "
                        f"remove it ({RESTORE_HINT})"
                    )

    def _check_protocol(self, config: dict) -> None:
        """config.json's ``protocol_hash`` is its protocol's hash (a field edited and the file
        resealed is caught here), and a protocol of this madbench's version is a valid one."""
        from madbench.loops.protocol import PROTOCOL_VERSION, Protocol

        protocol = config.get("protocol")
        if not isinstance(protocol, dict):
            raise DataFileError(f"{self.path}/config.json holds no protocol; {RESTORE_HINT}")
        text = json.dumps(protocol, sort_keys=True, separators=(",", ":"))
        if hashlib.sha256(text.encode()).hexdigest()[:16] != config.get("protocol_hash"):
            raise DataFileError(
                f"{self.path}/config.json: protocol_hash {config.get('protocol_hash')!r} does "
                f"not fit its protocol (a field was edited); {RESTORE_HINT}"
            )
        if protocol.get("version") == PROTOCOL_VERSION:
            try:
                Protocol(**protocol)
            except (TypeError, InputError) as exc:
                raise DataFileError(
                    f"{self.path}/config.json: not a valid protocol ({one_line(exc)}); "
                    f"{RESTORE_HINT}"
                ) from None

    def verify(self) -> Verified:
        """Check everything the run holds (module docstring); refuse the first difference."""
        self._refuse_links()
        config = self.config()
        if "config_sha256" not in self._sealed():
            raise DataFileError(
                f"{self.path}: written by an older madbench (run format "
                f"{config.get('format', 1)}) without checksums, so it cannot be verified; "
                "re-run it, or use the madbench that wrote it (provenance.json names it)"
            )
        self._check_protocol(config)
        expected = {
            "protocol_hash": str(config.get("protocol_hash")),
            "seed": str(config.get("protocol", {}).get("seed")),
            "data": str(config.get("data")),
            "model": str(config.get("model")),
        }
        done = self.generations()
        rows = []
        for t in range(len(done)):
            if done[t] != t:
                raise DataFileError(
                    f"{self.gen_dir(done[t])} exists but {self.gen_dir(t)} does not; {RESTORE_HINT}"
                )
            row = self._manifest(t)
            for key, value in {**expected, "generation": str(t), "status": "ok"}.items():
                if row.get(key) != value:
                    raise DataFileError(
                        f"{self.gen_dir(t)}/{MANIFEST}: its row has {key} {row.get(key)!r}, "
                        f"but config.json says {value!r}; {RESTORE_HINT}"
                    )
            rows.append(row)
        return self._against_results(config, rows)

    def _against_results(self, config: dict, rows: list[dict]) -> Verified:
        recorded = self.rows()
        if recorded is None:
            return Verified(config, rows, None, len(rows))
        failed = None
        if len(recorded) > len(rows):
            extra = recorded[len(rows)]
            last = config.get("protocol", {}).get("generations")
            if (
                len(recorded) > len(rows) + 1
                or extra["status"] != "failed"
                or extra["generation"] != str(len(rows))
                or not isinstance(last, int)
                or len(rows) > last  # a failed generation past the protocol's last
            ):
                raise DataFileError(
                    f"{self.path}/results.csv has a row for generation {extra['generation']} "
                    "that no finished generation backs; restore results.csv, or move it "
                    "aside: --resume rebuilds it from the manifests"
                )
            failed = extra
        for t, (row, manifest_row) in enumerate(zip(recorded, rows, strict=False)):
            for key in row:  # the columns of the run's own format
                if row[key] != manifest_row.get(key, ""):
                    raise DataFileError(
                        f"{self.path}/results.csv: generation {t}'s {key} is {row[key]!r}, but "
                        f"the generation recorded {manifest_row.get(key, '')!r}: results.csv "
                        "was edited; restore it, or move it aside: --resume rebuilds it from "
                        "the manifests"
                    )
        missing = max(0, len(rows) - len(recorded))
        if missing > 1 or (missing and failed):
            raise DataFileError(
                f"{self.path}/results.csv lacks the rows of generations "
                f"{len(recorded)}..{len(rows) - 1}; restore it, or move it aside: --resume "
                "rebuilds it from the manifests"
            )
        return Verified(config, rows, failed, missing)


def row_cells(row: dict) -> dict:
    """A row as the text cells results.csv holds (columns: :data:`COLUMNS`)."""
    return {key: cell_text(row.get(key)) for key in COLUMNS}


def cell_text(value: object) -> str:
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
        writer.writerow(row_cells(row))
    try:
        atomic_write_text(Path(path), buffer.getvalue())
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
