"""The analytic case of text collapse: a maximum-likelihood unigram LM retrained on its own
text loses word types generation after generation, as counting predicts."""

import numpy as np

from madbench.data.text import documents
from madbench.generators.ngram import SPECIAL, NgramLM

TYPES, DOCS, LENGTH = 100, 50, 10  # 500 tokens per generation
ZIPF = np.arange(1, TYPES + 1) ** -1.1
ZIPF /= ZIPF.sum()
SEEDS, GENERATIONS = 100, 3


def corpus(rng):
    words = rng.choice(TYPES, size=(DOCS, LENGTH), p=ZIPF)
    return documents(" ".join(f"w{i}" for i in row) for row in words)


def lost_types(model) -> int:
    return TYPES - (len(model.vocab_) - len(SPECIAL))


def loop(seed: int) -> list[int]:
    """Types lost after each generation of madbench's ML unigram, fitted on DOCS documents."""
    rng = np.random.default_rng(seed)
    model = NgramLM(order=1, discount=0, floor=False, max_tokens=100_000).fit(corpus(rng))
    lost = [lost_types(model)]
    for t in range(1, GENERATIONS):
        model = NgramLM(order=1, discount=0, floor=False, max_tokens=100_000).fit(
            model.sample(DOCS, seed=seed * 100 + t)
        )
        lost.append(lost_types(model))
    return lost


def simulated(rng, reps: int) -> np.ndarray:
    """The same chain by counting alone: a generation's model is its word counts; its DOCS
    documents end at each token with probability DOCS / (tokens + DOCS), so the next
    generation holds a negative-binomial number of tokens, multinomial over the counts."""
    out = np.empty((reps, GENERATIONS))
    for r in range(reps):
        counts = rng.multinomial(DOCS * LENGTH, ZIPF)
        for t in range(GENERATIONS):
            if t:
                end = DOCS / (counts.sum() + DOCS)
                tokens = rng.negative_binomial(DOCS, end)
                counts = rng.multinomial(tokens, counts / counts.sum())
            out[r, t] = TYPES - (counts > 0).sum()
    return out


def test_ml_unigram_loses_word_types_as_counting_predicts():
    runs = np.array([loop(seed) for seed in range(SEEDS)])
    # generation 1: E[lost] = sum_i (1 - p_i)^n exactly, n the tokens trained on
    expected = ((1 - ZIPF) ** (DOCS * LENGTH)).sum()
    se = runs[:, 0].std(ddof=1) / np.sqrt(SEEDS)
    assert abs(runs[:, 0].mean() - expected) < 4 * se
    # later generations: an independent simulation of the counts
    reference = simulated(np.random.default_rng(7), 2000)
    for t in range(1, GENERATIONS):
        se = np.hypot(runs[:, t].std(ddof=1) / np.sqrt(SEEDS), reference[:, t].std() / 45)
        assert abs(runs[:, t].mean() - reference[:, t].mean()) < 4 * se
    assert (np.diff(runs.mean(axis=0)) > 0).all()  # types are lost, never regained
