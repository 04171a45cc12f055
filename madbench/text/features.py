"""``tfidf``: a deterministic text feature space fitted on the real training split, no download.

Documents become TF-IDF vectors over the ``word`` tokens of the real training split (case
kept; sublinear term frequency 1 + log tf; smoothed inverse document frequency
log((1 + n) / (1 + df)) + 1; each row scaled to unit L2 norm, as scikit-learn's
``TfidfVectorizer`` with ``sublinear_tf=True`` defines them), projected onto their first
``dim`` right singular vectors (scikit-learn's ``TruncatedSVD``, ARPACK, seeded, on one
thread so that the fit is the same bits whatever thread pools the caller runs). Tokens the
training split never holds are ignored. The k-NN metrics, FID and Vendi then compare documents
in this space as they compare images in Inception's. The digest is the sha256 of the
vocabulary, the idf weights and the projection, so two runs name the same space only when they
fitted the same one.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse
from threadpoolctl import threadpool_limits

from madbench.data.text import is_text
from madbench.errors import FeatureError
from madbench.text.tokenizers import WordTokenizer

#: The default number of dimensions of the space.
DIM = 64


class TfidfSvdFeatures:
    """TF-IDF + truncated SVD, fitted on ``train`` documents (module docstring)."""

    name = "tfidf"

    def __init__(self, train: np.ndarray, dim: int = DIM, seed: int = 0):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not is_text(train) or len(train) < 3:
            raise FeatureError("tfidf features are fitted on at least 3 documents of text")
        tokenize = WordTokenizer().tokenize
        self.vectorizer = TfidfVectorizer(
            tokenizer=tokenize, lowercase=False, sublinear_tf=True, token_pattern=None
        )
        matrix = self.vectorizer.fit_transform(train.tolist())
        dim = min(dim, matrix.shape[1] - 1, len(train) - 1)
        if dim < 1:
            raise FeatureError("tfidf features need at least 2 distinct words in training")
        self.svd = TruncatedSVD(n_components=dim, algorithm="arpack", random_state=seed)
        with threadpool_limits(1):  # the same bits whatever threads the caller runs
            self.svd.fit(matrix)

    def tfidf(self, docs: np.ndarray) -> scipy.sparse.csr_matrix:
        """The documents' TF-IDF rows (sparse, n x vocabulary)."""
        if not is_text(docs):
            raise FeatureError("tfidf features take documents: a 1-D array of str")
        return self.vectorizer.transform(docs.tolist())

    def __call__(self, docs: np.ndarray) -> np.ndarray:
        return np.asarray(self.svd.transform(self.tfidf(docs)), dtype=np.float64)

    def digest(self) -> str:
        h = hashlib.sha256()
        for token in self.vectorizer.get_feature_names_out():
            h.update(token.encode() + b"\0")
        h.update(np.ascontiguousarray(self.vectorizer.idf_, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.svd.components_, dtype="<f8").tobytes())
        return h.hexdigest()
