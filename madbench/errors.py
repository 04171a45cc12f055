"""Exception types raised by madbench.

Every error a user can cause derives from :class:`MadbenchError`; the CLI prints its message as a
single line on stderr and exits with status 2. The messages name the offending shape, count,
file or option, and say what to do about it.
"""

import errno
import os


class MadbenchError(Exception):
    """Base class of every error madbench raises on bad input or a bad environment."""


class InputError(MadbenchError, ValueError):
    """An array or argument that cannot be used as given (NaN, wrong shape, too few samples...)."""


class DataFileError(MadbenchError, OSError):
    """A file that is missing, unreadable, or does not hold what madbench expects."""


class FeatureError(MadbenchError, RuntimeError):
    """A feature extractor that cannot run (missing weights, offline download, no images)."""


class AdapterError(MadbenchError):
    """An adapter (a generative model plugged into madbench) that cannot be found or built,
    or that breaks the adapter contract (:class:`madbench.adapters.GenerativeModel`)."""


class BackendError(MadbenchError, RuntimeError):
    """A neighbour-search back end that is unknown or unavailable on this machine."""


class EnvironmentFault(MadbenchError, OSError):
    """The machine failed an operation (disk full, quota, read-only or failing file system,
    permission denied, no file handles): never recorded as the adapter's failure."""


#: The OS errors that say the machine, not the code, failed (:class:`EnvironmentFault`).
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}
    | {errno.EMFILE, errno.ENFILE}
)


def fault_message(exc: OSError) -> str:
    """One line for an OS error: what failed, where, and what to do."""
    what = os.strerror(exc.errno).lower() if exc.errno else one_line(exc)
    where = f" while writing or reading {exc.filename}" if exc.filename else ""
    return (
        f"{what}{where}; nothing half-written was kept: free space (or fix the permission), "
        "then run the command again (evaluate: --resume)"
    )


def one_line(text: object) -> str:
    """``text`` (an exception's message, say) with every run of whitespace made one space."""
    return " ".join(str(text).split())
