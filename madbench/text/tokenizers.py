"""Tokenizers: a document (str) to tokens (str) and back, each identified by a digest.

- ``word``: words (runs of letters, digits and ``_``, with inner apostrophes split off as
  their own token) and every other non-space character as a token of its own; case kept.
  :meth:`WordTokenizer.detokenize` joins tokens with spaces but none before closing
  punctuation or after opening brackets; it never joins two word tokens, so tokenizing what it
  gives returns the same tokens (a round trip at the level of tokens, not of spacing).
- ``char``: every character a token; the round trip is exact.

The text metrics (:mod:`madbench.metrics.text`) count words with ``word`` whatever tokenizer a
model uses, so that two models compare on the same units. A tokenizer's :meth:`digest` (sha256
of its name and rules) goes into a model's meta and a run's provenance.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol, runtime_checkable

from madbench.errors import InputError

#: Bumped whenever a built-in tokenizer's rules change (its digest changes with it).
VERSION = 1


@runtime_checkable
class Tokenizer(Protocol):
    """What a tokenizer offers: ``tokenize``, ``detokenize`` and a ``digest``."""

    name: str

    def tokenize(self, document: str) -> list[str]: ...

    def detokenize(self, tokens: list[str]) -> str: ...

    def digest(self) -> str: ...


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join((*parts, str(VERSION))).encode()).hexdigest()


class WordTokenizer:
    """Words and single punctuation characters (see the module docstring)."""

    name = "word"
    PATTERN = re.compile(r"\w+|[^\w\s]")
    #: No space before these tokens, none after the opening ones.
    CLOSING = frozenset(".,;:!?)]}%'")
    OPENING = frozenset("([{$")

    def tokenize(self, document: str) -> list[str]:
        return self.PATTERN.findall(document)

    def detokenize(self, tokens: list[str]) -> str:
        out: list[str] = []
        for i, token in enumerate(tokens):
            if i and self._spaced(tokens[i - 2] if i > 1 else "", tokens[i - 1], token):
                out.append(" ")
            out.append(token)
        return "".join(out)

    def _spaced(self, before: str, previous: str, token: str) -> bool:
        """Whether a space goes between ``previous`` and ``token`` (``before`` precedes them):
        not before closing punctuation, after an opening bracket, inside a run of one
        punctuation mark (``--``), or after an apostrophe inside a word (``isn't``)."""
        if token in self.CLOSING or previous in self.OPENING:
            return False
        if token == previous and not token.isalnum():
            return False
        inner_apostrophe = previous == "'" and before.isalnum() and token[0].isalnum()
        return not inner_apostrophe

    def digest(self) -> str:
        return _digest(self.name, self.PATTERN.pattern, "".join(sorted(self.CLOSING)))


class CharTokenizer:
    """Every character a token."""

    name = "char"

    def tokenize(self, document: str) -> list[str]:
        return list(document)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)

    def digest(self) -> str:
        return _digest(self.name)


BUILT_IN = {"word": WordTokenizer, "char": CharTokenizer}


def tokenizer(name: str) -> Tokenizer:
    """The built-in tokenizer ``name`` (``word`` or ``char``)."""
    if name not in BUILT_IN:
        raise InputError(f"unknown tokenizer {name!r}; choose {' or '.join(BUILT_IN)}")
    return BUILT_IN[name]()
