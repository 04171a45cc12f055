"""KID against clean-fid's kernel_distance and an explicit double-loop reference."""

import pytest
from cleanfid.fid import kernel_distance

from madbench.errors import InputError
from madbench.metrics.kid import kid, mmd2_unbiased
from madbench.references import kid_reference


def test_mmd_equals_double_loop_reference(rng):
    x = rng.standard_normal((25, 7))
    y = rng.standard_normal((25, 7)) + 0.4
    assert mmd2_unbiased(x, y) == pytest.approx(kid_reference(x, y), rel=1e-10)


@pytest.mark.parametrize("n,d", [(200, 16), (500, 64)])
def test_whole_set_subset_equals_clean_fid(rng, n, d):
    # With one subset as large as both sets, the subset is a permutation: MMD is invariant.
    real = rng.standard_normal((n, d))
    fake = 1.2 * rng.standard_normal((n, d)) + 0.1
    got = kid(real, fake, n_subsets=1, subset_size=n)
    assert got.mean == pytest.approx(kernel_distance(real, fake, 1, n), rel=1e-10)


def test_seeded_and_clipped(rng):
    real = rng.standard_normal((300, 8))
    fake = rng.standard_normal((120, 8)) + 0.5
    a = kid(real, fake, n_subsets=20, seed=3)
    assert a == kid(real, fake, n_subsets=20, seed=3)
    assert a.mean != kid(real, fake, n_subsets=20, seed=4).mean
    assert a.subset_size == 120 and a.std > 0
    assert a.mean > 0.05  # the shift is visible


def test_kid_bad_input(rng):
    with pytest.raises(InputError, match="at least 2 samples"):
        kid(rng.standard_normal((1, 3)), rng.standard_normal((5, 3)))
    with pytest.raises(InputError, match="n_subsets"):
        kid(rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), n_subsets=0)


def test_whole_kernel_route_equals_the_subset_loop(monkeypatch, rng):
    """Small sets take their subsets' sums from whole-set kernels; large ones loop. Same KID."""
    from madbench.metrics import kid as kid_module

    real, fake = rng.standard_normal((300, 16)), 1.1 * rng.standard_normal((250, 16)) + 0.1
    whole = kid_module.kid(real, fake, n_subsets=20, subset_size=100, seed=2)
    monkeypatch.setattr(kid_module, "WHOLE_KERNEL_MAX", 0)
    looped = kid_module.kid(real, fake, n_subsets=20, subset_size=100, seed=2)
    assert whole.mean == pytest.approx(looped.mean, rel=1e-9, abs=1e-12)
    assert whole.std == pytest.approx(looped.std, rel=1e-9)
