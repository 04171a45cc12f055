"""Shared set-up of the torch generators: presets with overrides, and the device."""

from __future__ import annotations

import torch

from madbench.errors import InputError


def resolve_settings(model: str, presets: dict, preset: str, overrides: dict) -> dict:
    """The preset's settings with ``overrides`` applied; unknown names are an error."""
    if preset not in presets:
        raise InputError(f"unknown {model} preset {preset!r}; choose one of {', '.join(presets)}")
    unknown = set(overrides) - set(presets[preset])
    if unknown:
        raise InputError(
            f"unknown {model} options {sorted(unknown)}; known: {sorted(presets[preset])}"
        )
    return {**presets[preset], **overrides}


def pick_device(device: str | None) -> torch.device:
    """``device`` if given, else CUDA when torch sees a GPU, else the CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
