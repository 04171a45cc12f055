"""madbench: benchmark suite and metrics toolkit for self-consuming generative loops.

The metrics live in :mod:`madbench.metrics`; every function takes the *real* set first and the
*generated* (fake) set second, as arrays with samples in rows.
"""

__version__ = "0.3.0"
