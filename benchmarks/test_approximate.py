"""Error and speed of the approximate mode (FAISS IVF) against exact results.

Data: a 64-d mixture of 50 Gaussian clusters, n = m = 100,000, k = 5; the fake set is an
independent sample of the same mixture (a good generator). The errors printed here are the
figures README quotes.
"""

import numpy as np
import pytest
from conftest import report

from madbench.metrics.knn import knn_metrics

N, D, K = 100_000, 64, 5


@pytest.fixture(scope="module")
def features():
    rng = np.random.default_rng(0)
    centres = 3.0 * rng.standard_normal((50, D))
    real = centres[rng.integers(0, 50, N)] + rng.standard_normal((N, D))
    fake = centres[rng.integers(0, 50, N)] + rng.standard_normal((N, D))
    return real.astype(np.float32), fake.astype(np.float32)


@pytest.fixture(scope="module")
def results():
    return {}


@pytest.mark.parametrize("mode", [False, True], ids=["exact", "ivf"])
def test_mode(benchmark, features, results, mode):
    result = benchmark.pedantic(
        knn_metrics, args=features, kwargs={"k": K, "approximate": mode}, rounds=1, iterations=1
    )
    results[mode] = (result, benchmark.stats.stats.mean)


def test_errors_against_exact(results):
    if False not in results or True not in results:
        pytest.skip("run the whole module")
    exact, exact_time = results[False]
    errors = {}
    for mode in ("ivf",):
        approx, seconds = results[True]
        errors[mode] = {
            key: getattr(approx, key) - getattr(exact, key)
            for key in ("precision", "recall", "density", "coverage")
        }
        report(
            f"approximate {mode} n=m={N} d={D} k={K}: {seconds:.1f} s vs exact {exact_time:.1f} s; "
            + ", ".join(f"{key} error {value:+.4f}" for key, value in errors[mode].items())
            + f" (exact: {exact.as_dict()})"
        )
    for mode, error in errors.items():
        assert abs(error["precision"]) < 0.02 and abs(error["recall"]) < 0.02, mode
        assert abs(error["coverage"]) < 0.02, mode
        assert abs(error["density"]) / exact.density < 0.05, mode
