"""Reference statistics made once and reused: ``madbench stats make``.

A stats file holds a real set's features in one feature space and their
:class:`~madbench.metrics.reference.RealStatistics` (Gaussian, exact k-th neighbour radii),
keyed by a :class:`StatsKey`: the sha256 of the real samples (the array a loop scores
against, or the feature file or image folder ``madbench metrics`` reads), the feature
space's name and its weights' digest. It is a plain ``.npz`` (arrays ``features``,
``kth_sqdist``, ``mu`` and ``sigma`` where n > d, and ``meta``: JSON text) read without
pickles (:mod:`madbench.npfiles`).

Loops (``evaluate``, suites, ``rescore``) look for the file of their key in
``<cache>/stats/`` (:func:`stats_dir`; ``$MADBENCH_CACHE``, as for weights) and, when one is
there, take the real features and statistics from it instead of computing them: the results
are the same to the last bit. ``madbench metrics STATS.npz FAKE`` and ``madbench fid`` take
a stats file in place of the real set. Before use every file is verified: its kind and
version, the sha256 of each array against the ones its ``meta`` records, the key against
the one asked for, the shapes against each other; then the Gaussian is recomputed from the
stored features (it must be equal, bit for bit) and so are the exact radii of
:data:`SPOT_ROWS` rows drawn afresh at each load, so that a file altered in a share f of its
radii, its digests rewritten to match, passes with probability at most (1 - f)^64. The
features themselves are taken as the file holds them: the file's place is the user's own
cache (as for weights, :mod:`madbench.features.weights`), and its key names the samples and
the network they came from. A file that fails any check is refused with a message naming
it and what to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from madbench import __version__
from madbench.atomic import atomic_path
from madbench.digests import array_sha256
from madbench.errors import DataFileError
from madbench.features.weights import cache_dir
from madbench.metrics.exact import exact_sqdist
from madbench.metrics.frechet import GaussianStats, fit_gaussian
from madbench.metrics.reference import RealStatistics
from madbench.npfiles import load_npz
from madbench.types import PathLike

KIND = "madbench reference statistics"
VERSION = 1
#: Rows whose exact radii are recomputed when a file is loaded (drawn afresh each time).
SPOT_ROWS = 64


@dataclass(frozen=True)
class StatsKey:
    """What a stats file is of: the real samples' sha256, the feature space's name, and the
    digest of its weights (None for spaces without weights, such as ``identity``)."""

    data_sha256: str
    features: str
    feature_digest: str | None

    def filename(self) -> str:
        """The file's name in :func:`stats_dir`: a sha256 of the key's fields."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32] + ".npz"


def stats_dir() -> Path:
    """Where loops look for stats files: ``<cache>/stats`` (``$MADBENCH_CACHE``)."""
    return cache_dir() / "stats"


def find_stats(key: StatsKey) -> Path | None:
    """The stats file of ``key`` in :func:`stats_dir`, if there is one (not yet verified)."""
    path = stats_dir() / key.filename()
    return path if path.is_file() else None


def save_stats_file(path: PathLike, stats: RealStatistics, key: StatsKey, source: str) -> None:
    """Write ``stats`` of ``key`` to ``path`` atomically (no half-written file on failure);
    ``source`` says where the real samples came from, for people."""
    arrays = {"features": stats.features, "kth_sqdist": stats.kth_sqdist}
    if stats.gaussian is not None:
        arrays.update(mu=stats.gaussian.mu, sigma=stats.gaussian.sigma)
    meta = {
        "kind": KIND,
        "version": VERSION,
        **asdict(key),
        "k": stats.k,
        "n": int(stats.features.shape[0]),
        "dim": int(stats.features.shape[1]),
        "source": source,
        "madbench_version": __version__,
        "sha256": {name: array_sha256(value) for name, value in arrays.items()},
    }
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write statistics ({exc.strerror or exc})") from None


def is_stats_file(path: PathLike) -> bool:
    """Whether ``path`` is a ``.npz`` with a ``meta`` member (then it must be a stats file)."""
    import zipfile

    path = Path(path)
    if path.suffix != ".npz" or not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "meta.npy" in archive.namelist()
    except (zipfile.BadZipFile, OSError):  # damaged: load_npz then says so, in one line
        return False


