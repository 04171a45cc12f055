"""The MAD paper's loop protocols as versioned, hashable specifications.

Generation t = 1 trains on ``n_ini`` real samples only. From t = 2 on, generation t trains on:

- ``fully-synthetic``: synthetic samples only;
- ``synthetic-augmentation``: the generation-1 real set (fixed, reused) plus synthetic samples;
- ``fresh-data``: ``n_real`` new real samples (never reused) plus synthetic samples.

The synthetic part comes from ``source``: ``previous`` (the ``n_synth`` samples drawn from
G_{t-1}), ``accumulate`` (the samples of every earlier generation), ``last-K`` (those of the
K previous generations) or ``accumulate-subsample`` (``n_synth`` of every earlier generation's
samples, drawn without replacement: Kazdan et al. 2025's fixed-size draw from the accumulated
pool). ``curate``, ``select`` and ``correct`` (:mod:`madbench.loops.options`, in their
canonical spelling; "" for off) say what happens to G_{t-1}'s draw before it is fed back
(:mod:`madbench.loops.feedback`). ``bias`` is lambda (1 = unbiased); ``retrain`` is
``scratch`` (the MAD paper) or ``warm`` (adapters with ``partial_fit``). Every result row
records the protocol's content hash, so two rows are comparable exactly when their hashes
agree.

Sizes. Unless given, :func:`make_protocol` keeps the training set at ``n_ini`` samples in every
generation where the paper does: fully synthetic ``n_synth = n_ini``; fresh data
``n_synth = n_ini - n_real``; synthetic augmentation ``n_synth = n_ini`` (the paper's 60k real
+ 60k synthetic, so generations t >= 2 train on twice as much). ``synthetic_fraction`` f is the
alternative to counts: the synthetic share of the training set of t >= 2 (fresh data:
``n_synth = round(f n_ini)``, ``n_real = n_ini - n_synth``; synthetic augmentation:
``n_synth = round(f / (1 - f) n_ini)``, i.e. Bertrand et al.'s (ICLR 2024) ratio
``n_synth / n_real = f / (1 - f)``).

Pairing. Every protocol draws its real data from one seeded order of the train split
(:meth:`madbench.data.datasets.FileDataset.train_pool`): generation 1 takes its first ``n_ini``
rows and fresh data the rows after them, and every generation's seeds derive from (seed, t,
purpose) only. So for the same model, seed and ``n_ini``, generation 1 is the same model and the
same row under every protocol and every lambda's training data, and comparisons between them are
paired by seed (version 2; version 1 drew a protocol-dependent pool).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from dataclasses import dataclass

from madbench import defaults
from madbench.errors import InputError
from madbench.loops.options import canonical

#: Bumped whenever the meaning of a field changes; part of the hash. 2: one real pool order
#: for every protocol, generated images brought into the data's domain.
PROTOCOL_VERSION = 2
NAMES = ("fully-synthetic", "synthetic-augmentation", "fresh-data")
#: Documented limits, checked before anything is drawn or written: generations trained; samples
#: in any one set (n_ini, n_real, n_synth, eval_n) and in the largest training set (accumulate
#: grows it); seeds are 32-bit (numpy's SeedSequence takes more, the run's derived seeds do not).
MAX_GENERATIONS = 10_000
MAX_SAMPLES = 10_000_000
MAX_SEED = 2**32 - 1
SOURCES = r"previous|accumulate|accumulate-subsample|last-[1-9]\d*"
#: Sources whose training sets keep one size from generation 2 on.
SAME_SIZE = ("previous", "accumulate-subsample")
#: The options beyond the paper (:mod:`madbench.loops.options`), stored only when on.
OPTIONAL = ("curate", "select", "correct")


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
    k: int = defaults.K  # neighbours of the k-NN metrics
    eval_n: int = 1000  # generated and held-out real samples per evaluation
    seed: int = 0
    version: int = PROTOCOL_VERSION
    curate: str = ""  # --curate (madbench.loops.options), canonical; "" off
    select: str = ""  # --select
    correct: str = ""  # --correct

    def __post_init__(self):
        problems = []
        for kind in OPTIONAL:
            try:
                object.__setattr__(self, kind, canonical(kind, getattr(self, kind)))
            except InputError as exc:
                problems.append(str(exc))
        if self.name not in NAMES:
            close = difflib.get_close_matches(self.name, NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"unknown protocol {self.name!r}{hint}; choose one of {', '.join(NAMES)}"
            )
        for field in ("generations", "n_ini", "n_synth", "k", "eval_n"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                problems.append(f"{field} must be an integer >= 1, got {getattr(self, field)!r}")
        for field, most in (
            ("generations", MAX_GENERATIONS),
            *((f, MAX_SAMPLES) for f in ("n_ini", "n_real", "n_synth", "eval_n")),
        ):
            value = getattr(self, field)
            if isinstance(value, int) and value > most:
                problems.append(f"{field} must be at most {most:,}, got {value:,}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            problems.append(f"seed must be an integer, got {self.seed!r}")
        elif not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed must lie in 0 to {MAX_SEED} (2^32 - 1), got {self.seed}")
        if self.name == "fresh-data" and self.n_real < 1:
            problems.append("fresh-data needs n_real >= 1 new real samples per generation")
        if self.name != "fresh-data" and self.n_real != 0:
            problems.append(f"n_real is for fresh-data only; {self.name} takes no fresh real data")
        if not re.fullmatch(SOURCES, str(self.source)):
            problems.append(
                "source must be previous, accumulate, accumulate-subsample or last-K (K >= 1), "
                f"got {self.source!r}"
            )
        if self.retrain not in ("scratch", "warm"):
            problems.append(f"retrain must be scratch or warm, got {self.retrain!r}")
        if not 0.0 < self.bias <= 1.0:
            problems.append(f"bias (lambda) must be in (0, 1], got {self.bias}")
        if not problems and max(self.training_sizes()) > MAX_SAMPLES:
            problems.append(
                f"the largest training set would hold {max(self.training_sizes()):,} samples, "
                f"more than {MAX_SAMPLES:,}: fewer generations, a smaller n_synth, or a source "
                "other than accumulate"
            )
        if problems:
            raise InputError("; ".join(problems))

    def as_dict(self) -> dict:
        """Every field, but the options beyond the paper when they are off (so that the plain
        loops' hashes are those they always had)."""
        out = dataclasses.asdict(self)
        for kind in OPTIONAL:
            if not out[kind]:
                del out[kind]
        return out

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
        if self.source in ("accumulate", "accumulate-subsample"):
            return list(range(1, t))
        keep = int(self.source.split("-")[1])
        return list(range(max(1, t - keep), t))

    def training_sizes(self) -> list[int]:
        """How many samples generation t = 1..generations trains on."""
        sizes = []
        for t in range(1, self.generations + 1):
            if t == 1:
                sizes.append(self.n_ini)
                continue
            real = {"fully-synthetic": 0, "synthetic-augmentation": self.n_ini}.get(
                self.name, self.n_real
            )
            fed = 1 if self.source == "accumulate-subsample" else len(self.synthetic_sources(t))
            sizes.append(real + fed * self.n_synth)
        return sizes

    def size_warning(self) -> str | None:
        """Why generations train on different amounts of data, where the protocol's design
        (synthetic augmentation, accumulate, last-K) does not ask for it; else None."""
        if self.name == "synthetic-augmentation" or self.source not in SAME_SIZE:
            return None
        sizes = sorted(set(self.training_sizes()))
        if len(sizes) == 1:
            return None
        mix = "n_synth" if self.name == "fully-synthetic" else "n_real + n_synth"
        return (
            f"generation 1 trains on n_ini = {self.n_ini} samples, later generations on "
            f"{self.training_sizes()[-1]} ({mix}): size and generation effects are confounded; "
            f"set {mix} = n_ini (the default) unless that is the experiment"
        )


#: Real samples per generation of fresh-data unless given.
DEFAULT_N_REAL = 100


def make_protocol(name: str, *, synthetic_fraction: float | None = None, **overrides) -> Protocol:
    """Protocol ``name`` with ``overrides`` (None values are ignored) and the sizes that keep
    its training set at ``n_ini`` (module docstring), or the sizes ``synthetic_fraction``
    gives."""
    if name not in NAMES:
        Protocol(name=name)  # raises with a did-you-mean
    fields = {k: v for k, v in overrides.items() if v is not None}
    n_ini = fields.setdefault("n_ini", Protocol.n_ini)
    if synthetic_fraction is not None:
        fields.update(_sizes_from_fraction(name, synthetic_fraction, n_ini, fields))
    if name == "fresh-data":
        fields.setdefault("n_real", DEFAULT_N_REAL)
        if "n_synth" not in fields:
            if not isinstance(fields["n_real"], int) or fields["n_real"] >= n_ini:
                raise InputError(
                    f"fresh-data: n_real = {fields['n_real']} leaves no room for synthetic "
                    f"samples in n_ini = {n_ini}; give n_synth too"
                )
            fields["n_synth"] = n_ini - fields["n_real"]
    fields.setdefault("n_synth", n_ini)
    return Protocol(name=name, **fields)


def _sizes_from_fraction(name: str, fraction, n_ini, given: dict) -> dict:
    """n_real / n_synth for a synthetic share ``fraction`` of the training set (t >= 2)."""
    if not isinstance(fraction, int | float) or not 0.0 < fraction < 1.0:
        raise InputError(f"synthetic fraction must be in (0, 1), got {fraction!r}")
    clash = sorted({"n_real", "n_synth"} & set(given))
    if clash:
        raise InputError(f"give either the synthetic fraction or {' and '.join(clash)}, not both")
    if name == "fully-synthetic":
        raise InputError(
            "fully-synthetic trains on synthetic samples only; the synthetic fraction is for "
            "synthetic-augmentation and fresh-data"
        )
    if name == "fresh-data":
        n_synth = round(fraction * n_ini)
        if not 1 <= n_synth < n_ini:
            raise InputError(
                f"synthetic fraction {fraction} of n_ini = {n_ini} leaves no real or no "
                "synthetic samples"
            )
        return {"n_real": n_ini - n_synth, "n_synth": n_synth}
    return {"n_synth": max(1, round(fraction / (1.0 - fraction) * n_ini))}
