"""Exception types raised by madbench.

Every error a user can cause derives from :class:`MadbenchError`; the CLI prints its message as a
single line on stderr and exits with status 2. The messages name the offending shape, count,
file or option, and say what to do about it.
"""


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


def one_line(text) -> str:
    """``text`` (an exception's message, say) with every run of whitespace made one space."""
    return " ".join(str(text).split())
