"""One writer per folder: an OS-level lock on ``FOLDER/.lock``.

``evaluate`` (new runs and ``--resume``) and ``reproduce`` hold the lock exclusively while they
write; ``rescore`` and ``leaderboard build`` / ``verify`` hold it shared while they read, so
they never read a run that is half-way through a generation. The kernel releases the lock when
its process exits, even on ``kill -9``, so a crashed run never blocks the next one. The lock
file holds the holder's pid and command, for the message the next process prints. It is never
opened through a symbolic link, and one that is a link, a hard link to another file, or not a
file at all is refused: a planted link cannot turn the lock's write into a write elsewhere.

A folder that cannot hold a lock file (a read-only copy of someone's runs) is read without one:
nothing can be writing there either. POSIX only (``fcntl.flock``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from madbench.errors import DataFileError
from madbench.types import PathLike

LOCK_NAME = ".lock"


def _open_lock_file(path: Path) -> int:
    """The lock file's descriptor, never through a symbolic link (ELOOP): created exclusively
    when absent, else the one there; non-blocking, so a FIFO planted there cannot hang it."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return os.open(path, flags)


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


@contextlib.contextmanager
def locked(
    folder: PathLike, *, shared: bool = False, create: bool = False, name: str = LOCK_NAME
) -> Iterator[None]:
    """Hold ``folder``'s lock (the file ``name`` in it) for the ``with`` block: exclusive for a
    writer, ``shared`` for a reader; ``create`` makes the folder first. Another holder in the
    way is a :class:`DataFileError` naming its pid."""
    folder = Path(folder)
    path = folder / name
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        fd = _open_lock_file(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataFileError(
                f"{path} is a symbolic link; madbench's lock file must be a plain file in the "
                "folder it guards: remove the link, then try again"
            ) from None
        if shared and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM, errno.ENOENT):
            yield  # read-only, or nothing there: no writer can be at work; reading will tell
            return
        raise DataFileError(f"{folder}: cannot write there ({exc.strerror or exc})") from None
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
            raise DataFileError(
                f"{path} is not a plain file of its own ("
                + ("a hard link to another file" if stat.S_ISREG(found.st_mode) else "not a file")
                + "); remove it, then try again"
            )
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataFileError(
                f"{folder} is in use by {_holder(path)}; wait for it to finish (or stop it), "
                "then try again"
            ) from None
        if not shared:
            os.ftruncate(fd, 0)
            command = " ".join(["madbench", *sys.argv[1:3]]) if sys.argv else "madbench"
            os.write(fd, f"process {os.getpid()} ({command})\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock
