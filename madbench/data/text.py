"""Text data: documents as strings.

A text set's samples are documents, held as a 1-D numpy array of ``str`` (dtype ``<U…``; shape
``(n,)``, one document per row), so that a loop mixes, subsets and keeps them as it does
vectors and images. Documents are whitespace-normalised (every run of spaces, tabs and newlines
becomes one space; none leads or trails) and never empty.

``fortunes`` is the built-in offline set: the English quotations of Debian's ``fortunes``
package (``/usr/share/games/fortunes``), one document per fortune, every file but the pictures
of ``ascii-art``, keeping the fortunes of at most :data:`MAX_CHARS` characters (as ``fortune -s``
keeps short ones). Its held-out test split is every tenth document of the files in manifest
order (index % 10 == 0), like digits' every fifth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from madbench.data.split import Split
from madbench.errors import DataFileError

if TYPE_CHECKING:
    from madbench.data.manifest import Manifest

#: The longest fortune ``fortunes`` keeps, in characters after whitespace normalisation.
MAX_CHARS = 160
#: ``fortunes``: every n-th document is held out for scoring.
HELD_OUT_EVERY = 10
#: A line holding only this separates two fortunes in a fortune file (strfile's format).
_SEPARATOR = re.compile(r"^%[ \t]*$", re.MULTILINE)


def normalise(text: str) -> str:
    """``text`` with every run of whitespace made one space, none at either end."""
    return " ".join(text.split())


def documents(texts: Iterable[str]) -> np.ndarray:
    """Documents as madbench holds them: a 1-D ``str`` array, each one :func:`normalise`-d."""
    docs = [normalise(t) for t in texts]
    return np.array(docs, dtype=str) if docs else np.empty(0, dtype="<U1")


def is_text(samples: np.ndarray) -> bool:
    """Whether ``samples`` is a text set's array (1-D, of ``str``)."""
    return isinstance(samples, np.ndarray) and samples.dtype.kind == "U" and samples.ndim == 1


def parse_fortunes(data: bytes, path: str) -> list[str]:
    """The fortunes in one fortune file's bytes (UTF-8, fortunes separated by ``%`` lines),
    normalised, empty ones dropped."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return [doc for doc in map(normalise, _SEPARATOR.split(text)) if doc]


def read_fortunes(manifest: Manifest, contents: dict[str, bytes]) -> dict[str, Split]:
    """A manifest reader (``format: fortunes``): the verified files' short fortunes, split."""
    docs = [
        doc
        for key, entry in manifest.files.items()
        for doc in parse_fortunes(contents[key], entry.path)
        if len(doc) <= MAX_CHARS
    ]
    x = documents(docs)
    held_out = np.arange(len(x)) % HELD_OUT_EVERY == 0
    return {"train": Split(x[~held_out], None), "test": Split(x[held_out], None)}
