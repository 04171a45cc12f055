"""The data sets madbench runs on, by name, each described by a manifest (madbench.data.manifest).

- ``gaussian-<d>``: N(0, I_d), any d >= 1 (generated; unlimited fresh draws);
- ``gmm-25``: the MAD paper's 2-D mixture of 25 modes on a 5x5 grid (generated);
- ``digits``: scikit-learn's 8x8 digits, 1797 images with labels (embedded in scikit-learn);
- ``fashion-mnist``: 28x28 images with labels, from Debian's ``dataset-fashion-mnist`` or any
  folder holding the four IDX files (``data_dir``);
- ``fortunes``: about 11,000 short English quotations, text (:mod:`madbench.data.text`), from
  Debian's ``fortunes`` package or any folder holding its files (``data_dir``);
- any IDX image set a user adds with ``madbench data add NAME --data-dir DIR`` (MNIST, KMNIST,
  ...), which writes its manifest from the files found.

Every data set has a ``train`` split and a held-out ``test`` split used only for scoring.
Images come as float32 in [0, 1] with shape (n, height, width), at the levels their manifest's
``domain`` states; vectors as float64 (n, d); text as a 1-D ``str`` array of documents (n,);
labels as int64. File-backed sets are verified
against their manifest at every load.

:meth:`train_pool` is the real data a loop trains on: the first ``n`` rows of one seeded order
of the train split, the same rows whatever ``n`` is, so that loops asking for more real data
(fresh-data) share their first rows with loops asking for less (common random numbers).
"""

from __future__ import annotations

import difflib
import importlib.util
import io
import re
from pathlib import Path

import numpy as np

from madbench.data import manifest as manifests
from madbench.data import shapes
from madbench.data.domain import Domain
from madbench.data.idx import parse_idx
from madbench.data.imports import read_npz_splits
from madbench.data.split import Split
from madbench.data.text import read_fortunes
from madbench.errors import DataFileError, InputError

SPLITS = ("train", "test")
#: Stream of the permutation that orders a stored train split into a loop's real pool.
POOL_STREAM = 99
#: Default size of a split of a generated data set.
DEFAULT_SYNTHETIC_N = 10_000
#: Generated sets are drawn in blocks of this many rows, each block from its own seeded stream,
#: so that a shorter draw is always the prefix of a longer one.
SYNTHETIC_BLOCK = 1024
#: gmm-25: the grid of means and the per-coordinate standard deviation of each mode.
GMM_GRID = (-4.0, -2.0, 0.0, 2.0, 4.0)
GMM_STD = 0.05


def _check_split(name: str) -> None:
    if name not in SPLITS:
        raise InputError(f"unknown split {name!r}; choose 'train' or 'test' (held out)")


