"""madbench: benchmark suite and metrics toolkit for self-consuming generative loops.

One call each (:mod:`madbench.api`)::

    import madbench
    madbench.compute_metrics(real, fake, metrics="prdc,fid")     # arrays, tensors, files, folders
    run = madbench.evaluate("gmm", "digits", generations=5)      # or a class, or an instance
    run.results                                                  # a pandas DataFrame
    madbench.load_run("runs/...")                                # verified
    madbench.resume("runs/...")                                  # after its last generation
    madbench.build_leaderboard(["runs/a", "runs/b"], "leaderboards/mine")
    madbench.rescore("runs/...")                                 # scored again, compared
    madbench.reproduce("ci")                                     # a suite: runs, board, claims
    madbench.train_features("fashion-mnist")                     # LeNet features for a data set
    madbench.make_stats("digits", eval_n=1000)                   # reference statistics, once

Every function takes the *real* set first and the *generated* (fake) set second, as arrays
with samples in rows. The adapter contract is :class:`madbench.adapters.GenerativeModel`.
"""

__version__ = "0.4.0"

API = (
    *("compute_metrics", "evaluate", "resume", "load_run", "build_leaderboard"),
    *("rescore", "reproduce", "train_features", "make_stats", "Run", "Rescored"),
    "Reproduction",
)
__all__ = [*API, "__version__"]


def __getattr__(name):  # the API loads torch and friends only when first used
    if name in API:
        from madbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'madbench' has no attribute {name!r}")
