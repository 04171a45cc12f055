"""Bad input gets a specific error naming the offending shape or count."""

import numpy as np
import pytest

from madbench.errors import BackendError, InputError
from madbench.metrics.knn import knn_metrics


@pytest.fixture
def good(rng):
    return rng.standard_normal((50, 4))


@pytest.mark.parametrize(
    "fake,match",
    [
        (np.array([[0.0, 1, 2, np.nan]] * 10), r"fake: 10 of 10 rows contain NaN or Inf"),
        (np.array([[0.0, 1, 2, np.inf]] * 10), r"NaN or Inf \(first at row 0\)"),
        (np.zeros((10, 3)), r"real has 4 features .* fake has 3"),
        (np.zeros((0, 4)), r"fake: the array is empty, shape \(0, 4\)"),
        (np.zeros(4), r"expected a 2-D array .* got shape \(4,\)"),
        (np.zeros((3, 4, 2)), r"got shape \(3, 4, 2\)"),
        (np.zeros((5, 4)), r"fake: 5 samples are too few for k = 5"),
        (np.array([["a"] * 4] * 10), r"expected a numeric array"),
    ],
)
def test_bad_fake(good, fake, match):
    with pytest.raises(InputError, match=match):
        knn_metrics(good, fake, k=5)


def test_bad_k(good):
    for k in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="k must be an integer"):
            knn_metrics(good, good, k=k)
    with pytest.raises(InputError, match=r"real: 50 samples are too few for k = 50"):
        knn_metrics(good, good, k=50)


def test_bad_backend(good):
    with pytest.raises(BackendError, match="unknown back end 'annoy'"):
        knn_metrics(good, good, backend="annoy")
    with pytest.raises(BackendError, match="exact only"):
        knn_metrics(good, good, backend="torch", approximate=True)


def test_integer_and_torch_inputs_are_accepted(good):
    import torch

    ints = np.arange(200).reshape(50, 4) % 7
    assert knn_metrics(ints, ints, k=3).precision == 1.0
    assert knn_metrics(torch.from_numpy(good), good, k=3).precision == 1.0


def test_realism_requires_exact_mode(good):
    with pytest.raises(InputError, match="realism"):
        knn_metrics(good, good, realism=True, approximate=True)
