"""The MAD paper's loop protocols as versioned, hashable specifications.

Generation t = 1 trains on ``n_ini`` real samples only. From t = 2 on, generation t trains on:

- ``fully-synthetic``: synthetic samples only;
- ``synthetic-augmentation``: the generation-1 real set (fixed, reused) plus synthetic samples;
- ``fresh-data``: ``n_real`` new real samples (never reused) plus synthetic samples.

The synthetic part comes from ``source``: ``previous`` (the ``n_synth`` samples drawn from
G_{t-1}), ``accumulate`` (the samples of every earlier generation) or ``last-K`` (those of the
K previous generations). ``bias`` is lambda (1 = unbiased); ``retrain`` is ``scratch`` (the MAD
paper) or ``warm`` (adapters with ``partial_fit``). Every result row records the protocol's
content hash, so two rows are comparable exactly when their hashes agree.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from dataclasses import dataclass

from madbench.errors import InputError

#: Bumped whenever the meaning of a field changes; part of the hash.
PROTOCOL_VERSION = 1
NAMES = ("fully-synthetic", "synthetic-augmentation", "fresh-data")


@dataclass(frozen=True)
class Protocol:
    name: str
    generations: int = 5  # generations trained, t = 1..generations
    n_ini: int = 1000  # real samples of generation 1
    n_real: int = 0  # fresh real samples per generation t >= 2 (fresh-data only)
    n_synth: int = 1000  # synthetic samples drawn from each generation's model
    source: str = "previous"  # previous | accumulate | last-K
    retrain: str = "scratch"  # scratch | warm
    bias: float = 1.0  # sampling bias lambda in (0, 1]
    k: int = 5  # neighbours of the k-NN metrics
    eval_n: int = 1000  # generated and held-out real samples per evaluation
    seed: int = 0
    version: int = PROTOCOL_VERSION

    def __post_init__(self):
        problems = []
        if self.name not in NAMES:
            close = difflib.get_close_matches(self.name, NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"unknown protocol {self.name!r}{hint}; choose one of {', '.join(NAMES)}"
            )
        for field in ("generations", "n_ini", "n_synth", "k", "eval_n"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                problems.append(f"{field} must be an integer >= 1, got {getattr(self, field)!r}")
        if self.name == "fresh-data" and self.n_real < 1:
            problems.append("fresh-data needs n_real >= 1 new real samples per generation")
        if not re.fullmatch(r"previous|accumulate|last-[1-9]\d*", str(self.source)):
            problems.append(
                f"source must be previous, accumulate or last-K (K >= 1), got {self.source!r}"
            )
        if self.retrain not in ("scratch", "warm"):
            problems.append(f"retrain must be scratch or warm, got {self.retrain!r}")
        if not 0.0 < self.bias <= 1.0:
            problems.append(f"bias (lambda) must be in (0, 1], got {self.bias}")
        if problems:
            raise InputError("; ".join(problems))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def content_hash(self) -> str:
        """sha256 (first 16 hex digits) of the canonical JSON of every field."""
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def synthetic_sources(self, t: int) -> list[int]:
        """The generations whose samples make the synthetic part of generation t's data."""
        if t <= 1:
            return []
        if self.source == "previous":
            return [t - 1]
        if self.source == "accumulate":
            return list(range(1, t))
        keep = int(self.source.split("-")[1])
        return list(range(max(1, t - keep), t))


DEFAULTS = {
    "fully-synthetic": {},
    "synthetic-augmentation": {},
    "fresh-data": {"n_ini": 1000, "n_real": 100, "n_synth": 900},
}


def make_protocol(name: str, **overrides) -> Protocol:
    """Protocol ``name`` with its defaults, then ``overrides`` (None values are ignored)."""
    if name not in NAMES:
        Protocol(name=name)  # raises with a did-you-mean
    fields = {**DEFAULTS[name], **{k: v for k, v in overrides.items() if v is not None}}
    return Protocol(name=name, **fields)