def load_stats_file(
    path: PathLike, expect: StatsKey | None = None
) -> tuple[RealStatistics, StatsKey]:
    """The verified statistics of a stats file (module docstring) and its key; ``expect``:
    the key the file must have."""
    path = Path(path)
    try:
        arrays = load_npz(path)
    except DataFileError as exc:
        raise DataFileError(f"{exc}; remake it with madbench stats make, or remove it") from None
    meta = _meta(path, arrays)
    key = StatsKey(meta.get("data_sha256"), meta.get("features"), meta.get("feature_digest"))
    if expect is not None and key != expect:
        raise DataFileError(
            f"{path}: statistics of other samples or another feature space than asked for "
            f"(its key {_key_text(meta)}, wanted {asdict(expect)}); remake it with madbench "
            "stats make, or remove it"
        )
    recorded = meta.get("sha256")
    recorded = recorded if isinstance(recorded, dict) else {}
    expected_names = {"features", "kth_sqdist", *(("mu", "sigma") if "mu" in arrays else ())}
    if set(recorded) != expected_names or set(arrays) != {"meta", *expected_names}:
        raise DataFileError(f"{path}: its arrays ({sorted(arrays)}) are not a stats file's")
    for name in sorted(expected_names):
        if array_sha256(arrays[name]) != recorded[name]:
            raise DataFileError(
                f"{path}: array {name!r} does not have the sha256 its meta records: the file "
                "was altered or damaged; remake it with madbench stats make"
            )
    stats = _statistics(path, arrays, meta)
    _spot_check(path, stats)
    return stats, key


def _meta(path: Path, arrays: dict) -> dict:
    try:
        meta = json.loads(str(arrays["meta"][()]))
    except (KeyError, ValueError, TypeError):
        raise DataFileError(f"{path}: not a madbench stats file (no readable meta)") from None
    if not isinstance(meta, dict) or meta.get("kind") != KIND:
        raise DataFileError(f"{path}: not a madbench stats file (madbench stats make)")
    if meta.get("version") != VERSION:
        raise DataFileError(
            f"{path}: stats file version {meta.get('version')!r}; this madbench reads "
            f"version {VERSION}: remake it with madbench stats make"
        )
    return meta


def _key_text(meta: dict) -> str:
    return str({field: meta.get(field) for field in ("data_sha256", "features", "feature_digest")})


def _statistics(path: Path, arrays: dict, meta: dict) -> RealStatistics:
    """The statistics, their shapes checked against each other and the meta."""
    features, kth = arrays["features"], arrays["kth_sqdist"]
    n, d = (features.shape + (0, 0))[:2] if features.ndim == 2 else (-1, -1)
    k = meta.get("k")
    problems = []
    if (n, d) != (meta.get("n"), meta.get("dim")) or features.dtype.kind != "f":
        problems.append(f"features {features.shape} {features.dtype}")
    if kth.shape != (n,) or kth.dtype != np.float64 or not (kth >= 0).all():
        problems.append(f"radii {kth.shape} {kth.dtype}")
    if not isinstance(k, int) or not 1 <= k < n:
        problems.append(f"k = {k!r}")
    gaussian = None
    if "mu" in arrays:
        mu, sigma = arrays["mu"], arrays["sigma"]
        if mu.shape != (d,) or sigma.shape != (d, d) or n <= d:
            problems.append(f"mu {mu.shape}, sigma {sigma.shape}")
        else:
            gaussian = GaussianStats(mu=mu, sigma=sigma, n=n)
    elif n > d:
        problems.append("no mu and sigma")
    if problems or not np.isfinite(features).all():
        raise DataFileError(
            f"{path}: inconsistent stats file ({'; '.join(problems) or 'non-finite features'}); "
            "remake it with madbench stats make"
        )
    return RealStatistics(features=features, gaussian=gaussian, k=k, kth_sqdist=kth)


def _spot_check(path: Path, stats: RealStatistics) -> None:
    """The Gaussian, and :data:`SPOT_ROWS` random rows' exact k-th neighbour distances,
    recomputed from the features."""
    x = stats.features
    if stats.gaussian is not None:
        fitted = fit_gaussian(x, str(path))
        if not (
            np.array_equal(fitted.mu, stats.gaussian.mu)
            and np.array_equal(fitted.sigma, stats.gaussian.sigma)
        ):
            raise DataFileError(
                f"{path}: its mu and sigma are not its features' Gaussian: the file was "
                "altered; remake it with madbench stats make"
            )
    rows = np.random.default_rng().choice(len(x), min(SPOT_ROWS, len(x)), replace=False)
    others = np.arange(len(x))
    for row in rows:
        d = exact_sqdist(x, x, np.full(len(x), row), others)
        kth = np.partition(np.delete(d, row), stats.k - 1)[stats.k - 1]
        if not np.isclose(kth, stats.kth_sqdist[row], rtol=1e-12, atol=0.0):
            raise DataFileError(
                f"{path}: row {row}'s stored k-NN radius is not its features' ({float(kth)!r} "
                f"vs {float(stats.kth_sqdist[row])!r}): the file was altered; remake it with "
                "madbench stats make"
            )
