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

One's own text (``madbench data add NAME --from PATH``, :func:`read_text_source`) is a ``.txt``
file (one document per non-empty line), a ``.jsonl`` file (one JSON object per line, its
``"text"`` the document: what ``datasets``' ``to_json`` writes), or a folder of ``.txt`` files
(one document per file, in sorted order). All must be UTF-8.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench.data.split import Split
from madbench.errors import DataFileError, InputError

if TYPE_CHECKING:
    from madbench.data.manifest import Manifest
    from madbench.types import PathLike

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
    text = _decoded(data, path, DataFileError)
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


#: The suffixes :func:`read_text_source` reads as text.
TEXT_SUFFIXES = (".txt", ".jsonl")


def is_text_source(path: Path) -> bool:
    """Whether ``path`` is a text file, or a folder whose files include ``.txt`` ones."""
    if path.is_dir():
        return any(p.suffix == ".txt" for p in path.rglob("*.txt"))
    return path.suffix in TEXT_SUFFIXES


def _decoded(data: bytes, path: Path | str, error: type[Exception] = InputError) -> str:
    """``data`` as UTF-8 text; else ``error`` naming ``path`` and the first bad byte (a data
    set's file: :class:`DataFileError`; a source being added: :class:`InputError`)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _jsonl_documents(text: str, path: Path) -> list[str]:
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{path}:{number}: expected an object with a "text" string')
        docs.append(record["text"])
    return docs


def read_text_source(path: PathLike) -> tuple[np.ndarray, str]:
    """The documents at ``path`` (module docstring), normalised, empty ones dropped, and the
    sha256 of the source's bytes (a folder's: of its files' names and bytes, in order)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        texts = []
        for file in files:
            data = file.read_bytes()
            digest.update(file.relative_to(path).as_posix().encode() + b"\0" + data)
            texts.append(_decoded(data, file))
    else:
        data = path.read_bytes()
        digest.update(data)
        text = _decoded(data, path)
        texts = _jsonl_documents(text, path) if path.suffix == ".jsonl" else text.splitlines()
    docs = documents(t for t in texts if t.strip())
    if len(docs) < 3:
        raise InputError(f"{path}: {len(docs)} documents found; a text set needs at least 3")
    return docs, digest.hexdigest()
