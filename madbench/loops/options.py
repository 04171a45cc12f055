"""The loop options beyond the MAD paper, as text: ``--curate``, ``--select``, ``--correct``.

Each is ``METHOD[:key=value[,key=value...]]`` (``--correct`` also takes a ``module:function``
followed by ``,key=value`` items). :func:`parse_option` checks one against :data:`METHODS`
and fills in every default, and :meth:`OptionSpec.text` writes it back in one canonical form
(method first, keys sorted), which is what the protocol stores and hashes: two spellings of
one option are one protocol.

- ``--curate bt:reward=R,k=K,beta=B``: K-wise Bradley-Terry choice (Ferbach et al., NeurIPS
  2024): each kept sample is one of K fresh draws, draw i chosen with probability
  ``exp(B r_i) / sum_j exp(B r_j)``; ``top:reward=R,keep=F``: the share F of the draws with the
  highest reward. Rewards: :mod:`madbench.loops.rewards`.
- ``--select kcenter|random|threshold:realism=V`` with ``share=S`` (Shi et al., NeurIPS 2025):
  keep ``n_synth`` of ``n_synth / S`` draws, by greedy k-centre cover in the feature space
  ``features=`` (default the run's), uniformly, or those whose realism score (Kynkaanniemi et
  al. 2019, squared as :mod:`madbench.metrics.knn` gives it: 1 is the edge of the real balls)
  is at least V.
- ``--correct kmeans|nearest|module:function,strength=G`` (Gillman et al., ICML 2024): a share G
  of the kept samples replaced by their correction: the nearest of ``clusters`` k-means centres
  per class of generation 1's real data, the nearest real sample of it, or your function
  (array in, array of the same shape out).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from madbench.errors import InputError

#: A ``module:function`` (dotted module path, one attribute).
CODE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
#: Built-in rewards (:mod:`madbench.loops.rewards`); ``class:C`` is the fourth.
REWARDS = ("confidence", "realism")


def check_reward(spec: object) -> str:
    """``spec`` if it names a reward: ``confidence``, ``realism``, ``class:C`` (C >= 0) or a
    ``module:function``; else InputError."""
    if isinstance(spec, str) and (
        spec in REWARDS or re.fullmatch(r"class:\d+", spec) or CODE.fullmatch(spec)
    ):
        return spec
    raise InputError(
        f"unknown reward {spec!r}: give confidence, realism, class:C (a class index) or "
        "module:function (an array of samples in, one float per sample out)"
    )


def _share(value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise InputError(f"must lie in (0, 1], got {value:g}")
    return value


def _strength(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"must lie in [0, 1], got {value:g}")
    return value


def _at_least(low: int):
    def check(value: int) -> int:
        if value < low:
            raise InputError(f"must be at least {low}, got {value}")
        return value

    return check


def _positive(value: float) -> float:
    if not value > 0.0:
        raise InputError(f"must be above 0, got {value:g}")
    return value


def _space(value: str) -> str:
    if not value:
        raise InputError("must name a feature space")
    return value


def _any(value: float) -> float:
    return value


#: Every option's methods and their keys: (type, default, check). A default of None means
#: the key is left out unless given (``features``: the run's own feature space).
METHODS = {
    "curate": {
        "bt": {
            "reward": (str, "confidence", check_reward),
            "k": (int, 4, _at_least(2)),
            "beta": (float, 1.0, _positive),
        },
        "top": {"reward": (str, "confidence", check_reward), "keep": (float, 0.5, _share)},
    },
    "select": {
        "kcenter": {"share": (float, 0.5, _share), "features": (str, None, _space)},
        "random": {"share": (float, 0.5, _share)},
        "threshold": {
            "realism": (float, 1.0, _any),
            "share": (float, 0.5, _share),
            "features": (str, None, _space),
        },
    },
    "correct": {
        "kmeans": {"strength": (float, 0.5, _strength), "clusters": (int, 10, _at_least(1))},
        "nearest": {"strength": (float, 0.5, _strength)},
        "code": {"strength": (float, 0.5, _strength)},
    },
}


@dataclass(frozen=True)
class OptionSpec:
    """One parsed option: its kind (curate, select, correct), method, filled-in options, and
    for ``--correct module:function`` the function's name (``code``)."""

    kind: str
    method: str
    options: dict
    code: str | None = None

    def text(self) -> str:
        """The canonical spelling (module docstring)."""
        items = ",".join(f"{k}={_value_text(v)}" for k, v in sorted(self.options.items()))
        head = self.code if self.code else self.method
        joiner = "," if self.code else ":"
        return f"{head}{joiner}{items}" if items else head

    def code_names(self) -> list[str]:
        """The ``module:function`` names this option would import (its function, a reward)."""
        names = [self.code] if self.code else []
        reward = self.options.get("reward", "")
        if CODE.fullmatch(reward) and not reward.startswith("class:"):
            names.append(reward)
        return names


