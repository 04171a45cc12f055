"""k-NN precision/recall/density/coverage at n = m = 10,000, d = 2048.

Targets: madbench at least 3x faster than prdc, and within 1.5x of the bare float32 matrix
products the computation needs (R R^T, G G^T and R G^T, as torch.mm), all timed in this run.
"""

import numpy as np
import pytest
import torch
from conftest import report, timing
from prdc import compute_prdc

from madbench.metrics.knn import knn_metrics

N = M = 10_000
D = 2048
K = 5


@pytest.fixture(scope="module")
def features():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((N, D), dtype=np.float32)
    fake = rng.standard_normal((M, D), dtype=np.float32)
    return real, fake


@pytest.fixture(scope="module")
def results():
    return {}


def test_madbench(timed, features, results):
    results["madbench"] = timed("madbench", knn_metrics, *features, k=K, strict=True, rounds=3)


def test_prdc(timed, features, results):
    results["prdc"] = timed("prdc", compute_prdc, *features, nearest_k=K)


def test_prdc_float64_for_agreement(features, results):
    """prdc rounds its distances to the input's float32 before comparing, which flips a few
    near-ties; fed float64 it computes in float64 throughout and must equal madbench."""
    real, fake = (x.astype(np.float64) for x in features)
    results["prdc64"] = compute_prdc(real, fake, nearest_k=K)


def bare_products(real, fake):
    r, f = torch.from_numpy(real), torch.from_numpy(fake)
    for a, b in ((r, r), (f, f), (r, f)):
        torch.mm(a, b.T)


def test_bare_matrix_products(timed, features):
    timed("products", bare_products, *features, rounds=2)


def test_ratio_and_agreement(results):
    madbench, prdc_time, products = timing("madbench"), timing("prdc"), timing("products")
    report(
        f"k-NN n=m={N} d={D}: madbench {madbench:.2f} s, prdc {prdc_time:.2f} s "
        f"(madbench {prdc_time / madbench:.2f}x faster), bare products {products:.2f} s "
        f"(madbench / products = {madbench / products:.2f})"
    )
    got, expected = results["madbench"], results["prdc64"]
    for key in ("precision", "recall", "density", "coverage"):
        assert getattr(got, key) == pytest.approx(float(expected[key]), abs=1e-12)
    assert prdc_time / madbench >= 3.0
    assert madbench / products <= 1.5
