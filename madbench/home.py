"""Where madbench finds what ships with it, and where it keeps what a user adds.

Shipped with the package (package data, found through ``importlib.resources``, so a wheel
installed anywhere has them): ``madbench/resources/manifests/`` (the data sets' manifests),
``suites/`` (the reproduction suites) and ``weights/`` (the LeNet feature networks).

Added by the user, in ``$MADBENCH_HOME`` (default ``$XDG_DATA_HOME/madbench``, i.e.
``~/.local/share/madbench``): ``manifests/`` (``madbench data add``) and ``weights/``
(``madbench features train-lenet``). madbench never writes into its own install tree, and a
user's file never shadows a shipped one of the same name.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

HOME_ENV = "MADBENCH_HOME"
KINDS = ("manifests", "suites", "weights")


def shipped(kind: str) -> Path:
    """The folder of shipped ``kind`` files (one of :data:`KINDS`)."""
    return Path(str(files("madbench") / "resources" / kind))


def user_home() -> Path:
    """``$MADBENCH_HOME``, else ``$XDG_DATA_HOME/madbench``, else ``~/.local/share/madbench``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "madbench"


def user(kind: str, *, create: bool = False) -> Path:
    """The folder of the user's ``kind`` files; made (with parents) when ``create``."""
    folder = user_home() / kind
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def find(kind: str, name: str) -> Path | None:
    """The shipped file ``name`` of ``kind``, else the user's, else None."""
    for folder in (shipped(kind), user(kind)):
        if (folder / name).is_file():
            return folder / name
    return None
