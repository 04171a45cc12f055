"""Data-set manifests and verification against them.

The shipped manifests are package data (``madbench/resources/manifests/``); the ones a user
adds with ``madbench data add`` live in ``$MADBENCH_HOME/manifests/`` (:mod:`madbench.home`).

A manifest names a data set's files with the size and sha256 of their *uncompressed* bytes
(so any gzip packaging of the same data verifies), their shapes, the splits, the source and
the licence. :func:`verify` checks every file before use and refuses, naming the file, on any
mismatch.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from madbench.atomic import atomic_write_text
from madbench.data.domain import Domain
from madbench.data.idx import read_bytes
from madbench.errors import DataFileError, one_line
from madbench.home import find, shipped, user
from madbench.types import PathLike


class VerificationError(DataFileError):
    """A data file that is missing or differs from its manifest."""


class NotInstalledError(VerificationError):
    """A stored data set none of whose files is there: not installed, rather than damaged."""


def installed(manifest: Manifest, directory: PathLike) -> bool:
    """Whether any of the manifest's files is in ``directory`` (else: not installed)."""
    return any((Path(directory) / entry.path).exists() for entry in manifest.files.values())


@dataclass(frozen=True)
class FileEntry:
    key: str
    path: str
    bytes: int
    sha256: str
    shape: tuple[int, ...]


