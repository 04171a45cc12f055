"""One pass for P/R/D/C and KID (madbench.metrics.fused): the same numbers as the separate
computations and the independent references, whatever the blocks, the back end or the scale."""

import numpy as np
import pytest
from cleanfid.fid import kernel_distance

from madbench.checks.references import kid_reference, knn_reference
from madbench.metrics import fused
from madbench.metrics.kid import WHOLE_KERNEL_MAX, kid
from madbench.metrics.knn import knn_metrics
from madbench.metrics.report import all_metrics
from madbench.metrics.settings import MetricSettings

#: Fused KID carries the float32 rounding of its kernel values: it is this close to the
#: float64 KID, relative to the size of those values (their mean over the real-fake pairs).
KID_TOLERANCE = 3e-7


def kid_atol(real, fake, feature_scale=1.0):
    x, y = real / feature_scale, fake / feature_scale
    return KID_TOLERANCE * float(np.mean((x @ y.T / x.shape[1] + 1.0) ** 3))


def inception_like(rng, n, d, shift):
    """Non-negative features of order 1 (after a ReLU), correlated like a network's."""
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    return np.maximum(rng.normal(size=(n, d)) @ mix + shift, 0.0).astype(np.float32)


def separate(real, fake, knn_options, kid_options):
    return knn_metrics(real, fake, **knn_options), kid(real, fake, **kid_options)


@pytest.mark.parametrize(
    "n,m,d,budget",
    [
        (900, 700, 64, 2**30),  # one block per phase
        (900, 700, 64, 2**18),  # many panels and cross blocks
        (1500, 1300, 200, 2**20),
    ],
)
def test_fused_equals_the_separate_metrics(rng, n, m, d, budget):
    real = inception_like(rng, n, d, 0.3)
    fake = inception_like(rng, m, d, 0.35)
    kid_options = {"n_subsets": 20, "subset_size": 300, "seed": 4}
    knn, k = fused.prdc_and_kid(real, fake, memory_budget=budget, **kid_options)
    knn_ref, k_ref = separate(real, fake, {"memory_budget": budget}, kid_options)
    assert knn == knn_ref
    assert (k.n_subsets, k.subset_size, k.seed) == (20, 300, 4)
    assert k.mean == pytest.approx(k_ref.mean, abs=kid_atol(real, fake))
    assert k.std == pytest.approx(k_ref.std, abs=kid_atol(real, fake))


def test_fused_kid_is_clean_fids_and_the_double_loop(rng):
    real = inception_like(rng, 400, 32, 0.3).astype(np.float64)  # clean-fid: in float64
    fake = inception_like(rng, 400, 32, 0.5).astype(np.float64)
    _, whole = fused.prdc_and_kid(real, fake, n_subsets=1, subset_size=400)
    atol = kid_atol(real, fake)
    assert whole.mean == pytest.approx(kernel_distance(real, fake, 1, 400), abs=atol)
    _, small = fused.prdc_and_kid(real[:30], fake[:30], k=3, n_subsets=1, subset_size=30)
    assert small.mean == pytest.approx(kid_reference(real[:30], fake[:30]), abs=atol)


def test_feature_scale_float64_input_and_identical_sets(rng):
    real = rng.normal(3.0, 2.0, (600, 24))  # float64, far from the origin: centring matters
    fake = rng.normal(3.1, 2.0, (500, 24))
    options = {"n_subsets": 10, "subset_size": 200, "seed": 1, "feature_scale": 3.7}
    knn, k = fused.prdc_and_kid(real, fake, strict=True, **options)
    knn_ref, k_ref = separate(real, fake, {"strict": True}, options)
    assert knn == knn_ref
    assert k.mean == pytest.approx(k_ref.mean, abs=kid_atol(real, fake, 3.7))
    assert k.scale == 3.7
    reference = knn_reference(real, fake, 5, strict=True)
    assert knn.precision == reference["precision"] and knn.recall == reference["recall"]
    _, same = fused.prdc_and_kid(real, real.copy(), n_subsets=5, subset_size=100)
    separate_same = kid(real, real, n_subsets=5, subset_size=100)
    assert same.mean == pytest.approx(separate_same.mean, abs=kid_atol(real, real))


@pytest.mark.parametrize("case", ["faiss", "huge", "tiny"])
def test_no_blocks_or_extreme_magnitudes_fall_back_to_the_float64_kid(rng, case):
    real, fake = rng.normal(size=(300, 8)), rng.normal(0.2, 1.0, (300, 8))
    backend = "faiss" if case == "faiss" else "auto"
    factor = {"faiss": 1.0, "huge": 2.0**30, "tiny": 2.0**-30}[case]
    real, fake = real * factor, fake * factor
    options = {"n_subsets": 5, "subset_size": 100, "feature_scale": factor}
    knn, k = fused.prdc_and_kid(real, fake, backend=backend, **options)
    assert k == kid(real, fake, **options)  # the separate computation, to the last bit
    assert knn == knn_metrics(real, fake, backend=backend)


def test_all_metrics_shares_the_pass_on_large_float32_sets_only(rng, monkeypatch):
    real = inception_like(rng, WHOLE_KERNEL_MAX + 1, 16, 0.3)
    fake = inception_like(rng, 500, 16, 0.4)
    options = {
        "metrics": "prdc,kid",
        "settings": MetricSettings(kid_subsets=10, kid_subset_size=100),
    }
    before = all_metrics(real, fake, **options)
    small = all_metrics(real[:WHOLE_KERNEL_MAX], fake, **options)
    assert small.kid == kid(real[:WHOLE_KERNEL_MAX], fake, n_subsets=10, subset_size=100)
    wide = all_metrics(real.astype(np.float64), fake, **options)
    assert wide.kid == kid(real.astype(np.float64), fake, n_subsets=10, subset_size=100)

    def refuse(*args, **kwargs):
        raise AssertionError("KID was computed apart")

    monkeypatch.setattr(fused, "separate_kid", refuse)
    monkeypatch.setattr("madbench.metrics.report.kid", refuse)
    report = all_metrics(real, fake, **options)
    assert report.knn == before.knn
    assert report.kid == before.kid
