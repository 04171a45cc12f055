"""Adding a data set of one's own: ``madbench data add NAME --from PATH``.

``PATH`` may be

- a folder of images (PNG, JPEG, BMP, WebP, TIFF; searched recursively). Images in class
  sub-folders get the sub-folders' sorted names as labels 0..C-1; images directly in the folder
  make an unlabelled set. Colour images give an RGB set ``(n, height, width, 3)``; a folder of
  grayscale images only, a grayscale set ``(n, height, width)`` (transparency is dropped). All
  images must have one size unless ``size`` asks for every one to be resized (PIL bicubic) to
  ``size x size``; nothing is resized otherwise.
- a ``.npy`` array, or a ``.npz`` holding ``x`` (the samples) and optionally ``y`` (integer
  labels). Arrays (n, d) are vector sets, stored as float64; arrays (n, h, w) or (n, h, w, 3)
  are image sets, given as integers 0..255 or as floats in [0, 1] (rounded to 8 bits).
- text: a ``.txt`` file (one document per line), a ``.jsonl`` file (``"text"`` per line) or a
  folder of ``.txt`` files (one document each) (:func:`madbench.data.text.read_text_source`),
  stored as 1-D ``str`` arrays;
- ``hf:SPEC``: a text set from the Hugging Face hub (wikitext-2, TinyStories, any hub data set)
  or a local ``save_to_disk`` copy, with its own held-out split (:mod:`madbench.data.hub`);
- a folder of the four MNIST-style IDX files (``train-images*``, ``train-labels*``,
  ``t10k-images*``, ``t10k-labels*``), described where they are
  (:func:`madbench.data.manifest.write_idx_manifest`).

Images are stored as 8-bit levels in [0, 1] (``domain: {range: [0, 1], levels: 256}``). The
held-out split is ``test_fraction`` of the samples in a seeded random order, or the samples of
``test_from`` (a second source of the same kind). The splits are written as ``train.npz`` and
``test.npz`` into ``$MADBENCH_HOME/data/NAME/`` and described by a manifest in
``$MADBENCH_HOME/manifests/NAME.yaml`` (sizes and sha256 of both files, shapes, splits, domain,
classes, and the sha256 of the source), so that the set is verified at every load exactly like
the shipped ones. Nothing is written until the whole source has been read and checked.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from madbench.atomic import atomic_write_text, fsync_tree
from madbench.data.domain import Domain
from madbench.data.hub import read_hub_source
from madbench.data.manifest import Manifest, check_new_name, file_entry, write_idx_manifest
from madbench.data.split import Split
from madbench.data.text import is_text_source, read_text_source
from madbench.digests import file_sha256
from madbench.errors import DataFileError, InputError
from madbench.home import user
from madbench.imagefiles import IMAGE_EXTENSIONS, list_images, unreadable_image_errors
from madbench.npfiles import load_npy, load_npz
from madbench.types import PathLike


@dataclass(frozen=True)
class Samples:
    """Samples read from a source: ``x`` (uint8 images, float64 vectors or a 1-D str array of
    documents), labels ``y`` or None, class names (labelled folders) and the sha256 of the
    source's bytes."""

    x: np.ndarray
    y: np.ndarray | None
    class_names: tuple[str, ...] | None
    source_sha256: str

    @property
    def kind(self) -> str:
        if self.x.dtype.kind == "U":
            return "text"
        return "vector" if self.x.ndim == 2 else "image"


# -- reading sources ----------------------------------------------------------------------
def _image_files(folder: Path) -> tuple[list[Path], list[int] | None, tuple[str, ...] | None]:
    """The folder's image files (sorted) and, with class sub-folders, their labels."""
    files = list_images(folder)
    if not files:
        raise InputError(f"{folder}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)})")
    top = [p for p in files if p.parent == folder]
    if len(top) == len(files):
        return files, None, None
    if top:
        raise InputError(
            f"{folder}: {len(top)} images lie beside class sub-folders (e.g. {top[0].name}); "
            "put every image in a class folder, or none"
        )
    names = tuple(sorted({p.relative_to(folder).parts[0] for p in files}))
    labels = [names.index(p.relative_to(folder).parts[0]) for p in files]
    return files, labels, names


#: Labels are class indices below this (classes are counted as the largest label + 1).
MAX_CLASSES = 100_000


