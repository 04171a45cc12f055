"""KID against clean-fid's kernel_distance and an explicit double-loop reference."""

import numpy as np
import pytest
from cleanfid.fid import kernel_distance

from madbench.checks.references import kid_reference
from madbench.errors import InputError
from madbench.metrics.kid import kid, mmd2_unbiased, real_norm_scale

FASHION = pytest.param(
    "fashion-mnist", marks=[pytest.mark.needs_fashion_mnist, pytest.mark.slow]
)  # as digits, larger


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


def test_inception_like_features_are_left_as_they_are(rng):
    """The loops scale non-Inception features; on Inception-like ones (2048-d, after a ReLU,
    of order 1) madbench's default KID is clean-fid's, unscaled."""
    real = np.maximum(rng.normal(0.3, 0.5, (300, 2048)), 0.0)
    fake = np.maximum(rng.normal(0.35, 0.5, (300, 2048)), 0.0)
    got = kid(real, fake, n_subsets=1, subset_size=300)
    assert got.scale == 1.0
    assert got.mean == pytest.approx(kernel_distance(real, fake, 1, 300), rel=1e-10)


def test_seeded_and_clipped(rng):
    real = rng.standard_normal((300, 8))
    fake = rng.standard_normal((120, 8)) + 0.5
    a = kid(real, fake, n_subsets=20, seed=3)
    assert a == kid(real, fake, n_subsets=20, seed=3)
    assert a.mean != kid(real, fake, n_subsets=20, seed=4).mean
    # Several subsets of a set no larger than the subset size: half of it, so they differ.
    assert a.subset_size == 60 and a.std > 0
    assert a.mean > 0.05  # the shift is visible
    # Larger sets keep the asked size, as clean-fid does; one subset may be the whole set.
    assert kid(real, fake, n_subsets=20, subset_size=100).subset_size == 100
    assert kid(real, fake, n_subsets=1).subset_size == 120


def test_feature_scale_divides_both_sets(rng):
    real = 7.0 * rng.standard_normal((200, 12))
    fake = 7.0 * (rng.standard_normal((150, 12)) + 0.2)
    scale = real_norm_scale(real)
    assert scale == pytest.approx(np.linalg.norm(real, axis=1).mean() / np.sqrt(12))
    scaled = kid(real, fake, n_subsets=10, feature_scale=scale)
    assert scaled.scale == scale
    assert scaled.mean == pytest.approx(
        kid(real / scale, fake / scale, n_subsets=10).mean, rel=1e-12
    )
    with pytest.raises(InputError, match="feature_scale"):
        kid(real, fake, feature_scale=0.0)


@pytest.mark.parametrize("data", ["digits", FASHION])
def test_noise_floor_kid_on_lenet_features_is_zero_within_its_spread(data):
    """Real against real in a LeNet space: KID within 3 kid_std of 0 once features are scaled,
    while degraded images (pixel noise) stand far above that spread."""
    from madbench.data.datasets import get_dataset
    from madbench.features.lenet import lenet_for

    dataset = get_dataset(data)
    lenet = lenet_for(dataset)
    real = lenet(dataset.split("test", n=360, seed=0).x)
    other = lenet(dataset.split("train", n=360, seed=1).x)
    scale = real_norm_scale(real)
    floor = kid(real, other, feature_scale=scale)
    assert abs(floor.mean) < 3 * floor.std
    noisy = dataset.split("train", n=360, seed=1).x
    noisy = np.clip(noisy + 0.5 * np.random.default_rng(0).standard_normal(noisy.shape), 0, 1)
    degraded = kid(real, lenet(noisy.astype(np.float32)), feature_scale=scale)
    assert degraded.mean > 5 * floor.std


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


def test_kid_refuses_features_whose_cubes_overflow():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((40, 3)) * 1e60, rng.standard_normal((40, 3)) * 1e60
    with pytest.raises(InputError, match="overflows float64"):
        kid(real, fake, n_subsets=3, subset_size=10)


def test_a_runs_kid_scale_is_chosen_by_its_feature_space():
    """clean-fid's KID (no scaling) in Inception's space, real-norm in every other; config.json
    records the choice, and an explicit kid_scale is kept."""
    from madbench.loops.config import RunConfig, ScoringSettings
    from madbench.loops.protocol import make_protocol

    def scale(data, **scoring):
        config = RunConfig(
            "gaussian",
            {},
            data,
            make_protocol("fully-synthetic"),
            scoring=ScoringSettings(**scoring),
        )
        return config.as_dict()["scoring"]["kid_scale"]

    assert scale("shapes") == "none"  # RGB: Inception's space by default
    assert scale("digits") == scale("gaussian-2") == "real-norm"  # LeNet's, the raw vectors
    assert scale("shapes", features="identity") == "real-norm"
    assert scale("shapes", kid_scale="real-norm") == "real-norm"
