"""Where the weights of a pretrained feature network are found, offline first.

A :class:`Network` names its weights file, where it is published and the environment variable
that points at a local copy. :func:`resolve` looks, in order, at: the ``weights`` argument
(CLI ``--feature-weights PATH``), the environment variable, madbench's cache
(``~/.cache/madbench/<file>``, or ``$MADBENCH_CACHE``), any other known copy (clean-fid's);
only then does it download into the cache, and offline it stops with a message that names the
file, where to get it and how to pass it. The sha256 of the file a run used is recorded in its
provenance (:func:`file_sha256`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from madbench.atomic import atomic_path
from madbench.errors import FeatureError

CACHE_ENV = "MADBENCH_CACHE"
DOWNLOAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Network:
    """A feature network's published weights: file name, address, and the environment
    variable naming a local copy; ``also``: other places a copy may already be."""

    name: str
    filename: str
    url: str
    env: str
    also: tuple[Path, ...] = ()


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "madbench")


def _download(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` through a temporary file (no half-written weights)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (
        atomic_path(dest) as tmp,
        urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
        open(tmp, "wb") as out,
    ):
        shutil.copyfileobj(response, out)


def local_copy(network: Network) -> Path | None:
    """The copy of ``network``'s weights already on disk (madbench's cache, then the other
    known places), or None; never downloads."""
    for candidate in (cache_dir() / network.filename, *network.also):
        if candidate.is_file():
            return candidate
    return None


def resolve(network: Network, weights: str | os.PathLike | None = None) -> Path:
    """Path of ``network``'s weights file; downloads it only when no local copy exists."""
    if weights is None:
        weights = os.environ.get(network.env) or None
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise FeatureError(f"{network.name} weights file {path} does not exist")
        return path
    found = local_copy(network)
    if found is not None:
        return found
    target = cache_dir() / network.filename
    try:
        _download(network.url, target)
    except (urllib.error.URLError, OSError) as exc:
        raise FeatureError(
            f"{network.name} weights are not available offline and the download failed "
            f"({exc}). Download {network.filename} from {network.url} on a machine with internet "
            "access, then pass it "
            f"with --feature-weights PATH or set {network.env}=PATH (or put it in {cache_dir()})"
        ) from None
    return target


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()
