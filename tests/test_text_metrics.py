"""Text statistics against nltk and analytic values; perplexity summaries by hand."""

import math

import numpy as np
import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from madbench.data.text import documents
from madbench.errors import InputError
from madbench.metrics import perplexity as ppl
from madbench.metrics import text


def test_distinct_n_counts_over_the_whole_set():
    docs = documents(["a b a b", "a b c"])
    assert text.distinct_n(docs, 1) == pytest.approx(3 / 7)
    assert text.distinct_n(docs, 2) == pytest.approx(3 / 5)  # ab ba ab | ab bc
    assert text.distinct_n(documents(["a"]), 2) == 0.0


def test_entropy_vocabulary_and_zipf_slope_on_known_frequencies():
    uniform = documents([" ".join(f"w{i}" for i in range(50))] * 3)
    assert text.unigram_entropy(uniform) == pytest.approx(math.log(50), abs=1e-12)
    assert text.vocabulary_size(uniform) == 50
    # counts exactly 600 / rank for 12 ranks: slope -1 within the rounding of the counts
    zipf = documents([" ".join(f"w{r}" for r in range(1, 13) for _ in range(600 // r))])
    assert text.zipf_slope(zipf) == pytest.approx(-1.0, abs=0.01)
    assert math.isnan(text.zipf_slope(documents(["same same"])))


def test_ngram_shares_are_type_overlaps():
    real = documents(["the cat sat", "the dog sat"])
    generated = documents(["the cat sat", "a cat ran"])
    recall, precision = text.ngram_shares(real, generated, 2)
    assert (recall, precision) == (pytest.approx(2 / 4), pytest.approx(2 / 4))
    assert text.ngram_shares(real, generated, 1) == (pytest.approx(3 / 4), pytest.approx(3 / 5))


def test_self_bleu_equals_nltks_sentence_bleu_with_smoothing_one():
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(12)]
    docs = documents(
        [" ".join(rng.choice(vocab, size=rng.integers(1, 15))) for _ in range(40)]
        + ["w1 w2 w3 w4 w5"] * 3  # duplicates: a document's own count must not be its reference
    )
    tokens = text.words(docs)
    smooth = SmoothingFunction().method1
    expected = np.mean(
        [
            sentence_bleu(tokens[:i] + tokens[i + 1 :], tokens[i], smoothing_function=smooth)
            for i in range(len(tokens))
        ]
    )
    assert text.self_bleu(docs) == pytest.approx(expected, rel=1e-12)


def test_self_bleu_is_one_for_copies_and_subsamples_large_sets():
    assert text.self_bleu(documents(["one two three four five"] * 4)) == pytest.approx(1.0)
    many = documents([f"doc {i} of many" for i in range(30)])
    assert text.self_bleu(many, max_docs=10, seed=1) == text.self_bleu(many, max_docs=10, seed=1)
    with pytest.raises(InputError, match="at least 2 documents"):
        text.self_bleu(documents(["alone"]))


def test_statistics_refuse_what_is_not_documents():
    with pytest.raises(InputError, match="1-D array of str"):
        text.distinct_n(np.zeros(3), 1)
    with pytest.raises(InputError, match="at least one document"):
        text.vocabulary_size(documents([]))


def test_perplexity_summary_by_hand():
    ll = np.array([[-np.log(4.0) * 3, 3], [-np.log(2.0) * 2, 2], [-np.log(8.0), 1]])
    np.testing.assert_allclose(ppl.document_perplexities(ll), [4, 2, 8])
    summary = ppl.perplexity_summary(ll, tail_threshold=3.0)
    corpus = np.exp((3 * np.log(4) + 2 * np.log(2) + np.log(8)) / 6)
    assert summary["perplexity"] == pytest.approx(corpus)
    assert summary["perplexity_q50"] == pytest.approx(4.0)
    assert summary["tail_mass"] == pytest.approx(2 / 3)
    assert ppl.tail_threshold(ll) == pytest.approx(np.quantile([4, 2, 8], 0.95))


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 2)), np.zeros((3,)), np.array([[0.5, 2]]), np.array([[-1, 0]])]
)
def test_perplexity_refuses_malformed_likelihoods(bad):
    with pytest.raises(InputError, match="log-likelihoods must"):
        ppl.perplexity_summary(bad)


@pytest.mark.needs_fortunes
def test_the_example_in_docs_text_runs():
    import re
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "text.md").read_text()
    block = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    exec(compile(block, "docs/text.md", "exec"), {})
