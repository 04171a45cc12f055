"""How much one file may make madbench allocate, checked before it is read.

A file declares the size of what it holds (an IDX header, a .npz member's uncompressed size
and .npy header), and a small compressed file can declare gigabytes. Before reading, madbench
checks the declared size against :func:`max_array_bytes` (a quarter of the machine's memory,
or ``$MADBENCH_MAX_ARRAY_BYTES``) and against the bytes stored on disk: beyond
:data:`RATIO_FLOOR`, a file that declares more than :data:`MAX_RATIO` times its stored size is
refused. Deflate (gzip, zip) compresses runs of zeros about 1030:1 at most; real samples
compress far less (MNIST's and Fashion-MNIST's IDX files about 5:1), so a ratio of 200 is a
decompression bomb, and a 2 MB file can make madbench allocate at most 400 MB.
"""

from __future__ import annotations

import os

from madbench.errors import DataFileError

ENV = "MADBENCH_MAX_ARRAY_BYTES"
MAX_RATIO = 200
RATIO_FLOOR = 64 * 2**20
#: Where the machine does not say how much memory it has.
FALLBACK_BYTES = 8 * 2**30


def physical_memory() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def max_array_bytes() -> int:
    """The most bytes of values madbench reads from one file."""
    given = os.environ.get(ENV, "").strip()
    if given:
        try:
            return int(given)
        except ValueError:
            raise DataFileError(f"{ENV}={given!r} is not a number of bytes") from None
    memory = physical_memory()
    return memory // 4 if memory else FALLBACK_BYTES


def check_declared(name: str, declared: int, stored: int) -> None:
    """Refuse a file ``name`` whose ``stored`` bytes declare ``declared`` bytes of values
    beyond what may be read (module docstring)."""
    limit = max_array_bytes()
    if declared > limit:
        raise DataFileError(
            f"{name}: declares {declared / 2**30:,.2f} GiB of values, more than madbench reads "
            f"from one file ({limit / 2**30:,.2f} GiB; set {ENV} to raise it); refused before "
            "reading"
        )
    if declared > RATIO_FLOOR and declared > MAX_RATIO * stored:
        raise DataFileError(
            f"{name}: {stored:,} bytes on disk declare {declared:,} bytes of values, a "
            f"compression ratio beyond {MAX_RATIO}:1 (a decompression bomb?); refused before "
            "reading"
        )
