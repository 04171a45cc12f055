"""Text sets from the Hugging Face hub, through ``datasets``: ``data add NAME --from hf:SPEC``.

``SPEC`` is ``wikitext-2`` (``Salesforce/wikitext``, configuration ``wikitext-2-raw-v1``: the
data of Shumailov et al., Nature 2024), ``tinystories`` (``roneneldan/TinyStories``), any hub
data set as ``NAME`` or ``NAME:CONFIG``, or a local folder written by ``save_to_disk`` (a
``DatasetDict``): the local copy that works offline. The source needs a ``train`` split and a
``test`` (else ``validation``) split, which becomes the held-out split, and a ``text`` column.

Each row's text is a document, whitespace-normalised (:func:`madbench.data.text.documents`);
empty rows and wikitext's headings (`` = Title = ``) are dropped. ``limit`` keeps the first N
documents of each split (documents are held as fixed-width strings, so a split of millions
of long documents needs it). The documents are then stored and verified like any added set;
the source's sha256 is that of its documents' UTF-8 text, in order. Offline, a hub name that is
not in the local ``datasets`` cache is an error that says to pass a local folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from madbench.data.text import documents
from madbench.errors import InputError

#: Short names of the data sets the text literature uses: hub id and configuration.
HUB = {
    "wikitext-2": ("Salesforce/wikitext", "wikitext-2-raw-v1"),
    "tinystories": ("roneneldan/TinyStories", None),
}
HEADING = re.compile(r"\s*(=\s)+.*(\s=)+\s*")


def _load(spec: str):
    try:
        import datasets
    except ImportError:
        raise InputError("hf: sources need datasets: pip install 'madbench[text]'") from None
    try:
        if Path(spec).is_dir():
            return datasets.load_from_disk(spec)
        name, config = HUB.get(spec, (*spec.split(":", 1), None)[:2])
        return datasets.load_dataset(name, config)
    except Exception as exc:  # datasets raises many kinds: connection, not found, format
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(
            f"cannot load hf:{spec} ({first}); offline, pass a local copy: a folder written by "
            "DatasetDict.save_to_disk, as --from hf:FOLDER"
        ) from None


def _documents(split, where: str, limit: int | None) -> np.ndarray:
    if "text" not in split.column_names:
        raise InputError(f"{where} has no 'text' column (columns: {', '.join(split.column_names)})")
    kept = []
    for text in split["text"]:
        if not isinstance(text, str):
            raise InputError(f"{where}: a 'text' value is {type(text).__name__}, not a string")
        if text.strip() and not HEADING.fullmatch(text):
            kept.append(text)
            if limit is not None and len(kept) == limit:
                break
    docs = documents(kept)
    if len(docs) < 3:
        raise InputError(f"{where}: {len(docs)} documents found; a text set needs at least 3")
    return docs


def read_hub_source(spec: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """The train and held-out documents of ``hf:spec`` (module docstring) and the sha256 of
    their text."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 3):
        raise InputError(f"--limit must be an integer >= 3, got {limit!r}")
    loaded = _load(spec)
    splits = getattr(loaded, "keys", lambda: [])()
    held = "test" if "test" in splits else "validation"
    if "train" not in splits or held not in splits:
        raise InputError(
            f"hf:{spec} needs a train split and a test or validation split, has "
            f"{', '.join(splits) or 'none (a single Dataset: save a DatasetDict)'}"
        )
    train = _documents(loaded["train"], f"hf:{spec} train", limit)
    test = _documents(loaded[held], f"hf:{spec} {held}", limit)
    digest = hashlib.sha256()
    for doc in (*train, "\0", *test):
        digest.update(str(doc).encode() + b"\n")
    return train, test, digest.hexdigest()
