"""The types of madbench's public signatures: aliases for annotations (every module that uses
them has ``from __future__ import annotations``, so none is evaluated at run time, and this
module imports neither torch nor numpy's heavy parts when only read by a type checker)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Union

import numpy.typing as npt

if TYPE_CHECKING:
    import torch

#: Feature or sample arrays, samples in rows: numpy arrays, what numpy reads as one, or torch
#: tensors.
Array = Union[npt.ArrayLike, "torch.Tensor"]
#: A file or folder path.
PathLike = str | os.PathLike
#: Arrays or tensors, or a path to a .npy/.npz file or a folder of images.
FeatureSource = Array | PathLike
#: Where progress lines go (``print``, ``click.echo``, a list's ``append``).
Echo = Callable[[str], None]
