"""Data-set manifests (``data_manifests/*.yaml``) and verification against them.

A manifest names a data set's files with the size and sha256 of their *uncompressed* bytes
(so any gzip packaging of the same data verifies), their shapes, the splits, the source and
the licence. :func:`verify` checks every file before use and refuses, naming the file, on any
mismatch.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from madbench.data.idx import read_bytes
from madbench.errors import DataFileError

#: Where the manifests live: ``$MADBENCH_MANIFESTS``, else ``data_manifests/`` beside the package.
MANIFEST_ENV = "MADBENCH_MANIFESTS"


class VerificationError(DataFileError):
    """A data file that is missing or differs from its manifest."""


def manifest_dir() -> Path:
    return Path(
        os.environ.get(MANIFEST_ENV) or Path(__file__).resolve().parents[2] / "data_manifests"
    )


@dataclass(frozen=True)
class FileEntry:
    key: str
    path: str
    bytes: int
    sha256: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str  # "image" or "vector"
    source: str
    licence: str
    location: str | None
    files: dict[str, FileEntry] = field(default_factory=dict)
    splits: dict[str, dict] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None
    classes: int | None = None
    feature_weights: dict | None = None  # image sets: the LeNet weights {file, digest, ...}


def load_manifest(stem: str) -> Manifest:
    """Read ``data_manifests/<stem>.yaml``."""
    path = manifest_dir() / f"{stem}.yaml"
    try:
        raw = yaml.safe_load(path.read_text())
        files = {
            key: FileEntry(key, f["path"], int(f["bytes"]), str(f["sha256"]), tuple(f["shape"]))
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
        )
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such manifest") from None
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: malformed manifest ({exc!r})") from None


def verify(manifest: Manifest, directory: str | os.PathLike) -> dict[str, bytes]:
    """Check every file of ``manifest`` in ``directory``; return their uncompressed bytes.

    Raises :class:`VerificationError` naming every file that is missing or whose size or
    sha256 differs from the manifest.
    """
    contents, problems = {}, []
    for key, entry in manifest.files.items():
        path = Path(directory) / entry.path
        if not path.exists():
            problems.append(f"{path} is missing")
            continue
        data = read_bytes(path)
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
