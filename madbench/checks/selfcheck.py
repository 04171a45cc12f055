"""``madbench selfcheck``: madbench's metrics against independent references, on built-in data.

A regression check any user (or CI job) can run in seconds: every metric is computed by
madbench and by an independent implementation (:mod:`madbench.checks.references`; ``prdc``,
``vendi-score`` and clean-fid when installed) on data that ships with the package, and every
pair must agree. The copying metrics take the real set's even rows as the training set and its
odd rows as the held-out set.

Data sets (``real`` first, ``fake`` second):

- ``digits``: scikit-learn's 8x8 digits (64-d), dequantised with U(0, 1) noise; real = the
  even-indexed images, fake = the odd-indexed ones with extra N(0, 1) pixel noise;
- ``gaussian-32``: real N(0, I), fake N(0, 0.8 I) (a generator that lost variance, as in MAD);
- ``integer-grid``: small integer coordinates: exact duplicates and ties everywhere, where
  the ``<=`` and ``<`` rules differ most.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import asdict, dataclass

import numpy as np

from madbench import defaults
from madbench.checks import references
from madbench.metrics.copying import (
    DEFAULT_CELLS,
    DEFAULT_MIN_GENERATED,
    cell_count,
    copying_metrics,
)
from madbench.metrics.frechet import fid_from_features
from madbench.metrics.kid import kid
from madbench.metrics.knn import knn_metrics
from madbench.metrics.vendi import vendi_score

KNN_KEYS = ("precision", "recall", "density", "coverage")
#: Agreement required: k-NN metrics are exact; FID and KID are float64 computations that
#: differ from their references only in rounding.
TOLERANCE = {"knn": 1e-12, "fid": 1e-6, "kid": 1e-9, "copying": 1e-9, "vendi": 1e-9}


@dataclass(frozen=True)
class Check:
    dataset: str
    metric: str
    reference: str
    madbench: float
    expected: float
    ok: bool | None  # None: skipped, its reference is not installed (see ``skipped``)
    skipped: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def builtin_datasets(n: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The check data sets, ``name -> (real, fake)``, at most ``n`` samples a side."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    digits = load_digits().data + rng.uniform(0.0, 1.0, size=load_digits().data.shape)
    real_digits = digits[0::2][:n]
    fake_digits = digits[1::2][:n] + rng.normal(0.0, 1.0, size=digits[1::2][:n].shape)
    return {
        "digits": (real_digits, fake_digits),
        "gaussian-32": (rng.standard_normal((n, 32)), np.sqrt(0.8) * rng.standard_normal((n, 32))),
        "integer-grid": (
            rng.integers(-2, 3, size=(n, 4)).astype(np.float64),
            rng.integers(-2, 3, size=(n, 4)).astype(np.float64),
        ),
    }


def _close(a: float, b: float, tol: float, relative: bool) -> bool:
    if np.isnan(a) and np.isnan(b):  # undefined both ways (C_T with too few samples a cell)
        return True
    scale = max(abs(b), 1.0) if relative else 1.0
    return bool(abs(a - b) <= tol * scale)


def _copying_checks(add, real, fake, seed: int) -> None:
    """C_T, authenticity and memorisation rate of ``fake`` against the even rows of ``real`` as
    the training set and the odd rows as the held-out set, both ways."""
    train, held_out = real[0::2], real[1::2]
    ours = copying_metrics(train, held_out, fake, seed=seed).as_dict()
    cells = cell_count(DEFAULT_CELLS, len(fake), DEFAULT_MIN_GENERATED)
    expected = references.copying_reference(
        train, held_out, fake, cells, DEFAULT_MIN_GENERATED, seed
    )
    for key in ("ct", "authenticity", "memorised", "memorised_p"):
        add(key, "brute force", ours[key], expected[key], TOLERANCE["copying"], relative=True)


def run(n: int = 800, k: int = defaults.K, seed: int = 0) -> list[Check]:
    """Compute every metric both ways on every built-in data set; one Check per comparison."""
    try:
        from prdc import compute_prdc
    except ImportError:  # a dev extra: the brute-force reference still runs
        compute_prdc = None
    try:
        from cleanfid.fid import kernel_distance
    except ImportError:
        kernel_distance = None
    try:
        from vendi_score import vendi
    except ImportError:  # a dev extra, as prdc
        vendi = None

    checks = []
    for name, (real, fake) in builtin_datasets(n, seed).items():

        def add(metric, reference, ours, expected, tol, relative=False, dataset=name):
            ok = _close(ours, expected, tol, relative)
            checks.append(Check(dataset, metric, reference, float(ours), float(expected), ok))

        for strict in (False, True):
            ours = knn_metrics(real, fake, k=k, strict=strict)
            rule = "<" if strict else "<="
            expected = references.knn_reference(real, fake, k, strict=strict)
            for key in KNN_KEYS:
                add(
                    f"{key} ({rule})",
                    "brute force",
                    getattr(ours, key),
                    expected[key],
                    TOLERANCE["knn"],
                )
            if strict and compute_prdc is None:
                for key in KNN_KEYS:
                    checks.append(
                        Check(
                            name,
                            f"{key} (<)",
                            "prdc",
                            getattr(ours, key),
                            np.nan,
                            None,
                            "prdc is not installed: pip install prdc",
                        )
                    )
            elif strict:
                with contextlib.redirect_stdout(io.StringIO()):  # prdc prints its sizes
                    theirs = compute_prdc(real, fake, nearest_k=k)
                for key in KNN_KEYS:
                    add(f"{key} (<)", "prdc", getattr(ours, key), theirs[key], TOLERANCE["knn"])
        add(
            "fid",
            "scipy sqrtm",
            fid_from_features(real, fake),
            references.fid_reference(real, fake),
            TOLERANCE["fid"],
            relative=True,
        )
        _copying_checks(add, real, fake, seed)
        # Rows with a direction only: the package has no convention for rows of zeros.
        directed = fake[np.linalg.norm(fake, axis=1) > 0]
        if vendi is None:
            checks.append(
                Check(name, "vendi", "vendi-score", vendi_score(directed), np.nan, None,
                      "vendi-score is not installed: pip install vendi-score")
            )  # fmt: skip
        else:
            theirs = vendi.score_dual(directed)
            add("vendi", "vendi-score", vendi_score(directed), theirs, TOLERANCE["vendi"], True)
        if kernel_distance is not None:
            size = min(len(real), len(fake))
            ours = kid(real, fake, n_subsets=1, subset_size=size, seed=seed).mean
            add(
                "kid (whole set)",
                "clean-fid",
                ours,
                kernel_distance(real, fake, 1, size),
                TOLERANCE["kid"],
                relative=True,
            )
    return checks
