"""Text at scale: the ``tfidf`` feature space on 10,000 documents against scikit-learn's own
TF-IDF + truncated SVD (what it wraps, on all threads), and the n-gram sampler against
``nltk.lm``'s ``generate`` on the same model, per token. nltk scores every continuation of a
context with its recursive Kneser-Ney, so the sampler's model is fitted on 300 documents
(about 6,000 tokens), where nltk draws a token in about 0.1 s. Needs Debian's fortunes.
"""

import numpy as np
import pytest
from conftest import report, timing

from madbench.data.datasets import get_dataset
from madbench.generators.ngram import NgramLM
from madbench.text.features import DIM, TfidfSvdFeatures
from madbench.text.tokenizers import WordTokenizer

DOCS = 10_000
NLTK_DOCS = 3
SAMPLER_TRAIN = 300


@pytest.fixture(scope="module")
def train():
    try:
        return get_dataset("fortunes").split("train").x
    except Exception as exc:  # noqa: BLE001 - the data set is optional here
        pytest.skip(f"needs Debian's fortunes ({exc})")


def test_madbench_tfidf(timed, train, values):
    docs = train[:DOCS]

    def fit_and_map():
        return TfidfSvdFeatures(docs)(docs)

    values["features"] = timed("tfidf_madbench", fit_and_map, rounds=3)


def test_sklearn_tfidf(timed, train, values):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = train[:DOCS].tolist()

    def fit_and_map():
        vectorizer = TfidfVectorizer(
            tokenizer=WordTokenizer().tokenize, lowercase=False, sublinear_tf=True,
            token_pattern=None,
        )  # fmt: skip
        matrix = vectorizer.fit_transform(docs)
        return TruncatedSVD(DIM, algorithm="arpack", random_state=0).fit_transform(matrix)

    values["sklearn"] = timed("tfidf_sklearn", fit_and_map, rounds=3)


def test_tfidf_ratio(values):
    ours, theirs = timing("tfidf_madbench"), timing("tfidf_sklearn")
    gap = np.abs(np.abs(values["features"]) - np.abs(values["sklearn"])).max()  # SVD signs
    report(
        f"tfidf features of {DOCS:,} documents (fit and map, {DIM} dimensions): madbench "
        f"{ours:.2f} s, scikit-learn {theirs:.2f} s ({ours / theirs:.2f}x its time; the same "
        f"vectors to {gap:.1e} up to sign)"
    )
    assert gap < 1e-6


@pytest.fixture(scope="module")
def model(train):
    return NgramLM(order=3, floor=False).fit(train[:SAMPLER_TRAIN])


def test_madbench_sampler(timed, model, values):
    drawn = timed("sample_madbench", model.sample, 1000, seed=0, rounds=3)
    values["tokens"] = sum(len(model.tokenizer_.tokenize(d)) + 1 for d in drawn)


def test_nltk_sampler(timed, model, values, train):
    from nltk.lm import KneserNeyInterpolated

    pytest.importorskip("nltk")
    fitted = model.windows([model.tokenizer_.tokenize(d) for d in train[:SAMPLER_TRAIN]])
    vocab = model.vocab_
    reference = KneserNeyInterpolated(3, discount=0.75)
    reference.fit([[tuple(vocab[i] for i in r[k:]) for k in range(3)] for r in fitted], vocab)

    def draw():
        tokens = 0
        for seed in range(NLTK_DOCS):
            words = reference.generate(40, text_seed=["<s>", "<s>"], random_seed=seed)
            tokens += (words.index("</s>") + 1) if "</s>" in words else len(words)
        return tokens

    values["nltk_tokens"] = timed("sample_nltk", draw, rounds=1)


def test_sampler_ratio(values):
    ours = timing("sample_madbench") / values["tokens"]
    theirs = timing("sample_nltk") / values["nltk_tokens"]
    report(
        f"trigram sampling per token ({SAMPLER_TRAIN} training documents): madbench "
        f"{ours * 1e6:.1f} us (1,000 documents at once), "
        f"nltk.lm generate {theirs * 1e3:.1f} ms ({theirs / ours:,.0f}x faster)"
    )
    assert theirs / ours >= 20
