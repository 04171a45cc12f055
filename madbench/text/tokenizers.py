"""Tokenizers: a document (str) to tokens (str) and back, each identified by a digest.

- ``word``: words (runs of letters, digits and ``_``, with inner apostrophes split off as
  their own token) and every other non-space character as a token of its own; case kept.
  :meth:`WordTokenizer.detokenize` joins tokens with spaces but none before closing
  punctuation or after opening brackets; it never joins two word tokens, so tokenizing what it
  gives returns the same tokens (a round trip at the level of tokens, not of spacing).
- ``char``: every character a token; the round trip is exact.
- ``hf:NAME_OR_PATH``: a Hugging Face tokenizer (``transformers.AutoTokenizer``) by hub name or
  local folder (``save_pretrained``'s); its tokens are the tokenizer's own strings, and
  detokenizing is its ``convert_tokens_to_string``. Offline, a hub name not in the local cache
  is an error that says to pass a local folder.

The text metrics (:mod:`madbench.metrics.text`) count words with ``word`` whatever tokenizer a
model uses, so that two models compare on the same units. A tokenizer's :meth:`digest` (sha256
of its name and rules) goes into a model's meta and a run's provenance.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Protocol, runtime_checkable

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


class HFTokenizer:
    """A Hugging Face tokenizer by hub name or local folder; its digest is the sha256 of its
    serialised form (``tokenizer.json`` for fast tokenizers, else its vocabulary)."""

    def __init__(self, source: str):
        self.name = f"hf:{source}"
        self.hf = load_hf_tokenizer(source)

    def tokenize(self, document: str) -> list[str]:
        return self.hf.tokenize(document)

    def detokenize(self, tokens: list[str]) -> str:
        return self.hf.convert_tokens_to_string(tokens)

    def digest(self) -> str:
        backend = getattr(self.hf, "backend_tokenizer", None)
        form = (
            backend.to_str() if backend is not None else repr(sorted(self.hf.get_vocab().items()))
        )
        return _digest(self.name, form)


def load_hf_tokenizer(source: str) -> Any:  # a transformers PreTrainedTokenizerBase
    """``transformers.AutoTokenizer`` of ``source`` (hub name or local folder), with errors
    that say what to install or pass."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise InputError(
            "Hugging Face tokenizers need transformers: pip install 'madbench[text]'"
        ) from None
    try:
        return AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot load the tokenizer {source!r} ({str(exc).splitlines()[0][:160]}); offline, "
            "pass a local folder written by save_pretrained"
        ) from None


BUILT_IN = {"word": WordTokenizer, "char": CharTokenizer}


def tokenizer(name: str) -> Tokenizer:
    """The tokenizer ``name``: ``word``, ``char`` or ``hf:NAME_OR_PATH``."""
    if isinstance(name, str) and name.startswith("hf:") and len(name) > 3:
        return HFTokenizer(name[3:])
    if name not in BUILT_IN:
        raise InputError(
            f"unknown tokenizer {name!r}; choose {', '.join(BUILT_IN)} or hf:NAME_OR_PATH"
        )
    return BUILT_IN[name]()