def _open(path: Path, data: bytes):
    """A PIL image of ``data`` (the bytes of ``path``), or a one-line error naming it."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except unreadable_image_errors() as exc:
        raise DataFileError(f"{path}: not a readable image ({exc}); fix or remove it") from None


def read_image_folder(
    folder: PathLike, *, size: int | None = None, progress: bool | None = None
) -> Samples:
    """Every image under ``folder`` as uint8 (n, h, w) or (n, h, w, 3); see the module.

    Two passes: the images' modes first (headers only), then each image decoded, converted
    and stored one at a time, so memory holds the result and one image, with a progress bar
    on terminals (``progress=None``)."""
    from PIL import Image
    from tqdm import tqdm

    folder = Path(folder)
    files, labels, names = _image_files(folder)
    colour = False
    for path in files:
        try:
            with Image.open(path) as image:
                colour = colour or image.mode not in ("1", "L", "I", "I;16", "F")
        except unreadable_image_errors() as exc:
            raise DataFileError(f"{path}: not a readable image ({exc}); fix or remove it") from None
    mode, digest, arrays, first = "RGB" if colour else "L", hashlib.sha256(), [], None
    bar = tqdm(
        files, desc=f"reading {folder.name}", disable=None if progress is None else not progress
    )
    for path in bar:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(folder)}:{len(data)};".encode() + data)
        image = _open(path, data).convert(mode)
        first = first or (path, image.size)
        if size is not None:
            image = image.resize((size, size), Image.Resampling.BICUBIC)
        elif image.size != first[1]:
            raise InputError(
                f"{path}: {image.size[0]}x{image.size[1]} pixels, but {first[0].name} has "
                f"{first[1][0]}x{first[1][1]}; pass --size N to resize every image"
            )
        arrays.append(np.asarray(image, dtype=np.uint8))
    y = None if labels is None else np.asarray(labels, dtype=np.int64)
    return Samples(np.stack(arrays), y, names, digest.hexdigest())


def read_array_file(path: PathLike) -> Samples:
    """The samples of a .npy file, or of a .npz's ``x`` and ``y``; see the module."""
    path = Path(path)
    if path.suffix == ".npy":
        arrays = {"x": load_npy(path)}
    elif path.suffix == ".npz":
        arrays = load_npz(path)
    else:
        raise InputError(f"{path}: give a folder of images, a .npy or a .npz file")
    if "x" not in arrays:
        raise InputError(f"{path}: a .npz data set holds its samples as x (and labels as y)")
    x, y = arrays["x"], arrays.get("y")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise InputError(f"{path}: samples must be numbers, got dtype {x.dtype}")
    if x.ndim == 2:
        x = x.astype(np.float64)
        if not np.isfinite(x).all():
            raise InputError(f"{path}: the samples contain NaN or Inf")
    elif x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3):
        x = _as_levels(x, path)
    else:
        raise InputError(
            f"{path}: samples shaped {x.shape}; expected vectors (n, d) or images (n, h, w) "
            "or (n, h, w, 3)"
        )
    if y is not None:
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (y < 0).any():
            raise InputError(f"{path}: y must hold one label >= 0 per sample, got {y.shape}")
        if y.size and y.max() >= MAX_CLASSES:
            raise InputError(
                f"{path}: label {y.max()} would make {int(y.max()) + 1:,} classes; labels must "
                f"be class indices 0 to {MAX_CLASSES - 1:,}"
            )
        y = y.astype(np.int64)
    digest = file_sha256(path)
    return Samples(x, y, None, digest)


def _as_levels(x: np.ndarray, path) -> np.ndarray:
    """Images as uint8 levels: integers 0..255 as they are, floats in [0, 1] rounded."""
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise InputError(f"{path}: integer images must lie in 0..255")
        return x.astype(np.uint8)
    if not np.isfinite(x).all() or (x.size and (x.min() < 0 or x.max() > 1)):
        raise InputError(f"{path}: float images must be finite and lie in [0, 1]")
    return np.rint(x * 255).astype(np.uint8)


