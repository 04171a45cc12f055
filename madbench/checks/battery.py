"""The reference battery of ``madbench check-metric``: cases any implementation of a metric
must pass, each with its expected value, tolerance, and the historical bug a failure matches.

Signatures (real first, generated second, features as float numpy arrays (n, d)):

- ``precision``, ``recall``, ``density``, ``coverage``: ``f(real, fake, *, k) -> float``;
- ``fid``: ``f(real, fake) -> float``;
- ``kid``: ``f(real, fake, *, subset_size, n_subsets, seed) -> float`` (the mean over subsets);
- ``cmmd``: ``f(real, fake) -> float`` (the authors' sigma 10 and scale 1000, on embeddings
  as given: the cases' rows are unit vectors, as CLIP's are);

and a function that also takes ``batch_size=`` gets the batch-size cases. Expected values
come from :mod:`madbench.checks.references` (brute force, scipy) or from analytic identities
(a shifted copy's FID is the shift's squared norm, whatever the covariance; k-NN metrics do not
change when both sets are scaled), never from madbench.metrics. ``rule`` is the k-NN ball
rule expected: ``<=`` (madbench, the MAD paper) or ``<`` (prdc's).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from madbench.checks import references

KNN = ("precision", "recall", "density", "coverage")
METRICS = (*KNN, "fid", "kid", "cmmd")
#: The bugs toolkits shipped, named by the case whose failure matches them.
BUGS = {
    "swapped": "precision and recall swapped (torch-fidelity issue 58, fixed in PR 70)",
    "strict": "the strict < ball rule where <= is meant: sets with duplicates score 0 (prdc "
    "issue 7)",
    "lenient": "the <= ball rule where < is meant (prdc's convention)",
    "sqrtm": "an imaginary part or NaN from sqrtm of a singular covariance product "
    "(pytorch-fid issues 13 and 117; scipy 1.12's regression, scipy issue 20178)",
    "subset": "a KID subset larger than the sample (torch-fidelity issues 8 and 45)",
    "batch": "a result that depends on the batch size (torchmetrics issue 1620, torch-fidelity "
    "issue 43)",
    "scale": "distances that underflow or overflow at extreme feature scales",
    "order": "real and generated sets taken in the wrong order",
    "unbiased": "CMMD from the unbiased MMD estimator (KID's), not the authors' minimum-variance "
    "V-statistic, whose means include each row with itself",
    "cancel": "kernel means near 1 summed in float32 (as CMMD's authors' code does): their "
    "difference, the CMMD, keeps only its first digits",
}


@dataclass(frozen=True)
class Case:
    """One input and what the metric must give: ``expected`` within ``tolerance`` times
    ``max(|expected|, floor)``, or, when ``expected`` is None, an error or the value
    the same function gives with ``same_as``'s keyword arguments instead (never NaN or Inf).
    ``bug``: a key of :data:`BUGS`, or ""."""

    metric: str
    name: str
    description: str
    real: np.ndarray = field(repr=False)
    fake: np.ndarray = field(repr=False)
    kwargs: dict
    expected: float | None
    tolerance: float
    bug: str = ""
    same_as: dict | None = None
    error_ok: bool = False  # an error passes too (k at a limit an implementation may refuse)
    floor: float = 1.0  # the tolerance is relative to max(|expected|, floor); 0: purely relative
    #: the case that must pass for this one's failure to name ``bug`` (an implementation wrong
    #: everywhere also fails the scaled copy of a case, without any scale bug)
    given: str = ""


def _gaussians(rng, n, m, d, shift=0.0, scale=1.0):
    return rng.standard_normal((n, d)), shift + scale * rng.standard_normal((m, d))


def knn_cases(metric: str, rule: str = "<=", seed: int = 0) -> list[Case]:
    """The cases of one k-NN metric under ball rule ``rule``."""
    strict = rule == "<"
    rng = np.random.default_rng(seed)

    def case(name, description, real, fake, k=5, bug="", error_ok=False):
        expected = references.knn_reference(real, fake, k, strict=strict)[metric]
        return Case(metric, name, description, real, fake, {"k": k}, float(expected), 1e-12, bug,
                    error_ok=error_ok)  # fmt: skip

    real, fake = _gaussians(rng, 150, 120, 6, shift=0.3)
    wide, narrow = _gaussians(rng, 200, 200, 4, scale=0.2)
    points = rng.standard_normal((40, 3))
    duplicates = np.repeat(points, 6, axis=0)
    grid_real = rng.integers(0, 4, (120, 2)).astype(np.float64)
    grid_fake = rng.integers(0, 4, (100, 2)).astype(np.float64)
    low_real, low_fake = _gaussians(rng, 30, 25, 100)
    tiny_real, tiny_fake = _gaussians(rng, 7, 7, 3)
    least_real, least_fake = _gaussians(rng, 6, 6, 3)
    order_bug = "swapped" if metric in ("precision", "recall") else "order"
    cases = [
        case("gaussians", "N(0, I) against N(0.3, I), d = 6, k = 5", real, fake),
        case(
            "contracted",
            "real N(0, I), generated N(0, 0.04 I): high precision, low recall; "
            "catches swapped arguments",
            wide,
            narrow,
            bug=order_bug,
        ),
        case("identical", "the generated set is the real set", real, real.copy()),
        case(
            "duplicates",
            "every point 6 times (k = 5: every radius is 0)",
            duplicates,
            duplicates.copy(),
            bug="lenient" if strict else "strict",
        ),
        case(
            "ties",
            "integer grid points: ties at every distance",
            grid_real,
            grid_fake,
            bug="lenient" if strict else "strict",
        ),
        case("n<d", "30 and 25 samples in 100 dimensions", low_real, low_fake),
        case("tiny", "7 samples a side, k = 5", tiny_real, tiny_fake),
        case(
            "k=n-1",
            "6 samples a side, k = 5: the k-th neighbour (self excluded) is the last "
            "one; an error refusing k passes too",
            least_real,
            least_fake,
            error_ok=True,
        ),
        case("k=1", "k = 1", real, fake, k=1),
        case(
            "float32", "the gaussians as float32", real.astype(np.float32), fake.astype(np.float32)
        ),
    ]
    base = cases[0].expected
    for scale in (1e-30, 1e30):
        cases.append(Case(metric, f"scale {scale:g}", "the gaussians times a scale: k-NN metrics "
                          "do not change", real * scale, fake * scale, {"k": 5}, base, 1e-12,
                          "scale", given="gaussians"))  # fmt: skip
    return cases


def fid_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((5, 5))
    real = rng.standard_normal((500, 5)) @ mixing
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    other = rng.standard_normal((400, 5)) @ (0.8 * mixing) + 0.2
    singular = rng.standard_normal((20, 50))
    shift50 = np.linspace(-1.0, 1.0, 50)
    squared = float(shift @ shift)

    def case(name, description, a, b, expected, tolerance=1e-6, bug=""):
        return Case("fid", name, description, a, b, {}, float(expected), tolerance, bug)

    cases = [
        case(
            "shift",
            "a shifted copy: FID = |shift|^2 (equal covariances)",
            real,
            real + shift,
            squared,
        ),
        case("identical", "the generated set is the real set: 0", real, real.copy(), 0.0),
        case(
            "gaussians",
            "two correlated Gaussians (scipy sqrtm, well conditioned)",
            real,
            other,
            references.fid_reference(real, other),
        ),
        case(
            "order",
            "the same two sets, generated first: FID is symmetric",
            other,
            real,
            references.fid_reference(real, other),
            bug="order",
        ),
        case(
            "singular",
            "20 samples in 50 dimensions, shifted copy: singular covariances, FID = |shift|^2",
            singular,
            singular + shift50,
            float(shift50 @ shift50),
            bug="sqrtm",
        ),
    ]
    for scale in (1e-30, 1e30):
        scaled = Case("fid", f"scale {scale:g}", "the shifted copy times a scale: FID times its "
                      "square (relative tolerance)", real * scale, (real + shift) * scale, {},
                      squared * scale**2, 1e-6, "scale", floor=0.0, given="shift")  # fmt: skip
        cases.append(scaled)
    return cases


def kid_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    real, fake = _gaussians(rng, 60, 60, 4, shift=0.5)
    full = {"subset_size": 60, "n_subsets": 1, "seed": 0}
    expected = references.kid_reference(real, fake)
    single = (real.astype(np.float32), fake.astype(np.float32))
    single_expected = references.kid_reference(*(x.astype(np.float64) for x in single))
    whole = "one subset holding both whole sets: unbiased MMD^2, cubic kernel"
    return [
        Case("kid", "one subset", whole, real, fake, full, expected, 1e-9),
        Case("kid", "order", "generated first: KID is symmetric", fake, real, full, expected,
             1e-9, "order"),
        # a kernel in float32 arithmetic is fair: float32's rounding, not 1e-9
        Case("kid", "float32", f"{whole}, as float32", *single, full, single_expected, 1e-5),
        Case("kid", "subset > n", "subsets of 120 from 60 samples: an error, or what subsets "
             "of all 60 give (no row drawn twice)", real, fake, {**full, "subset_size": 120},
             None, 1e-9, "subset", same_as=full),
    ]  # fmt: skip


def cmmd_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    real = unit(rng.standard_normal((200, 16)))
    fake = unit(rng.standard_normal((150, 16)) + 0.4)
    near = unit(real + 0.01 * rng.standard_normal(real.shape))
    few_real, few_fake = real[:6], fake[:5]
    single = real.astype(np.float32), fake.astype(np.float32)
    expected = references.cmmd_reference(real, fake)

    def case(name, description, a, b, tolerance=1e-9, bug="", floor=0.0, given=""):
        value = references.cmmd_reference(a.astype(np.float64), b.astype(np.float64))
        return Case("cmmd", name, description, a, b, {}, value, tolerance, bug, floor=floor,
                    given=given)  # fmt: skip

    return [
        case("unit embeddings", "two sets of unit vectors, 200 and 150 rows", real, fake),
        Case("cmmd", "identical", "the generated set is the real set: 0 (a V-statistic; the "
             "unbiased estimator is negative)", real, real.copy(), {}, 0.0, 1e-9, "unbiased"),
        case("order", "the same two sets, generated first: CMMD is symmetric", fake, real,
             bug="order", given="unit embeddings"),
        case("few rows", "6 and 5 rows: the V-statistic's means include each row with itself",
             few_real, few_fake),
        case("near-identical", "each row moved by about 0.01: CMMD about 1e-4, to 1e-6 "
             "(relative)", real, near, tolerance=1e-6, bug="cancel", given="float32"),
        # arithmetic on float32 inputs in float32 is fair where the value is large
        case("float32", "the unit-embedding sets as float32", *single, tolerance=1e-4),
    ] if expected > 0 else []  # fmt: skip


def cases_for(metric: str, rule: str = "<=", seed: int = 0) -> list[Case]:
    if metric in KNN:
        return knn_cases(metric, rule, seed)
    if metric == "fid":
        return fid_cases(seed)
    if metric == "cmmd":
        return cmmd_cases(seed)
    return kid_cases(seed)


@dataclass(frozen=True)
class Outcome:
    """A case's result; ``bug``: the known bug its failure matches ("" if none or passed)."""

    case: Case
    got: float | None
    ok: bool
    error: str = ""
    bug: str = ""

    def line(self) -> str:
        c = self.case
        want = "an error or the same value" if c.expected is None else f"{c.expected:.10g}"
        got = self.error or f"{self.got:.10g}"
        verdict = "ok  " if self.ok else "FAIL"
        bug = f"  <- matches: {BUGS[self.bug]}" if self.bug else ""
        return (
            f"{verdict} {c.metric} {c.name}: expected {want} (tol {c.tolerance:g}), got {got}{bug}"
        )


