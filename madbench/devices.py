"""Which torch device a computation runs on: one rule for metrics, features and generators."""

from __future__ import annotations

import torch

from madbench.errors import BackendError


def pick_device(device: str | None = None) -> torch.device:
    """``device`` (``cpu``, ``cuda``, ``cuda:N``...) if given, else CUDA when torch sees a GPU,
    else the CPU. An unknown device, or CUDA without a GPU, is a :class:`BackendError`."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendError(f"unknown torch device {device!r} (use cpu or cuda): {first}") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise BackendError(f"device {device!r} requested but torch sees no GPU; use --device cpu")
    return chosen
