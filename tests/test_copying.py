"""Data copying (C_T), authenticity and the memorisation test: against the brute-force
reference, against cases whose answer is known, and calibrated under the null (a contracted
sampler that cannot copy is flagged at the test's level, not more)."""

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from madbench.checks.references import copying_reference
from madbench.errors import InputError
from madbench.metrics.copying import (
    COPYING_THRESHOLD,
    copying_metrics,
    mann_whitney_z,
)
from madbench.metrics.exact import Prepared, nearest_sqdist
from madbench.metrics.neighbours import TorchBackend


def _sets(seed, n_train=400, n=300, d=5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_train, d)), rng.standard_normal((n, d)), rng)


@pytest.mark.parametrize("case", ["fresh", "copies", "mixed", "quantised", "strata"])
def test_equals_the_reference(case):
    train, test, rng = _sets(1)
    generated = {
        "fresh": rng.standard_normal((300, 5)),
        "copies": train[rng.integers(0, 400, 300)] + 1e-3 * rng.standard_normal((300, 5)),
        "mixed": np.concatenate([train[:150], rng.standard_normal((150, 5))]),
        # Ties everywhere: values on a coarse grid, the training set with duplicates.
        "quantised": np.round(rng.standard_normal((300, 5))),
        "strata": np.concatenate([train[:100], rng.standard_normal((200, 5))]),
    }[case]
    if case == "quantised":
        train, test = np.round(train), np.round(test)
    strata = None
    if case == "strata":  # a real stratum and one generation's, in unequal shares
        strata = (np.arange(400) % 3 == 0).astype(int), (np.arange(300) % 2).astype(int)
    given = dict(train_strata=strata[0], reference_strata=strata[1]) if strata else {}
    got = copying_metrics(train, test, generated, cells=6, min_generated=10, seed=3, **given)
    want = copying_reference(train, test, generated, 6, 10, 3, strata)
    assert got.as_dict() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_cells_shrink_so_that_they_can_count():
    from madbench.metrics.copying import cell_count

    assert [cell_count(20, m, 20) for m in (1000, 250, 150, 19)] == [20, 12, 7, 1]
    train, test, rng = _sets(8, n_train=200, n=150)
    generated = rng.standard_normal((150, 5))
    got = copying_metrics(train, test, generated, seed=1)  # 20 cells asked, 7 used
    want = copying_reference(train, test, generated, 7, 20, 1)
    assert got.as_dict() == pytest.approx(want, rel=1e-9) and got.ct_cells <= 7


def test_mann_whitney_u_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 30).astype(float)
    u = mannwhitneyu(a, b, method="asymptotic").statistic  # U of the first sample, ties 1/2
    assert mann_whitney_z(a, b) == pytest.approx((u - 600) / np.sqrt(40 * 30 * 71 / 12))


def test_memoriser_is_flagged_a_half_mix_at_half_its_rate_and_fresh_samples_are_not():
    train, test, rng = _sets(2, n_train=1000, n=1000, d=8)
    fresh = copying_metrics(train, test, rng.standard_normal((1000, 8)), seed=0)
    copies = train[rng.integers(0, 1000, 1000)] + 1e-3 * rng.standard_normal((1000, 8))
    copying = copying_metrics(train, test, copies, seed=0)
    half = copying_metrics(train, test, np.r_[copies[:500], rng.standard_normal((500, 8))])
    assert abs(fresh.ct) < 3 and copying.ct < COPYING_THRESHOLD
    assert abs(fresh.memorised) < 0.1 and fresh.memorised_p > 0.05 and fresh.null_fraction == 0.5
    assert copying.memorised == 1.0 and copying.authenticity == 0.0 and copying.memorised_p < 1e-9
    assert half.memorised == pytest.approx(0.5, abs=0.06) and half.memorised_p < 1e-9


def test_contraction_moves_ct_but_not_the_memorisation_test():
    """A sampler at lambda < 1 (here: scaled by 0.6) cannot copy: C_T falls below -3, while
    the memorisation test rejects at its level, over 100 independent draws."""
    rng = np.random.default_rng(11)
    p_values, cts = [], []
    for _ in range(100):
        train, test = rng.standard_normal((400, 16)), rng.standard_normal((400, 16))
        result = copying_metrics(train, test, 0.6 * rng.standard_normal((400, 16)), cells=4)
        p_values.append(result.memorised_p)
        cts.append(result.ct)
    assert np.mean(cts) < COPYING_THRESHOLD
    # 5 % expected; 10 % is 2.3 standard errors above it.
    assert np.mean(np.array(p_values) < 0.05) <= 0.10


def test_exact_copies_and_duplicated_training_rows():
    train, test, _ = _sets(4, n_train=50, n=50)
    doubled = np.concatenate([train, train])  # an accumulating loop's repeated samples
    result = copying_metrics(doubled, test, train[:30], cells=2, min_generated=5)
    assert result.authenticity == 0.0 and result.memorised == 1.0
    assert result.null_fraction == 0.5  # duplicates count once


def test_collapsed_training_sets():
    train, test, _ = _sets(7, n_train=30, n=30)
    collapsed = copying_metrics(np.ones((5, 5)), test, test)  # one distinct sample
    values = [collapsed.ct, collapsed.authenticity, collapsed.memorised, collapsed.memorised_p]
    assert np.isnan(values).all()
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
    with pytest.raises(InputError, match="reference_strata must hold one integer per row"):
        copying_metrics(train, test, test, reference_strata=np.zeros(3, int))
    with pytest.raises(InputError, match="NaN"):
        copying_metrics(train, test, np.full((3, 5), np.nan))
