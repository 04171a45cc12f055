"""What makes a folder a leaderboard madbench may replace: its marker.

``leaderboard build`` replaces its ``--out`` folder whole. So that it can never delete a
user's file, a folder is taken for a leaderboard only when everything in it is what madbench
put there: the marker ``.madbench-leaderboard.json`` lists every file of the folder with its
sha256, written when the folder is built (and again when ``reproduce`` adds ``claims.csv``).
A folder with a file the marker does not list, or one whose bytes changed, or a link, is not
a leaderboard. Folders built before the marker existed are recognised by their names alone
(:data:`LEGACY_FILES` and ``plots/*.png``), with nothing else in them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from madbench.atomic import atomic_write_text
from madbench.types import PathLike

MARKER = ".madbench-leaderboard.json"
#: The files of a leaderboard folder built before the marker (madbench 0.4 and before).
LEGACY_FILES = (
    "leaderboard.csv",
    "per_seed.csv",
    "leaderboard.md",
    "columns.md",
    "columns.html",
    "index.html",
    "claims.csv",
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _contents(folder: Path) -> dict[str, Path]:
    """Everything under ``folder`` but the marker, by relative path (links included)."""
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.name != MARKER or p.parent != folder
    }


def seal(folder: PathLike) -> None:
    """(Re)write ``folder``'s marker from the files it holds now."""
    folder = Path(folder)
    files = {name: _sha256(p) for name, p in _contents(folder).items() if p.is_file()}
    atomic_write_text(folder / MARKER, json.dumps({"files": files}, indent=1, sort_keys=True))


def foreign(folder: PathLike) -> str | None:
    """The first thing in ``folder`` that madbench did not put there as a leaderboard (a
    relative path, with why), or None when the folder is a leaderboard (or empty)."""
    folder = Path(folder)
    contents = _contents(folder)
    links = [name for name, p in contents.items() if p.is_symlink()]
    if links:
        return f"{links[0]} (a symbolic link)"
    folders = [name for name, p in contents.items() if p.is_dir() and name != "plots"]
    if folders:
        return f"{folders[0]}/ (a folder that is not the leaderboard's)"
    files = {name: p for name, p in contents.items() if not p.is_dir()}
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        try:
            listed = json.loads(marker.read_text())["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return f"{MARKER} (not madbench's marker)"
        for name, path in files.items():
            if name not in listed:
                return f"{name} (not one of the leaderboard's files)"
            if _sha256(path) != listed[name]:
                return f"{name} (changed since the leaderboard was built)"
        return None
    for name in files:
        if name not in LEGACY_FILES and not (
            name.startswith("plots/") and name.count("/") == 1 and name.endswith(".png")
        ):
            return f"{name} (not one of the leaderboard's files)"
    return None
