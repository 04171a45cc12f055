"""Reading feature arrays and Gaussian statistics from files.

Accepted inputs:

- ``.npy``: one 2-D array ``(n_samples, n_features)``;
- ``.npz``: an array named ``features``, or a single array of any name; a file holding
  ``mu`` and ``sigma`` is a statistics file (FID only; see :func:`load_stats_or_features`);
  a stats file of ``madbench stats make`` (:mod:`madbench.statsfiles`) gives its features
  and statistics, verified;
- a folder of images: the features of a pretrained network (an extractor with ``folder()``:
  Inception-v3 through clean-fid by default, or DINOv2; :mod:`madbench.features.spaces`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from madbench.errors import DataFileError
from madbench.features.extractors import InceptionFeatures
from madbench.metrics.frechet import GaussianStats, fit_gaussian, load_stats
from madbench.metrics.validate import as_features
from madbench.npfiles import load_npy, load_npz
from madbench.types import PathLike

if TYPE_CHECKING:
    from madbench.features.spaces import FeatureExtractor


NPY_MAGIC = b"\x93NUMPY"
NPZ_MAGIC = b"PK"


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as handle:
        head = handle.read(6)
    if not head.startswith(NPY_MAGIC if path.suffix == ".npy" else NPZ_MAGIC):
        raise DataFileError(f"{path}: not a {path.suffix} file (its header is {head!r})")
    if path.suffix == ".npy":
        return {"features": load_npy(path)}
    return load_npz(path)


def _check_path(path) -> Path:
    path = Path(os.fspath(path))
    if not path.exists():
        raise DataFileError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix not in (".npy", ".npz"):
        raise DataFileError(
            f"{path}: unsupported file type {path.suffix or '(none)'}; expected a .npy or .npz "
            "feature file, or a folder of images"
        )
    return path


def load_features(path: PathLike, *, extractor: FeatureExtractor | None = None) -> np.ndarray:
    """A validated 2-D feature array from a .npy/.npz file or an image folder (features of
    ``extractor``, default Inception)."""
    from madbench.statsfiles import is_stats_file, load_stats_file

    path = _check_path(path)
    if path.is_dir():
        return (extractor or InceptionFeatures()).folder(path)
    if is_stats_file(path):  # verified before its features are used
        return load_stats_file(path)[0].features
    arrays = _read_arrays(path)
    if "features" in arrays:
        array = arrays["features"]
    elif len(arrays) == 1:
        (array,) = arrays.values()
    elif {"mu", "sigma"} <= set(arrays):
        raise DataFileError(
            f"{path}: holds Gaussian statistics (mu, sigma), not features; k-NN metrics need "
            "the features themselves (FID alone can use statistics: madbench fid)"
        )
    else:
        raise DataFileError(
            f"{path}: holds several arrays {sorted(arrays)}; name the features 'features'"
        )
    return as_features(array, str(path))


def load_stats_or_features(
    path: PathLike, *, extractor: FeatureExtractor | None = None
) -> GaussianStats:
    """Gaussian statistics from a statistics .npz or a stats file (:mod:`madbench.statsfiles`,
    verified), or fitted to the features of ``path``."""
    from madbench.statsfiles import is_stats_file, load_stats_file

    path = _check_path(path)
    if is_stats_file(path):
        stats = load_stats_file(path)[0]
        return stats.gaussian or fit_gaussian(stats.features, str(path))
    if path.is_file() and path.suffix == ".npz" and {"mu", "sigma"} <= set(_read_arrays(path)):
        return load_stats(path)
    return fit_gaussian(load_features(path, extractor=extractor), str(path))
