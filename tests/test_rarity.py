"""Han et al.'s rarity score (knn_metrics(..., rarity=True)) against the brute-force reference
and the authors' own convention, with ties and extreme scales."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from madbench.checks.references import rarity_reference
from madbench.errors import InputError
from madbench.metrics.knn import knn_metrics


@pytest.mark.parametrize("scale", [1.0, 1e-25, 1e25])
@pytest.mark.parametrize("strict", [False, True])
def test_rarity_equals_the_brute_force_reference(scale, strict):
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((300, 5)) * scale, 1.3 * rng.standard_normal((250, 5)) * scale
    got = knn_metrics(real, fake, k=5, rarity=True, strict=strict).rarity
    expected = rarity_reference(real, fake, 5, strict)
    assert np.array_equal(np.isnan(got), np.isnan(expected)) and 0 < np.isnan(got).mean() < 0.5
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_rarity_on_ties_follows_the_ball_rule():
    rng = np.random.default_rng(2)
    real = rng.integers(0, 4, (120, 2)).astype(float)
    fake = rng.integers(0, 5, (90, 2)).astype(float)
    for strict in (False, True):
        got = knn_metrics(real, fake, k=3, rarity=True, strict=strict).rarity
        np.testing.assert_array_equal(got, rarity_reference(real, fake, 3, strict))


def test_the_authors_convention_is_k_plus_one_and_strict():
    """Their metric1: radii from the sorted real-real distances at column k + 1 (self at
    column 0), a sample inside where radius - distance > 0, the smallest such radius."""
    rng = np.random.default_rng(3)
    real, fake, k = rng.standard_normal((200, 4)), rng.standard_normal((150, 4)), 3
    radius = np.sort(cdist(real, real), axis=1)[:, k + 1]
    inside = radius[:, None] - cdist(real, fake) > 0
    theirs = np.array([radius[inside[:, j]].min() if inside[:, j].any() else np.nan
                       for j in range(len(fake))])  # fmt: skip
    ours = knn_metrics(real, fake, k=k + 1, strict=True, rarity=True).rarity
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_rarity_is_exact_mode_only():
    x = np.random.default_rng(0).standard_normal((50, 3))
    with pytest.raises(InputError, match="exact mode only"):
        knn_metrics(x, x, rarity=True, approximate=True, backend="faiss")