def file_entry(path: str, data: bytes, shape: tuple[int, ...]) -> dict:
    """A manifest's record of one file: its name in the data folder, size, array shape and
    sha256, as :func:`verify` checks them."""
    return {
        "path": path,
        "bytes": len(data),
        "shape": list(shape),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str  # "image", "vector" or "text"
    source: str
    licence: str
    location: str | None
    files: dict[str, FileEntry] = field(default_factory=dict)
    splits: dict[str, dict] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None
    classes: int | None = None
    feature_weights: dict | None = None  # image sets: the LeNet weights {file, digest, ...}
    domain: dict | None = None  # image sets: {range: [low, high], levels: L} (data.domain)
    install: str | None = None  # how to get the files, said when none of them is found
    format: str = "idx"  # how files are read: idx, csv (digits), npz (data add), fortunes
    class_names: tuple[str, ...] | None = None  # labelled image folders: label i's folder


#: Manifests of generated data sets (no files); every other manifest describes stored files.
GENERATED = ("gaussian", "gmm-25", "shapes")
#: The four files of an IDX image set, as MNIST names them (t10k = the held-out test split).
IDX_FILES = {
    "train-images": "train-images",
    "train-labels": "train-labels",
    "test-images": "t10k-images",
    "test-labels": "t10k-labels",
}


def stored_names() -> list[str]:
    """Names of the stored data sets that have a manifest, shipped or added by the user."""
    found = {
        p.stem for kind in (shipped("manifests"), user("manifests")) for p in kind.glob("*.yaml")
    }
    return sorted(found - set(GENERATED))


def manifest_path(name: str) -> Path:
    """Where data set ``name``'s manifest is: shipped, else the user's."""
    path = find("manifests", f"{name}.yaml")
    if path is None:
        raise DataFileError(
            f"no manifest for data set {name!r} (shipped: {shipped('manifests')}; yours: "
            f"{user('manifests')})"
        )
    return path


#: Names a user's data set may not take: the built-in ones and their patterns.
RESERVED = re.compile(r"gaussian.*|gmm-25|digits|fashion-mnist|shapes|fortunes")


def check_new_name(name: str) -> None:
    """A user's data set name: lower-case letters, digits and '-', not built in, not taken."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or RESERVED.fullmatch(name):
        raise DataFileError(
            f"{name!r} cannot name a data set: use lower-case letters, digits and '-', and no "
            "built-in name (gaussian-*, gmm-25, digits, fashion-mnist, shapes, fortunes)"
        )
    if find("manifests", f"{name}.yaml") is not None:
        raise DataFileError(f"a data set {name!r} exists already; choose another name")


def write_idx_manifest(name: str, directory: str | os.PathLike, *, classes: int = 10) -> Path:
    """Describe the four MNIST-style IDX files in ``directory`` by a new manifest ``name``."""
    from madbench.data.idx import parse_idx, read_idx_file

    directory = Path(directory).resolve()
    check_new_name(name)
    path = user("manifests", create=True) / f"{name}.yaml"
    files = {}
    for key, stem in IDX_FILES.items():
        found = sorted(directory.glob(f"{stem}*"))
        if len(found) != 1:
            raise DataFileError(f"{directory}: expected one {stem}* IDX file, found {len(found)}")
        data = read_idx_file(found[0])
        array = parse_idx(data, str(found[0]))
        files[key] = file_entry(found[0].name, data, array.shape)
    shape = files["train-images"]["shape"]
    if len(shape) != 3 or files["train-labels"]["shape"] != shape[:1]:
        raise DataFileError(f"{directory}: train images {shape} and labels do not match")
    raw = {
        "name": name,
        "kind": "image",
        "source": f"user-supplied IDX files ({directory})",
        "licence": "as the files' source states (user-supplied)",
        "location": str(directory),
        "files": files,
        "splits": {
            "train": {"images": "train-images", "labels": "train-labels", "n": shape[0]},
            "test": {
                "images": "test-images",
                "labels": "test-labels",
                "n": files["test-images"]["shape"][0],
            },
        },
        "shape": shape[1:],
        "classes": classes,
        "domain": Domain().as_manifest(),  # 8-bit values in [0, 1], as the reader maps them
    }
    atomic_write_text(path, yaml.safe_dump(raw, sort_keys=False))
    return path


def set_feature_weights(name: str, entry: dict) -> Path:
    """Record the LeNet weights of data set ``name`` in its manifest (a user's data set)."""
    path = user("manifests") / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["feature_weights"] = entry
    atomic_write_text(path, yaml.safe_dump(raw, sort_keys=False))
    return path


def _file_name(name) -> str:
    """A manifest's file name: a plain name inside the data folder, never a path out of it."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name):
        raise ValueError(f"file {name!r} must be a plain file name inside the data folder")
    return name


def load_manifest(stem: str) -> Manifest:
    """Read data set ``stem``'s manifest (:func:`manifest_path`)."""
    path = manifest_path(stem)
    try:
        raw = yaml.safe_load(path.read_text())
        if not isinstance(raw, dict):
            raise TypeError("not a mapping")
        files = {
            key: FileEntry(
                key, _file_name(f["path"]), int(f["bytes"]), str(f["sha256"]), tuple(f["shape"])
            )
            for key, f in (raw.get("files") or {}).items()
        }
        return Manifest(
            name=raw["name"],
            kind=raw["kind"],
            source=raw["source"],
            licence=raw["licence"],
            location=raw.get("location"),
            files=files,
            splits=raw.get("splits") or {},
            shape=tuple(raw["shape"]) if raw.get("shape") else None,
            classes=raw.get("classes"),
            feature_weights=raw.get("feature_weights"),
            install=raw.get("install"),
            domain=raw.get("domain"),
            format=str(raw.get("format", "idx")),
            class_names=tuple(map(str, raw["class_names"])) if raw.get("class_names") else None,
        )
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such manifest") from None
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise DataFileError(f"{path}: malformed manifest ({one_line(repr(exc))})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: unreadable manifest ({one_line(exc)})") from None


def verify(manifest: Manifest, directory: str | os.PathLike) -> dict[str, bytes]:
    """Check every file of ``manifest`` in ``directory``; return their uncompressed bytes.

    Raises :class:`VerificationError` naming every file that is missing or whose size or
    sha256 differs from the manifest.
    """
    if not installed(manifest, directory):
        how = manifest.install or (
            f"get it from {manifest.source} into {directory} (evaluate and data verify also "
            "take --data-dir DIR)"
        )
        raise NotInstalledError(
            f"{manifest.name} is not installed (none of its files is in {directory}): {how}"
        )
    contents, problems = {}, []
    for key, entry in manifest.files.items():
        path = Path(directory) / entry.path
        if not path.exists():
            problems.append(f"{path} is missing")
            continue
        data = read_bytes(path, limit=entry.bytes)
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != entry.bytes or digest != entry.sha256:
            problems.append(
                f"{path} does not match its manifest ({len(data)} bytes, sha256 "
                f"{digest[:12]}...; expected {entry.bytes} bytes, sha256 {entry.sha256[:12]}...)"
            )
        contents[key] = data
    if problems:
        raise VerificationError(
            f"{manifest.name}: " + "; ".join(problems) + ". Refusing to use it: reinstall the "
            f"data set (source: {manifest.source}) or point --data-dir at a folder holding "
            f"{', '.join(e.path for e in manifest.files.values())}"
        )
    return contents