class _Complex(Exception):
    """A metric function returned a complex value with a non-negligible imaginary part."""


def _call(function, case: Case, **extra) -> float:
    value = function(case.real.copy(), case.fake.copy(), **case.kwargs, **extra)
    if np.iscomplexobj(value):
        real = np.real_if_close(np.asarray(value))
        if np.iscomplexobj(real):
            raise _Complex(str(complex(real.item())))
        return float(real.item())
    return float(value)


def run_case(function: Callable, case: Case) -> Outcome:
    """``function`` on ``case``: its value and whether it passes."""
    try:
        got = _call(function, case)
    except _Complex as exc:  # a wrong value, not a crash: it may match a bug
        return Outcome(case, None, False, f"returned the complex value {exc}")
    except Exception as exc:  # a user's function: whatever it raises is its outcome
        return Outcome(case, None, case.expected is None or case.error_ok, f"raised {exc!r}"[:200])
    if not np.isfinite(got):
        return Outcome(case, got, False)
    if case.expected is None:
        try:
            same = _call(function, Case(**{**case.__dict__, "kwargs": case.same_as}))
        except Exception as exc:
            return Outcome(case, got, False, f"raised {exc!r} on {case.same_as}"[:200])
        return Outcome(case, got, abs(got - same) <= case.tolerance * max(1.0, abs(same)))
    ok = abs(got - case.expected) <= case.tolerance * max(case.floor, abs(case.expected))
    return Outcome(case, got, bool(ok))