def read_source(path: PathLike, *, size: int | None = None) -> Samples:
    """A folder of images, an array file or text (:func:`read_image_folder`,
    :func:`read_array_file`, :func:`~madbench.data.text.read_text_source`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such folder or file")
    if is_text_source(path) and not (path.is_dir() and list_images(path)):
        if size is not None:
            raise InputError("--size resizes image folders only")
        docs, digest = read_text_source(path)
        return Samples(docs, None, None, digest)
    if path.is_dir():
        return read_image_folder(path, size=size)
    if size is not None:
        raise InputError("--size resizes image folders only")
    return read_array_file(path)


def is_idx_folder(path: PathLike) -> bool:
    path = Path(path)
    return path.is_dir() and any(path.glob("train-images*")) and any(path.glob("t10k-images*"))


# -- writing the data set -----------------------------------------------------------------
def _splits(samples: Samples, test: Samples | None, fraction: float, seed: int):
    if test is not None:
        if test.kind != samples.kind or test.x.shape[1:] != samples.x.shape[1:]:
            raise InputError(
                f"--test-from holds {test.kind} samples shaped {test.x.shape[1:]}, the training "
                f"source {samples.kind} samples shaped {samples.x.shape[1:]}"
            )
        if (test.y is None) != (samples.y is None) or test.class_names != samples.class_names:
            raise InputError("--test-from must be labelled as the training source is")
        return samples, test
    if not 0 < fraction < 1:
        raise InputError(f"--test-fraction must lie in (0, 1), got {fraction}")
    n_test = int(round(fraction * len(samples.x)))
    if not 1 <= n_test < len(samples.x) - 1:
        raise InputError(
            f"{len(samples.x)} samples cannot be split {fraction:g} held out (at least one held "
            "out and two for training); add samples or change --test-fraction"
        )
    order = np.random.default_rng(seed).permutation(len(samples.x))
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])

    def part(rows):
        y = None if samples.y is None else samples.y[rows]
        return Samples(samples.x[rows], y, samples.class_names, samples.source_sha256)

    return part(train_rows), part(test_rows)


def _npz_bytes(samples: Samples) -> bytes:
    buffer = io.BytesIO()
    arrays = {"x": samples.x} if samples.y is None else {"x": samples.x, "y": samples.y}
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def add_dataset(
    name: str,
    source: PathLike,
    *,
    test_fraction: float = 0.1,
    test_from: PathLike | None = None,
    size: int | None = None,
    seed: int = 0,
    limit: int | None = None,
) -> Path:
    """Add ``source`` as data set ``name`` (see the module); return its manifest's path."""
    check_new_name(name)
    hub = str(source).startswith("hf:")
    if limit is not None and not hub:
        raise InputError("--limit applies to hf: sources only")
    if hub:
        if test_from is not None or size is not None:
            raise InputError("an hf: source brings its own held-out split and holds text only")
        train_docs, test_docs, digest = read_hub_source(str(source)[3:], limit)
        train, test = (
            Samples(train_docs, None, None, digest),
            Samples(test_docs, None, None, digest),
        )
    else:
        if is_idx_folder(source):
            return write_idx_manifest(name, source)
        samples = read_source(source, size=size)
        test = None if test_from is None else read_source(test_from, size=size)
        train, test = _splits(samples, test, test_fraction, seed)
    folder = user("data", create=True) / name
    files, splits = {}, {}
    contents = {split: _npz_bytes(part) for split, part in (("train", train), ("test", test))}
    for split, part in (("train", train), ("test", test)):
        data = contents[split]
        files[split] = file_entry(f"{split}.npz", data, part.x.shape)
        splits[split] = {"file": split, "n": len(part.x)}
    where = str(source) if hub else str(Path(source).resolve())
    sources = [f"{where} (sha256 {train.source_sha256})"]
    if hub:
        splits["test"]["rows"] = "the source's own held-out split"
    elif test_from is not None:
        sources.append(
            f"held-out split from {Path(test_from).resolve()} (sha256 {test.source_sha256})"
        )
    else:
        splits["test"]["rows"] = f"{test_fraction:g} of the source, seeded order (seed {seed})"
    raw = {
        "name": name,
        "kind": train.kind,
        "format": "npz",
        "source": "; ".join(sources),
        "licence": "as the source states (user-supplied)",
        "location": str(folder),
        "files": files,
        "splits": splits,
        "shape": list(train.x.shape[1:]),
        "classes": None if train.y is None else int(max(train.y.max(), test.y.max()) + 1),
    }
    if train.class_names:
        raw["class_names"] = list(train.class_names)
    if train.kind == "image":
        raw["domain"] = Domain().as_manifest()
        if size is not None:
            raw["resized"] = f"{size}x{size}, PIL bicubic"
    # The files go in first, the manifest last: a data set exists once its manifest does.
    tmp = folder.with_name(f".{name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir()
        for split, data in contents.items():
            (tmp / f"{split}.npz").write_bytes(data)
        fsync_tree(tmp)
        if folder.exists():
            shutil.rmtree(folder)  # a previous attempt's files: no manifest names them
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path = user("manifests", create=True) / f"{name}.yaml"
    atomic_write_text(path, yaml.safe_dump(raw, sort_keys=False))
    return path


def read_npz_splits(manifest: Manifest, contents: dict[str, bytes]) -> dict:
    """The splits of a data set added from a folder or an array (its verified file bytes)."""
    domain = Domain.from_manifest(manifest.domain) if manifest.kind == "image" else None
    out = {}
    for split, spec in manifest.splits.items():
        arrays = load_npz(io.BytesIO(contents[spec["file"]]), name=f"{manifest.name}/{split}.npz")
        x = arrays["x"]
        out[split] = Split(x if domain is None else domain.values(x), arrays.get("y"))
    return out


def remove_dataset(name: str) -> None:
    """Delete a user's data set: its manifest, then its stored files (not its source)."""
    manifest = user("manifests") / f"{name}.yaml"
    if not manifest.is_file():
        raise InputError(f"{name!r} is not a data set you added (no {manifest})")
    manifest.unlink()
    folder = user("data") / name
    if folder.is_dir():
        shutil.rmtree(folder)
