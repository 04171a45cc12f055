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
    return _distinct(words(docs), n)


def unigram_entropy(docs: np.ndarray) -> float:
    """-sum p log p of the set's word frequencies, in nats (0 for an empty vocabulary)."""
    return _entropy(_frequencies(words(docs)))


def vocabulary_size(docs: np.ndarray) -> int:
    """The number of word types in the set."""
    return len(_frequencies(words(docs)))


def zipf_slope(docs: np.ndarray) -> float:
    """Slope of log count on log rank (rank 1 = most frequent) over every type; NaN below
    two types."""
    return _zipf(_frequencies(words(docs)))


def ngram_shares(real: np.ndarray, generated: np.ndarray, n: int) -> tuple[float, float]:
    """(recall-like, precision-like): the share of ``real``'s n-gram types that ``generated``
    holds, and the share of ``generated``'s that ``real`` holds (0 where a set has none)."""
    return _shares(words(real), words(generated), n)


def self_bleu(docs: np.ndarray, *, max_docs: int = SELF_BLEU_DOCS, seed: int = 0) -> float:
    """Mean BLEU-4 of each document against every other one (module docstring), over a seeded
    subset of ``max_docs`` documents when there are more; needs two documents."""
    return _self_bleu(words(docs), max_docs, seed)


def text_statistics(real: np.ndarray, generated: np.ndarray, *, seed: int = 0) -> dict:
    """Every statistic of ``generated`` under :data:`~madbench.metrics.names.TEXT_KEYS` (None
    where undefined), its documents tokenized once; the bigram shares against ``real`` (a loop
    passes its held-out set, as large as the generated one)."""
    tokens = words(generated)
    counts = _frequencies(tokens)
    recall, precision = _shares(words(real), tokens, 2)
    slope = _zipf(counts)
    return {
        **{f"distinct_{n}": _distinct(tokens, n) for n in (1, 2, 3)},
        "self_bleu": _self_bleu(tokens, SELF_BLEU_DOCS, seed) if len(tokens) > 1 else None,
        "unigram_entropy": _entropy(counts),
        "zipf_slope": None if math.isnan(slope) else slope,
        "vocabulary": len(counts),
        "ngram2_recall": recall,
        "ngram2_precision": precision,
    }


# -- the statistics of tokenized documents -------------------------------------------------
def _distinct(tokens: list[list[str]], n: int) -> float:
    grams = [g for doc in tokens for g in _ngrams(doc, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def _frequencies(tokens: list[list[str]]) -> np.ndarray:
    """Each word type's count, largest first."""
    counts = Counter(t for doc in tokens for t in doc)
    return np.array(sorted(counts.values(), reverse=True), dtype=np.float64)


def _entropy(counts: np.ndarray) -> float:
    if not len(counts):
        return 0.0
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _zipf(counts: np.ndarray) -> float:
    if len(counts) < 2:
        return math.nan
    ranks = np.log(np.arange(1, len(counts) + 1))
    return float(np.polyfit(ranks, np.log(counts), 1)[0])


def _shares(real: list[list[str]], generated: list[list[str]], n: int) -> tuple[float, float]:
    r = {g for doc in real for g in _ngrams(doc, n)}
    g = {x for doc in generated for x in _ngrams(doc, n)}
    both = len(r & g)
    return (both / len(r) if r else 0.0, both / len(g) if g else 0.0)


def _self_bleu(tokens: list[list[str]], max_docs: int, seed: int) -> float:
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
