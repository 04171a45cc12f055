"""Statistics of a set of documents, the collapse signals of text that need no model.

Every statistic counts the ``word`` tokens of :mod:`madbench.text.tokenizers` (words and single
punctuation marks, case kept), whatever tokenizer the model used, so that models compare on one
unit. Documents are a 1-D ``str`` array (:mod:`madbench.data.text`); real first, generated
second where both are taken. Units: entropies in nats; shares in [0, 1].

- :func:`distinct_n`: distinct n-grams over all n-grams of the set (Li et al. 2016);
- :func:`unigram_entropy`: the entropy of the set's word frequencies;
- :func:`vocabulary_size`: its number of word types;
- :func:`zipf_slope`: the least-squares slope of log frequency on log rank over every type
  (about -1 for natural text; it steepens as the tail of rare words is lost);
- :func:`ngram_shares`: of the real set's n-gram types, the share the generated set produces
  (recall-like), and of the generated set's types, the share the real set holds
  (precision-like); both depend on the sets' sizes, so compare them at equal sizes;
- :func:`self_bleu`: the mean BLEU-4 of each document against all the others as references
  (Zhu et al. 2018, "Texygen"), with Chen & Cherry's smoothing 1 (a zero n-gram match counts
  0.1), equal to ``nltk.translate.bleu_score.sentence_bleu`` with ``method1``; higher means
  more alike documents, less diversity.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from madbench.errors import InputError
from madbench.text.tokenizers import WordTokenizer

#: Self-BLEU scores at most this many documents (a seeded subset), as it costs O(n^2).
SELF_BLEU_DOCS = 500
#: Smoothing 1's count for an n-gram order without a match (Chen & Cherry 2014).
SMOOTHING_EPSILON = 0.1

_WORDS = WordTokenizer()


def words(docs: np.ndarray) -> list[list[str]]:
    """Each document's word tokens."""
    if not isinstance(docs, np.ndarray) or docs.ndim != 1 or docs.dtype.kind != "U":
        raise InputError("text statistics need documents: a 1-D array of str")
    if len(docs) == 0:
        raise InputError("text statistics need at least one document, got none")
    return [_WORDS.tokenize(str(d)) for d in docs]


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(docs: np.ndarray, n: int) -> float:
    """Distinct n-grams / n-grams, over the whole set (0 when it holds no n-gram)."""
    grams = [g for doc in words(docs) for g in _ngrams(doc, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def _frequencies(docs: np.ndarray) -> np.ndarray:
    counts = Counter(t for doc in words(docs) for t in doc)
    return np.array(sorted(counts.values(), reverse=True), dtype=np.float64)


def unigram_entropy(docs: np.ndarray) -> float:
    """-sum p log p of the set's word frequencies, in nats (0 for an empty vocabulary)."""
    counts = _frequencies(docs)
    if not len(counts):
        return 0.0
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def vocabulary_size(docs: np.ndarray) -> int:
    """The number of word types in the set."""
    return len(_frequencies(docs))


def zipf_slope(docs: np.ndarray) -> float:
    """Slope of log count on log rank (rank 1 = most frequent) over every type; NaN below
    two types."""
    counts = _frequencies(docs)
    if len(counts) < 2:
        return math.nan
    ranks = np.log(np.arange(1, len(counts) + 1))
    return float(np.polyfit(ranks, np.log(counts), 1)[0])


def ngram_shares(real: np.ndarray, generated: np.ndarray, n: int) -> tuple[float, float]:
    """(recall-like, precision-like): the share of ``real``'s n-gram types that ``generated``
    holds, and the share of ``generated``'s that ``real`` holds (0 where a set has none)."""
    r = {g for doc in words(real) for g in _ngrams(doc, n)}
    g = {x for doc in words(generated) for x in _ngrams(doc, n)}
    both = len(r & g)
    return (both / len(r) if r else 0.0, both / len(g) if g else 0.0)


def self_bleu(docs: np.ndarray, *, max_docs: int = SELF_BLEU_DOCS, seed: int = 0) -> float:
    """Mean BLEU-4 of each document against every other one (module docstring), over a seeded
    subset of ``max_docs`` documents when there are more; needs two documents."""
    tokens = words(docs)
    if len(tokens) < 2:
        raise InputError(f"self-BLEU needs at least 2 documents, got {len(tokens)}")
    if len(tokens) > max_docs:
        keep = np.sort(np.random.default_rng(seed).choice(len(tokens), max_docs, replace=False))
        tokens = [tokens[i] for i in keep]
    counts = [[Counter(_ngrams(doc, n)) for n in range(1, 5)] for doc in tokens]
    best = [_two_largest(counts, n) for n in range(4)]
    lengths = np.array([len(doc) for doc in tokens])
    scores = [_bleu(i, counts[i], best, lengths, np.delete(lengths, i)) for i in range(len(tokens))]
    return float(np.mean(scores))


def _two_largest(counts, order: int) -> dict:
    """Per n-gram of ``order`` + 1 words: (largest count in a document, that document, the
    second largest), so that the largest count among all documents but one is at hand."""
    out: dict = {}
    for doc, per_order in enumerate(counts):
        for gram, c in per_order[order].items():
            first, where, second = out.get(gram, (0, -1, 0))
            if c > first:
                out[gram] = (c, doc, first)
            else:
                out[gram] = (first, where, max(second, c))
    return out


def _bleu(i: int, own, best, length_i, others: np.ndarray) -> float:
    """Sentence BLEU-4 of document ``i`` against all the others, smoothing 1."""
    hyp_len = int(length_i[i])
    if hyp_len == 0:
        return 0.0
    log_p = 0.0
    for n in range(4):
        matches = 0
        for gram, c in own[n].items():
            first, where, second = best[n][gram]
            matches += min(c, second if where == i else first)
        total = max(hyp_len - n, 1)
        if n == 0 and matches == 0:
            return 0.0
        log_p += 0.25 * math.log((matches if matches else SMOOTHING_EPSILON) / total)
    closest = others[np.lexsort((others, np.abs(others - hyp_len)))[0]]
    brevity = 1.0 if hyp_len > closest else math.exp(1 - closest / hyp_len)
    return brevity * math.exp(log_p)


def text_statistics(real: np.ndarray, generated: np.ndarray, *, seed: int = 0) -> dict:
    """Every statistic of ``generated`` under :data:`~madbench.metrics.names.TEXT_KEYS` (None
    where undefined); the bigram shares against ``real`` (a loop passes its held-out set, as
    large as the generated one)."""
    recall, precision = ngram_shares(real, generated, 2)
    slope = zipf_slope(generated)
    return {
        **{f"distinct_{n}": distinct_n(generated, n) for n in (1, 2, 3)},
        "self_bleu": self_bleu(generated, seed=seed) if len(generated) > 1 else None,
        "unigram_entropy": unigram_entropy(generated),
        "zipf_slope": None if math.isnan(slope) else slope,
        "vocabulary": vocabulary_size(generated),
        "ngram2_recall": recall,
        "ngram2_precision": precision,
    }
