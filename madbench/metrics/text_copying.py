"""Copying in text: how many generated documents repeat the training set, exactly or nearly.

Documents are compared on their ``word`` tokens (:mod:`madbench.metrics.text`), so that
whitespace the tokenizer drops does not hide a copy.

- an **exact copy** has the token sequence of some training document;
- a **near copy** shares at least ``threshold`` (0.8) of its distinct word ``n``-grams
  (``n`` = 4) with one single training document: max over training documents d of
  |G ∩ D| / |G|, G and D the two documents' sets of n-grams. A document with fewer than ``n``
  tokens has no n-gram and is a near copy only when it is an exact one. Every exact copy is a
  near copy.

:func:`copies` gives both shares of the generated set. A loop computes them against each
generation's own training set (real and fed-back documents), beside the feature-space copying
statistics of :mod:`madbench.metrics.copying`.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from madbench.errors import InputError
from madbench.metrics.text import words

#: The n-gram order and the shared share that make a near copy.
NEAR_N, NEAR_THRESHOLD = 4, 0.8


def _grams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def overlaps(train: np.ndarray, generated: np.ndarray, *, n: int = NEAR_N) -> np.ndarray:
    """Each generated document's largest share of its distinct n-grams found in one training
    document (NaN for a document with no n-gram)."""
    if n < 1:
        raise InputError(f"copying: the n-gram order must be at least 1, got {n}")
    index: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, tokens in enumerate(words(train)):
        for gram in _grams(tokens, n):
            index[gram].append(i)
    out = np.full(len(generated), np.nan)
    for j, tokens in enumerate(words(generated)):
        grams = _grams(tokens, n)
        if grams:
            hits = Counter(i for gram in grams for i in index.get(gram, ()))
            out[j] = max(hits.values(), default=0) / len(grams)
    return out


def copies(
    train: np.ndarray,
    generated: np.ndarray,
    *,
    n: int = NEAR_N,
    threshold: float = NEAR_THRESHOLD,
) -> dict[str, float]:
    """``exact_copies`` and ``near_copies``: the shares of ``generated`` documents that copy a
    ``train`` document exactly and nearly (module docstring)."""
    if not 0 < threshold <= 1:
        raise InputError(f"copying: the near-copy threshold must be in (0, 1], got {threshold}")
    seen = {tuple(tokens) for tokens in words(train)}
    exact = np.array([tuple(tokens) in seen for tokens in words(generated)])
    shares = overlaps(train, generated, n=n)
    near = exact | (np.nan_to_num(shares, nan=0.0) >= threshold)
    return {"exact_copies": float(exact.mean()), "near_copies": float(near.mean())}
