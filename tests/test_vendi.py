"""The Vendi score against the vendi-score package and against analytic cases."""

import numpy as np
import pytest
from vendi_score import vendi

from madbench.errors import InputError
from madbench.metrics.vendi import vendi_score


@pytest.mark.parametrize("n, d", [(50, 8), (20, 64), (300, 3)])
def test_equals_the_vendi_score_package(n, d):
    x = np.random.default_rng(n + d).standard_normal((n, d))
    assert vendi_score(x) == pytest.approx(vendi.score_X(x), rel=1e-9)
    assert vendi_score(x) == pytest.approx(vendi.score_dual(x), rel=1e-9)


@pytest.mark.parametrize("q", [0.5, 2.0, np.inf])
def test_other_orders_equal_the_package_on_the_same_kernel(q):
    # The package's d x d route: its n x n route adds rounding-noise eigenvalues (~1e-17),
    # which orders q < 1 weigh heavily.
    x = np.random.default_rng(3).standard_normal((40, 6))
    expected = vendi.score_dual(x, q="inf" if q == np.inf else q)
    assert vendi_score(x, q=q) == pytest.approx(expected, rel=1e-9)


def test_analytic_cases():
    assert vendi_score(np.tile([[1.0, 2.0, 3.0]], (25, 1))) == pytest.approx(1.0)
    assert vendi_score(np.eye(7) * 3.0) == pytest.approx(7.0)
    # Two clusters of identical directions, 10 and 30 copies: exp(entropy of (1/4, 3/4)).
    x = np.vstack([np.tile([1.0, 0.0], (10, 1)), np.tile([0.0, 2.0], (30, 1))])
    p = np.array([0.25, 0.75])
    assert vendi_score(x) == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    assert vendi_score(x, q=np.inf) == pytest.approx(4 / 3)


def test_copies_count_once():
    """200 distinct directions in 512 dimensions are nearly 200 samples' worth; 20 of them
    repeated 10 times are at most 20."""
    x = np.random.default_rng(0).standard_normal((200, 512))
    assert vendi_score(x) > 150
    assert vendi_score(np.vstack([x[:20]] * 10)) <= 20 + 1e-9


def test_zero_rows_are_copies_of_one_sample_unlike_every_other():
    assert vendi_score(np.zeros((3, 2))) == pytest.approx(1.0)
    # Two orthogonal directions and a block of zero rows: three equally weighted "samples".
    x = np.vstack([np.tile([1.0, 0.0], (4, 1)), np.tile([0.0, 2.0], (4, 1)), np.zeros((4, 2))])
    assert vendi_score(x) == pytest.approx(3.0)


def test_bad_input():
    with pytest.raises(InputError, match="q must be"):
        vendi_score(np.eye(3), q=0)
