"""The tfidf feature space against TF-IDF and SVD computed by hand."""

import math
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from madbench.data.text import documents
from madbench.errors import FeatureError
from madbench.features.spaces import default_space, feature_space
from madbench.text.features import TfidfSvdFeatures
from madbench.text.tokenizers import WordTokenizer

TRAIN = documents(
    [
        "the cat sat on the mat",
        "the dog sat on the log",
        "a cat and a dog",
        "Cats and dogs , cats and dogs .",
        "the mat is on the floor",
        "time flies like an arrow",
    ]
)


def by_hand(train, docs):
    """TF-IDF as the module docstring defines it, in plain Python."""
    tokens = [WordTokenizer().tokenize(d) for d in train]
    vocab = sorted({t for doc in tokens for t in doc})
    df = Counter(t for doc in tokens for t in set(doc))
    idf = {t: math.log((1 + len(train)) / (1 + df[t])) + 1 for t in vocab}
    rows = []
    for doc in docs:
        tf = Counter(t for t in WordTokenizer().tokenize(doc) if t in idf)
        row = np.array([(1 + math.log(tf[t])) * idf[t] if tf[t] else 0.0 for t in vocab])
        rows.append(row / (np.linalg.norm(row) or 1.0))
    return np.array(rows)


def test_tfidf_rows_equal_the_definition_and_ignore_unseen_words():
    space = TfidfSvdFeatures(TRAIN, dim=3)
    docs = documents(["the cat and the zebra", "unseen words only"])
    np.testing.assert_allclose(space.tfidf(docs).toarray(), by_hand(TRAIN, docs), atol=1e-12)


def test_features_are_the_projection_on_the_top_singular_vectors():
    space = TfidfSvdFeatures(TRAIN, dim=3)
    x = by_hand(TRAIN, TRAIN)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    ours = space(TRAIN)
    expected = x @ vt[:3].T
    signs = np.sign((ours * expected).sum(axis=0))  # a singular vector's sign is arbitrary
    np.testing.assert_allclose(ours * signs, expected, atol=1e-9)
    assert ours.shape == (len(TRAIN), 3)


def test_the_digest_names_the_fitted_space():
    a, b = TfidfSvdFeatures(TRAIN, dim=3), TfidfSvdFeatures(TRAIN, dim=3)
    assert a.digest() == b.digest()
    assert TfidfSvdFeatures(TRAIN[1:], dim=3).digest() != a.digest()


def test_text_defaults_to_tfidf_and_refuses_image_spaces():
    text = SimpleNamespace(name="tiny", kind="text", split=lambda name: SimpleNamespace(x=TRAIN))
    assert default_space(text) == "tfidf"
    assert feature_space(None, text).name == "tfidf"
    with pytest.raises(FeatureError, match="--features lenet is for vectors or images"):
        feature_space("lenet", text)
    with pytest.raises(FeatureError, match="at least 3 documents"):
        TfidfSvdFeatures(TRAIN[:2])
    with pytest.raises(FeatureError, match="take documents"):
        TfidfSvdFeatures(TRAIN).tfidf(np.zeros(3))


def test_vector_data_refuses_tfidf():
    from madbench.data.datasets import get_dataset

    with pytest.raises(FeatureError, match="holds vector data: --features tfidf is text's"):
        feature_space("tfidf", get_dataset("gaussian-2"))
