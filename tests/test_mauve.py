"""MAUVE against the authors' package (mauve-text: its divergence curve on the same
histograms, and its whole computation on the same features) and an analytic case."""

import numpy as np
import pytest

from madbench.errors import InputError
from madbench.metrics.mauve import area, frontier, histograms, mauve


def peer():
    try:
        import mauve as package
    except ImportError:  # pragma: no cover - README's test command installs it
        pytest.skip("mauve-text is not installed: pip install --no-deps mauve-text==0.4.0")
    return package


def test_the_frontier_and_its_area_equal_the_authors_on_the_same_histograms():
    from mauve.compute_mauve import get_divergence_curve_for_multinomials

    peer()
    from sklearn.metrics import auc

    rng = np.random.default_rng(0)
    for trial in range(5):
        p, q = rng.random(40), rng.random(40)
        q[: 3 * trial] = 0  # clusters the generated set misses
        curve = frontier(p, q)
        weights = np.linspace(1e-6, 1 - 1e-6, 25)
        theirs = get_divergence_curve_for_multinomials(p / p.sum(), q / q.sum(), weights, 5)
        np.testing.assert_allclose(curve, theirs, rtol=1e-12, atol=0)
        x, y = theirs.T
        by_x, by_y = np.argsort(x), np.argsort(y)
        expected = 0.5 * (auc(x[by_x], y[by_x]) + auc(y[by_y], x[by_y]))
        assert area(curve) == pytest.approx(expected, rel=1e-12)


def test_mauve_equals_the_authors_package_where_the_clusters_are_unambiguous():
    """Features at 4 well-separated points (directions 90 degrees apart), at other
    frequencies in the two sets: every k-means restart that converges finds the same cells,
    so the two packages' histograms, and then their MAUVE, are equal."""
    package = peer()
    rng = np.random.default_rng(0)
    angles = np.arange(4) * np.pi / 2
    atoms = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for _ in range(4):
        real = atoms[rng.choice(4, size=400, p=rng.dirichlet(np.full(4, 2.0)))]
        generated = atoms[rng.choice(4, size=300, p=rng.dirichlet(np.ones(4)))]
        real, generated = (x + rng.normal(scale=1e-3, size=x.shape) for x in (real, generated))
        theirs = package.compute_mauve(
            p_features=real, q_features=generated, num_buckets=4, kmeans_explained_var=0.99,
            kmeans_num_redo=30,
        ).mauve  # fmt: skip
        ours = mauve(real, generated, clusters=4, explained_variance=0.99, kmeans_restarts=30)
        assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("shift", [0.0, 1.0, 3.0])
def test_mauve_agrees_with_the_authors_package_on_continuous_features(shift):
    """On continuous features k-means' local optima move MAUVE by about 0.05 from seed to
    seed in both packages; their means over 4 seeds agree within 0.08."""
    package = peer()
    rng = np.random.default_rng(1)
    real, generated = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    generated[:, 0] += shift
    theirs = [
        package.compute_mauve(p_features=real, q_features=generated, seed=s) for s in range(4)
    ]
    ours = [mauve(real, generated, seed=s) for s in range(4)]
    assert np.mean(ours) == pytest.approx(np.mean([t.mauve for t in theirs]), abs=0.08)


def test_equal_histograms_score_1_and_disjoint_ones_the_analytic_area():
    """Disjoint p and q: KL(q || R_w) = -log(1 - w), KL(p || R_w) = -log w, so the frontier is
    x = (1 - w)^c, y = w^c, whose area is 5 B(5, 6) = 1/252 at c = 5."""
    p = np.array([3.0, 1.0, 0.0, 0.0])
    assert area(frontier(p, p)) == pytest.approx(1.0, abs=1e-12)
    disjoint = area(frontier(p, p[::-1], points=4000))
    assert disjoint == pytest.approx(1 / 252, rel=1e-3)


def test_one_set_against_itself_and_a_far_set():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(300, 5))
    assert mauve(real, real) == pytest.approx(1.0, abs=1e-12)
    assert mauve(real, real + 100 * np.eye(5)[0]) < 0.05
    other = rng.normal(size=(300, 5))
    assert mauve(real, other, seed=3) == mauve(real, other, seed=3)  # seeded: reproducible


def test_the_histograms_count_both_sets_over_shared_clusters():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(200, 4)) - 5 * np.eye(4)[0]
    generated = rng.normal(size=(100, 4)) + 5 * np.eye(4)[0]  # the opposite direction
    p, q = histograms(real, generated)
    assert len(p) == len(q) == 10 and p.sum() == 200 and q.sum() == 100
    assert ((p > 0) & (q > 0)).sum() == 0  # far apart: no cluster holds both


@pytest.mark.parametrize(
    ("real", "generated", "message"),
    [
        (np.zeros((10, 3)), np.zeros((10, 4)), "real features have 3 columns, generated 4"),
        (np.zeros((1, 3)), np.zeros((10, 3)), "at least 2 samples"),
        (np.zeros((30, 3)), np.ones((30, 3)), "3 clusters need at least as many distinct"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "real"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix(real, generated, message):
    with pytest.raises(InputError, match=message):
        mauve(real, generated, clusters=3 if len(real) == 30 else None)
    with pytest.raises(InputError, match="same length"):
        frontier([1, 2], [1, 2, 3])
