"""Where the weights of a pretrained feature network are found, offline first.

A :class:`Network` names its weights file, where it is published, its published sha256 where
the publisher gives one, and the environment variable that points at a local copy.
:func:`resolve` looks, in order, at: the ``weights`` argument (CLI ``--feature-weights
PATH``), the environment variable, and madbench's cache (``~/.cache/madbench/<file>``, or
``$MADBENCH_CACHE``): places the user controls, never a shared temporary folder (a file
planted in a world-writable ``/tmp`` would be loaded, and TorchScript weights are a program).
Only then does it download into the cache, and offline it stops with a message that names the
file, where to get it and how to pass it. A file found in the cache or downloaded must have
the published sha256 when there is one; a file the user names explicitly is taken as given.
The sha256 of the file a run used is recorded in its provenance (:func:`file_sha256`).
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from madbench.atomic import atomic_path
from madbench.digests import file_sha256
from madbench.errors import FeatureError

CACHE_ENV = "MADBENCH_CACHE"
DOWNLOAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Network:
    """A feature network's published weights: file name, address, the environment variable
    naming a local copy, and the published sha256 (hex) where the publisher gives one."""

    name: str
    filename: str
    url: str
    env: str
    sha256: str | None = None


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "madbench")


def _download(network: Network, dest: Path) -> None:
    """Download ``network``'s weights to ``dest`` through a temporary file, checked against
    the published sha256 before it takes the name (no half-written or altered weights)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest) as tmp:
        with (
            urllib.request.urlopen(network.url, timeout=DOWNLOAD_TIMEOUT_S) as response,
            open(tmp, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
        _check_published(network, Path(tmp), f"the file downloaded from {network.url}")


def _check_published(network: Network, path: Path, what: str) -> None:
    if network.sha256 is not None and file_sha256(path) != network.sha256:
        raise FeatureError(
            f"{what} has sha256 {file_sha256(path)}, not the published {network.sha256} of "
            f"{network.name}'s {network.filename}: remove it (madbench then downloads the "
            "published file), or pass it with --feature-weights PATH to use it anyway"
        )


def local_copy(network: Network) -> Path | None:
    """The copy of ``network``'s weights in madbench's cache, checked against the published
    sha256, or None; never downloads."""
    candidate = cache_dir() / network.filename
    if not candidate.is_file():
        return None
    _check_published(network, candidate, str(candidate))
    return candidate


def resolve(network: Network, weights: str | os.PathLike | None = None) -> Path:
    """Path of ``network``'s weights file; downloads it only when no local copy exists."""
    if weights is None:
        weights = os.environ.get(network.env) or None
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise FeatureError(f"{network.name} weights file {path} {what}")
        return path
    found = local_copy(network)
    if found is not None:
        return found
    target = cache_dir() / network.filename
    try:
        _download(network, target)
    except (urllib.error.URLError, OSError) as exc:
        raise FeatureError(
            f"{network.name} weights are not available offline and the download failed "
            f"({exc}). Download {network.filename} from {network.url} on a machine with internet "
            "access, then pass it "
            f"with --feature-weights PATH or set {network.env}=PATH (or put it in {cache_dir()})"
        ) from None
    return target


def warn_if_stand_in(extractor: object) -> None:
    """One warning when ``extractor`` loaded stand-in weights (``madbench features
    stand-in``): the numbers it gives test a pipeline and mean nothing."""
    if getattr(extractor, "stand_in", False):
        import warnings

        warnings.warn(
            f"{extractor.name} features come from stand-in weights (madbench features "
            "stand-in): a score from them tests the pipeline and means nothing; pass the published "
            "weights with --feature-weights PATH",
            UserWarning,
            stacklevel=3,
        )
