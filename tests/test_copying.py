"""Data copying (C_T), authenticity and memorisation rate: against the brute-force reference
and against cases whose answer is known."""

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from madbench.checks.references import copying_reference
from madbench.errors import InputError
from madbench.metrics.copying import (
    COPYING_THRESHOLD,
    DEFAULT_QUANTILE,
    copying_metrics,
    mann_whitney_z,
)
from madbench.metrics.exact import Prepared, nearest_sqdist
from madbench.metrics.neighbours import TorchBackend


def _sets(seed, n_train=400, n=300, d=5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_train, d)), rng.standard_normal((n, d)), rng)


@pytest.mark.parametrize("case", ["fresh", "copies", "mixed", "quantised"])
def test_equals_the_reference(case):
    train, test, rng = _sets(1)
    generated = {
        "fresh": rng.standard_normal((300, 5)),
        "copies": train[rng.integers(0, 400, 300)] + 1e-3 * rng.standard_normal((300, 5)),
        "mixed": np.concatenate([train[:150], rng.standard_normal((150, 5))]),
        # Ties everywhere: values on a coarse grid, the training set with duplicates.
        "quantised": np.round(rng.standard_normal((300, 5))),
    }[case]
    if case == "quantised":
        train, test = np.round(train), np.round(test)
    got = copying_metrics(train, test, generated, cells=6, min_generated=10, seed=3)
    want = copying_reference(train, test, generated, 6, 10, DEFAULT_QUANTILE, 3)
    assert got.as_dict() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_cells_shrink_so_that_they_can_count():
    from madbench.metrics.copying import cell_count

    assert [cell_count(20, m, 20) for m in (1000, 250, 150, 19)] == [20, 12, 7, 1]
    train, test, rng = _sets(8, n_train=200, n=150)
    generated = rng.standard_normal((150, 5))
    got = copying_metrics(train, test, generated, seed=1)  # 20 cells asked, 7 used
    want = copying_reference(train, test, generated, 7, 20, DEFAULT_QUANTILE, 1)
    assert got.as_dict() == pytest.approx(want, rel=1e-9) and got.ct_cells <= 7


def test_mann_whitney_u_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 30).astype(float)
    u = mannwhitneyu(a, b, method="asymptotic").statistic  # U of the first sample, ties 1/2
    assert mann_whitney_z(a, b) == pytest.approx((u - 600) / np.sqrt(40 * 30 * 71 / 12))


def test_memorising_model_is_flagged_and_fresh_samples_are_not():
    train, test, rng = _sets(2, n_train=1000, n=1000, d=8)
    fresh = copying_metrics(train, test, rng.standard_normal((1000, 8)), seed=0)
    copies = train[rng.integers(0, 1000, 1000)] + 1e-3 * rng.standard_normal((1000, 8))
    copying = copying_metrics(train, test, copies, seed=0)
    assert abs(fresh.ct) < 3 and copying.ct < COPYING_THRESHOLD
    assert fresh.memorised < 0.04 and copying.memorised == 1.0
    assert fresh.authenticity > 0.3 and copying.authenticity == 0.0


def test_exact_copies_and_duplicated_training_rows():
    train, test, _ = _sets(4, n_train=50, n=50)
    doubled = np.concatenate([train, train])  # an accumulating loop's repeated samples
    result = copying_metrics(doubled, test, train[:30], cells=2, min_generated=5)
    assert result.authenticity == 0.0 and result.memorised == 1.0
    assert result.memorised_threshold > 0  # duplicates do not drive the threshold to 0


def test_collapsed_training_sets():
    train, test, _ = _sets(7, n_train=30, n=30)
    collapsed = copying_metrics(np.ones((5, 5)), test, test)  # one distinct sample
    assert np.isnan([collapsed.ct, collapsed.authenticity, collapsed.memorised]).all()
    few = copying_metrics(train[:3], test, test, cells=20, min_generated=1)  # 3 cells at most
    assert few.ct_cells <= 3 and np.isfinite(few.ct)


def test_nearest_is_exact_and_prefers_the_lower_index_on_ties():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((300, 4)) * 1e4  # large offsets: float32 distances are coarse
    base[7] = base[3]
    queries = np.concatenate([base[[3, 10]] + 1e-3, rng.standard_normal((50, 4)) * 1e4])
    engine = TorchBackend("cpu")
    origin = base.mean(axis=0)
    sq, idx = nearest_sqdist(
        engine, Prepared.make(engine, base, origin), Prepared.make(engine, queries, origin)
    )
    full = ((queries[:, None, :] - base[None]) ** 2).sum(-1)
    assert np.array_equal(idx, full.argmin(axis=1)) and idx[0] == 3
    assert sq == pytest.approx(full.min(axis=1), rel=1e-12)


def test_bad_inputs_are_refused():
    train, test, _ = _sets(6, n_train=30, n=30)
    with pytest.raises(InputError, match="cells"):
        copying_metrics(train, test, test, cells=0)
    with pytest.raises(InputError, match="same extractor"):
        copying_metrics(train, test, test[:, :3])
    with pytest.raises(InputError, match="quantile"):
        copying_metrics(train, test, test, quantile=1.5)
    with pytest.raises(InputError, match="NaN"):
        copying_metrics(train, test, np.full((3, 5), np.nan))
