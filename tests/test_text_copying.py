"""Copies of the training set in text: exact and near (n-gram overlap), by hand."""

import numpy as np
import pytest

from madbench.data.text import documents
from madbench.errors import InputError
from madbench.metrics.text_copying import copies, overlaps

TRAIN = documents(
    [
        "the cat sat on the mat and purred",
        "a dog ran to the log in the rain",
        "time flies like an arrow",
    ]
)


def test_exact_and_near_copies_by_hand():
    generated = documents(
        [
            "the  cat sat on the mat and purred",  # exact: the same word tokens
            "the cat sat on the mat and slept",  # 4 of its 5 distinct 4-grams in one document
            "a dog ran to the mat and purred",  # 2 of its 5 from one document, 1 from another
            "time flies",  # shorter than 4 tokens and no exact copy
            "time flies like an arrow",  # exact
        ]
    )
    shares = overlaps(TRAIN, generated)
    np.testing.assert_allclose(shares[:3], [1.0, 4 / 5, 2 / 5])
    assert np.isnan(shares[3]) and shares[4] == 1.0
    assert copies(TRAIN, generated) == {"exact_copies": 2 / 5, "near_copies": 3 / 5}
    assert copies(TRAIN, generated, threshold=0.81)["near_copies"] == 2 / 5


def test_a_document_shared_by_both_halves_is_counted_once_per_document():
    """The share is of one training document's n-grams, never summed across documents."""
    train = documents(["a b c d e", "c d e f g"])
    assert overlaps(train, documents(["a b c d e f g"]))[0] == pytest.approx(2 / 4)


def test_bad_settings_are_refused():
    with pytest.raises(InputError, match="threshold must be in"):
        copies(TRAIN, TRAIN, threshold=0)
    with pytest.raises(InputError, match="order must be at least 1"):
        overlaps(TRAIN, TRAIN, n=0)
    with pytest.raises(InputError, match="need documents"):
        copies(TRAIN, np.zeros(3))