class SyntheticDataset:
    """A generated data set: each split is a seeded stream of fresh draws (as many as asked
    for: ``unlimited``). Vectors, or images when it has a ``domain``."""

    unlimited = True

    def __init__(
        self,
        name: str,
        manifest: manifests.Manifest,
        sampler,
        shape: tuple[int, ...],
        true_gaussian: tuple[np.ndarray, np.ndarray] | None = None,
        domain: Domain | None = None,
    ):
        self.name, self.manifest, self._sampler = name, manifest, sampler
        self.shape, self.classes, self.domain = shape, manifest.classes, domain
        self.kind = "vector" if domain is None else "image"
        #: (mean, covariance) when the data is exactly Gaussian, else None.
        self.true_gaussian = true_gaussian

    def split(self, name: str = "train", n: int | None = None, seed: int = 0) -> Split:
        """``n`` draws of split ``name``; the same seed gives the same samples, and a draw of
        ``n`` is the first ``n`` rows of any longer draw."""
        _check_split(name)
        n = DEFAULT_SYNTHETIC_N if n is None else n
        if n < 1:
            raise InputError(f"{self.name}: a split needs n >= 1 samples, got {n}")
        stream = int(self.manifest.splits[name]["stream"])
        blocks = [
            self._sampler(SYNTHETIC_BLOCK, np.random.default_rng([seed, stream, block]))
            for block in range(-(-n // SYNTHETIC_BLOCK))
        ]
        x = np.concatenate([b.x for b in blocks])[:n]
        y = None if blocks[0].y is None else np.concatenate([b.y for b in blocks])[:n]
        return Split(x, y)

    def train_pool(self, n: int, seed: int = 0) -> Split:
        """The first ``n`` real training rows of the seeded stream (fresh draws: no order to
        shuffle); the same rows whatever ``n``."""
        return self.split("train", n=n, seed=seed)

    def verify(self) -> None:
        """Nothing stored, nothing to check."""


def _gaussian_sampler(dim: int):
    def sample(n, rng):
        return Split(rng.standard_normal((n, dim)), None)

    return sample


def _shapes_sampler(n, rng):
    return Split(*shapes.render(n, rng))


def _gmm_sampler(n, rng):
    means = np.array([(a, b) for a in GMM_GRID for b in GMM_GRID])
    modes = rng.integers(0, len(means), size=n)
    return Split(means[modes] + GMM_STD * rng.standard_normal((n, 2)), modes.astype(np.int64))


class FileDataset:
    """A stored data set, verified against its manifest before every load."""

    true_gaussian = None
    unlimited = False

    def __init__(self, name: str, manifest: manifests.Manifest, directory: Path, reader):
        self.name, self.manifest, self.directory, self._reader = name, manifest, directory, reader
        self.kind, self.shape, self.classes = manifest.kind, manifest.shape, manifest.classes
        if self.kind == "text":
            self.shape = ()  # one document per sample
        self.domain = Domain.from_manifest(manifest.domain) if self.kind == "image" else None
        self._cache: dict[str, Split] | None = None

    def verify(self) -> dict[str, bytes]:
        """Check the files against the manifest; return their verified bytes."""
        return manifests.verify(self.manifest, self.directory)

    def split(self, name: str = "train", n: int | None = None, seed: int = 0) -> Split:
        """Split ``name``, whole, or ``n`` of its samples drawn without replacement (seeded)."""
        _check_split(name)
        if self._cache is None:  # read once, verified, per data set object
            self._cache = self._reader(self.manifest, self.verify())
        full = self._cache[name]
        if n is None:
            return full
        if not 1 <= n <= len(full.x):
            raise InputError(
                f"{self.name}: split {name!r} has {len(full.x)} samples; asked for {n}"
            )
        rows = np.sort(
            np.random.default_rng([seed, SPLITS.index(name)]).choice(len(full.x), n, replace=False)
        )
        return Split(full.x[rows], None if full.y is None else full.y[rows])

    def train_pool(self, n: int, seed: int = 0) -> Split:
        """The first ``n`` rows of one seeded permutation of the whole train split: the same
        order whatever ``n``, so smaller pools are prefixes of larger ones."""
        full = self.split("train")
        if not 1 <= n <= len(full.x):
            raise InputError(f"{self.name}: split 'train' has {len(full.x)} samples; asked for {n}")
        rows = np.random.default_rng([seed, POOL_STREAM]).permutation(len(full.x))[:n]
        return Split(full.x[rows], None if full.y is None else full.y[rows])


def _read_idx_images(manifest, contents) -> dict[str, Split]:
    domain = Domain.from_manifest(manifest.domain)
    out = {}
    for split, spec in manifest.splits.items():
        images = parse_idx(contents[spec["images"]], manifest.files[spec["images"]].path)
        labels = parse_idx(contents[spec["labels"]], manifest.files[spec["labels"]].path)
        out[split] = Split(domain.values(images), labels.astype(np.int64))
    return out


def _read_digits(manifest, contents) -> dict[str, Split]:
    table = np.loadtxt(io.BytesIO(contents["digits"]), delimiter=",", dtype=np.int64)
    x = Domain.from_manifest(manifest.domain).values(table[:, :-1]).reshape(-1, *manifest.shape)
    y = table[:, -1]
    held_out = np.arange(len(x)) % 5 == 0  # the manifest's test rows: index % 5 == 0
    return {"train": Split(x[~held_out], y[~held_out]), "test": Split(x[held_out], y[held_out])}


def _location(manifest: manifests.Manifest, data_dir) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    if manifest.location and manifest.location.startswith("package:"):
        # Found, never imported: a manifest must not make madbench run a module's code.
        package, _, sub = manifest.location[len("package:") :].partition("/")
        spec = importlib.util.find_spec(package) if package.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            raise DataFileError(
                f"{manifest.name}: its location names {package!r}, which is not an installed "
                "package (a location is a folder, or package:NAME/SUBFOLDER)"
            )
        return Path(list(spec.submodule_search_locations)[0]) / sub
    return Path(manifest.location)


NAMES = ("gaussian-<d>", "gmm-25", "shapes", "digits", "fashion-mnist", "fortunes")
#: How each manifest ``format`` is read into splits.
READERS = {
    "idx": _read_idx_images,
    "csv": _read_digits,
    "npz": read_npz_splits,
    "fortunes": read_fortunes,
}


def file_hashes(dataset: Dataset) -> dict[str, str]:
    """``{file: sha256}`` of the files ``dataset``'s manifest names (empty for generated
    sets): what a run's provenance records as the data it used."""
    return {f.path: f.sha256 for f in dataset.manifest.files.values()}


def shape_text(dataset: Dataset) -> str:
    """A sample's shape as ``data list`` shows it: ``8x8``, ``2``, or ``document`` (text)."""
    return "document" if dataset.kind == "text" else "x".join(map(str, dataset.shape))


def catalogue() -> list[dict]:
    """Every data set madbench knows, built-in then the user's: its ``name``, ``kind``,
    sample ``shape`` ("d" for ``gaussian-<d>``, whose dimension the name chooses), ``splits``
    (split: sample count, None where unlimited), ``licence`` and ``source``."""
    rows = []
    for name in [*NAMES, *(s for s in manifests.stored_names() if s not in NAMES)]:
        dataset = get_dataset(name.replace("<d>", "2"))
        m = dataset.manifest
        rows.append(
            {
                "name": name,
                "kind": dataset.kind,
                "shape": "d" if name == "gaussian-<d>" else shape_text(dataset),
                "splits": {split: spec.get("n") for split, spec in m.splits.items()},
                "licence": m.licence,
                "source": m.source,
            }
        )
    return rows


#: A data set by name: generated (the Gaussians, the mixtures) or read from files.
Dataset = SyntheticDataset | FileDataset


def get_dataset(name: str, *, data_dir: str | None = None) -> Dataset:
    """The data set called ``name`` (see the module docstring for the names)."""
    match = re.fullmatch(r"gaussian-(\d+)", name)
    if match and int(match.group(1)) >= 1:
        dim = int(match.group(1))
        return SyntheticDataset(
            name,
            manifests.load_manifest("gaussian"),
            _gaussian_sampler(dim),
            (dim,),
            true_gaussian=(np.zeros(dim), np.eye(dim)),
        )
    if name == "gmm-25":
        return SyntheticDataset(name, manifests.load_manifest("gmm-25"), _gmm_sampler, (2,))
    if name == "shapes":
        size = (shapes.SIZE, shapes.SIZE, 3)
        manifest = manifests.load_manifest("shapes")
        return SyntheticDataset(name, manifest, _shapes_sampler, size, domain=Domain())
    stored = manifests.stored_names()
    if name in stored:
        manifest = manifests.load_manifest(name)
        if manifest.format not in READERS:
            raise InputError(f"{name}: unknown file format {manifest.format!r} in its manifest")
        return FileDataset(name, manifest, _location(manifest, data_dir), READERS[manifest.format])
    from madbench.data.hub import HUB

    if name in HUB:
        raise InputError(
            f"data set {name!r} is not added yet: madbench data add {name} --from hf:{name} "
            "(needs the hub once, or --from hf:FOLDER for a local save_to_disk copy)"
        )
    known = [*NAMES, *(s for s in stored if s not in NAMES)]
    close = difflib.get_close_matches(name, [*known, "gaussian-2", "gaussian-100"], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(f"unknown data set {name!r}{hint} (known: {', '.join(known)})")
