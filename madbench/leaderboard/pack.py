"""Leaderboard packs: one archive of everything a board was built from, so anyone can verify it.

``madbench leaderboard pack DIR`` verifies every run the board in ``DIR`` names
(:meth:`~madbench.runs.rundir.RunDir.verify`), then writes ``DIR.tar.gz`` (or ``--out``): the
board's CSVs (``leaderboard.csv``, ``per_seed.csv``, ``claims.csv``) under
``leaderboards/<name>/``, and each run's ``config.json``, ``provenance.json``, ``results.csv``
and generation folders (manifests and kept arrays) where the board's ``run_dirs`` put them
relative to it. Model checkpoints stay out unless ``--models``: a leaderboard is re-derived
from the kept arrays and results, and the manifests still hold the checkpoints' sha256. The
archive is deterministic (sorted members, zero times and owners) and its sha256 is printed
and written beside it (``.sha256``).

``madbench leaderboard verify CSV --runs ARCHIVE`` unpacks an archive into a temporary folder,
accepting only regular files and folders at relative paths inside it (no links, devices,
absolute paths or ``..``; at most :data:`MAX_MEMBERS` members and :data:`MAX_BYTES` bytes),
and re-derives CSV's rows from the runs found there, where CSV's ``run_dirs`` name them.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from madbench.atomic import atomic_path
from madbench.digests import file_sha256
from madbench.errors import DataFileError, InputError
from madbench.leaderboard.build import Run
from madbench.leaderboard.publish import read_csv
from madbench.types import Echo, PathLike

#: The board files a pack carries (those present).
BOARD_FILES = ("leaderboard.csv", "per_seed.csv", "claims.csv")
#: The run files a pack carries beside the generation folders.
RUN_FILES = ("config.json", "provenance.json", "results.csv")
#: Limits of an archive unpacked for verification.
MAX_MEMBERS = 1_000_000
MAX_BYTES = 64 * 2**30


def _member_path(board: Path, entry: str) -> PurePosixPath:
    """Where a ``run_dirs`` entry lands in the archive: relative to ``leaderboards/<board>``."""
    parts = []
    for part in PurePosixPath("leaderboards", board.name, entry).parts:
        if part == "..":
            if not parts:
                raise InputError(f"run directory {entry!r} lies outside the pack's root")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def _files(run: Path, models: bool):
    """A run's files to pack, as (path, relative name), sorted."""
    for name in RUN_FILES:
        if (run / name).is_file():
            yield run / name, name
    for path in sorted(run.rglob("*")):
        rel = path.relative_to(run)
        if not rel.parts[0].startswith("gen-") or not path.is_file() or path.is_symlink():
            continue
        if "model" in rel.parts[1:2] and not models:
            continue
        yield path, rel.as_posix()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tar.addfile(info, io.BytesIO(data))


def pack(
    folder: PathLike, out: PathLike | None = None, *, models: bool = False, echo: Echo = print
) -> tuple[Path, str, int]:
    """Write the pack of the leaderboard in ``folder`` (module docstring); return its path,
    sha256 and size in bytes."""
    folder = Path(folder)
    rows = read_csv(folder / "leaderboard.csv")
    entries = sorted({d for row in rows for d in row["run_dirs"].split(";")})
    for entry in entries:  # every run verified before anything is written
        Run.read(folder / entry)
    out = Path(out) if out else folder.with_name(folder.name + ".tar.gz")
    with atomic_path(out) as tmp:
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped,
        ):
            with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name in BOARD_FILES:
                    if (folder / name).is_file():
                        _add(
                            tar, f"leaderboards/{folder.name}/{name}", (folder / name).read_bytes()
                        )
                for number, entry in enumerate(entries, start=1):
                    where = _member_path(folder, entry)
                    for path, rel in _files(folder / entry, models):
                        _add(tar, f"{where}/{rel}", path.read_bytes())
                    if number % 20 == 0 or number == len(entries):
                        echo(f"packed {number} of {len(entries)} runs")
    digest = file_sha256(out)  # read in chunks: a suite's pack runs to gigabytes
    Path(f"{out}.sha256").write_text(f"{digest}  {out.name}\n")
    return out, digest, out.stat().st_size


@contextmanager
def unpacked(archive: PathLike) -> Iterator[Path]:
    """The archive unpacked, safely (module docstring), into a temporary folder."""
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, mode="r:*")
    except (OSError, tarfile.TarError) as exc:
        raise DataFileError(f"{archive}: not a leaderboard pack ({exc})") from None
    with tar, tempfile.TemporaryDirectory(prefix="madbench-pack-") as tmp:
        root, total = Path(tmp), 0
        try:
            for count, member in enumerate(tar, start=1):
                name = PurePosixPath(member.name)
                if count > MAX_MEMBERS or (total := total + member.size) > MAX_BYTES:
                    raise DataFileError(f"{archive}: more than the limits of a pack")
                if (
                    name.is_absolute()
                    or ".." in name.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise DataFileError(
                        f"{archive}: member {member.name!r} is not a plain file or folder inside "
                        "the pack; refused"
                    )
                target = root.joinpath(*name.parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                with open(target, "wb") as handle:
                    while chunk := source.read(2**20):
                        handle.write(chunk)
        except (OSError, tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
            raise DataFileError(f"{archive}: damaged ({exc})") from None
        yield root


def verify_packed(csv_path: PathLike, archive: PathLike) -> list[str]:
    """Re-derive the leaderboard CSV's rows (and its per_seed.csv) from the runs in ``archive``."""
    from madbench.leaderboard.publish import verify

    csv_path = Path(csv_path)
    with unpacked(archive) as root:
        board = root / "leaderboards" / csv_path.parent.name
        board.mkdir(parents=True, exist_ok=True)
        for name in ("leaderboard.csv", "per_seed.csv"):
            if (csv_path.parent / name).is_file():
                (board / name).write_bytes((csv_path.parent / name).read_bytes())
        problems = verify(board / "leaderboard.csv", root, without_models=True)
        return [p.replace(str(root) + os.sep, "") for p in problems]
