"""Constructor-argument checks of the reference generators: a wrong type or range is refused
when the model is built, before a run folder exists, with a message naming the argument."""

from __future__ import annotations

import math

from madbench.errors import InputError


def integer(value, name: str, model: str, minimum: int = 1) -> int:
    """``value`` if it is an integer >= ``minimum`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{model}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def number(value, name: str, model: str, low: float = 0.0, high: float = math.inf) -> float:
    """``value`` as a float if it is a number in the open interval (low, high)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
        bounds = f"> {low:g}" if high == math.inf else f"in ({low:g}, {high:g})"
        raise InputError(f"{model}: {name} must be a number {bounds}, got {value!r}")
    return float(value)


def fraction(value, name: str, model: str) -> float:
    """``value`` as a float if it is a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise InputError(f"{model}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def settings(values: dict, preset: dict, model: str, fractions: tuple[str, ...] = ()) -> None:
    """Each setting of a preset-based generator, by the kind of the preset's own value:
    integers >= 1 where it is an integer, numbers > 0 where it is a float (those named in
    ``fractions``: in [0, 1)); strings are choices, checked by the generator."""
    for name, value in values.items():
        if name in fractions:
            fraction(value, name, model)
        elif isinstance(preset[name], str):
            if not isinstance(value, str):
                raise InputError(f"{model}: {name} must be a string, got {value!r}")
        elif isinstance(preset[name], int):
            integer(value, name, model)
        else:
            number(value, name, model)