def batch_outcomes(
    function: Callable, metric: str, rule: str = "<=", seed: int = 0
) -> list[Outcome]:
    """For a function taking ``batch_size``: the first case at batch sizes 1, 7 and 4096."""
    if "batch_size" not in inspect.signature(function).parameters:
        return []
    base = cases_for(metric, rule, seed)[0]
    out = []
    for size in (1, 7, 4096):
        case = Case(metric, f"batch_size {size}", "results must not depend on the batch size",
                    base.real, base.fake, {**base.kwargs, "batch_size": size}, base.expected,
                    base.tolerance, "batch")  # fmt: skip
        out.append(run_case(function, case))
    return out


def check_metric(function: Callable, metric: str, rule: str = "<=", seed: int = 0) -> list[Outcome]:
    """Every case of ``metric``'s battery on ``function``."""
    if metric not in METRICS:
        from madbench.errors import InputError

        raise InputError(f"unknown metric {metric!r}; the battery covers {', '.join(METRICS)}")
    outcomes = [run_case(function, case) for case in cases_for(metric, rule, seed)]
    outcomes += batch_outcomes(function, metric, rule, seed)
    passed = {o.case.name for o in outcomes if o.ok}
    return [
        replace(o, bug=o.case.bug)
        if not o.ok
        and not o.error.startswith("raised")  # a crash matches no bug
        and o.case.bug
        and (not o.case.given or o.case.given in passed)
        else o
        for o in outcomes
    ]