def _value_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_option(kind: str, text: str) -> OptionSpec:
    """``text`` as an option of ``kind`` (``curate``, ``select`` or ``correct``), every key
    checked and every default filled in; InputError says what to fix."""
    methods = METHODS[kind]
    if not isinstance(text, str) or not text:
        raise InputError(f"--{kind} needs a method: one of {', '.join(_named(methods))}")
    first, *more = text.split(",")
    name, colon, rest = first.partition(":")
    code = None
    if name in methods and name != "code":
        items = [rest, *more] if colon else more
    elif "code" in methods and CODE.fullmatch(first):
        name, code, items = "code", first, more
    else:
        close = difflib.get_close_matches(name, _named(methods), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        extra = " or module:function" if "code" in methods else ""
        raise InputError(
            f"--{kind} {text!r}: unknown method {name!r}{hint}; choose "
            f"{', '.join(_named(methods))}{extra}"
        )
    keys = methods[name]
    options = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or key not in keys:
            raise InputError(
                f"--{kind} {text!r}: {item!r} is not one of {name}'s key=value options "
                f"({', '.join(keys)})"
            )
        if key in options:
            raise InputError(f"--{kind} {text!r}: {key} is given twice")
        kind_of, _, check = keys[key]
        try:
            options[key] = check(kind_of(value))
        except (ValueError, InputError) as exc:
            why = str(exc) if isinstance(exc, InputError) else f"not a {kind_of.__name__}"
            raise InputError(f"--{kind} {text!r}: {key} {value!r}: {why}") from None
    for key, (_, default, _) in keys.items():
        if default is not None:
            options.setdefault(key, default)
    return OptionSpec(kind, name, options, code)


def _named(methods: dict) -> list[str]:
    return [m for m in methods if m != "code"]


def canonical(kind: str, text: str) -> str:
    """``text`` in its canonical spelling ("" stays "": the option is off)."""
    return parse_option(kind, text).text() if text else ""


def named_code(protocol: object, reward: str | None = None) -> list[tuple[str, str, list[str]]]:
    """The options of ``protocol`` (and scoring's ``reward``) that name code from outside
    madbench: (option, its spelling, the ``module:function`` names)."""
    found = []
    for kind in ("curate", "select", "correct"):
        text = getattr(protocol, kind)
        names = parse_option(kind, text).code_names() if text else []
        if names:
            found.append((kind, text, names))
    if reward and CODE.fullmatch(reward) and not reward.startswith("class:"):
        found.append(("reward", reward, [reward]))
    return found


def code_in(texts: dict) -> list[str]:
    """The ``module:function`` names in option texts ``{kind: text}`` a user gave (None and ""
    skipped; kind ``reward``: the text is a reward)."""
    names = []
    for kind, text in texts.items():
        if not text:
            continue
        if kind == "reward":
            names += [check_reward(text)] if CODE.fullmatch(text) else []
        else:
            names += parse_option(kind, text).code_names()
    return names
