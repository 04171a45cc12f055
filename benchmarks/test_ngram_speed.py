"""The n-gram LM's perplexity over a million tokens: madbench's vectorised Kneser-Ney vs
``nltk.lm.KneserNeyInterpolated`` on the same model (fitted on the same n-grams).

nltk scores one token at a time and rescans its counts for every lower-order continuation
count, so it is timed on a sample of the same windows and compared per token; the two agree to
1e-9 on that sample. Target: at least 20x faster per token. Needs Debian's fortunes (the
trigram model is fitted on its train split, about 180,000 word tokens).
"""

import numpy as np
import pytest
from conftest import report, timing

from madbench.data.datasets import get_dataset
from madbench.generators.ngram import NgramLM

TOKENS = 1_000_000
NLTK_TOKENS = 300


@pytest.fixture(scope="module")
def model_and_windows():
    pytest.importorskip("nltk")
    try:
        train = get_dataset("fortunes").split("train").x
    except Exception as exc:  # noqa: BLE001 - the data set is optional here
        pytest.skip(f"needs Debian's fortunes ({exc})")
    model = NgramLM(order=3, discount=0.75, floor=False).fit(train)
    fitted = model.windows([model.tokenizer_.tokenize(d) for d in train])
    rows = np.resize(fitted, (TOKENS, fitted.shape[1]))  # the train windows, cycled to 1M tokens
    return model, rows, fitted


def test_madbench_perplexity(timed, model_and_windows, values):
    model, rows, _ = model_and_windows
    p = timed("ngram_madbench", model.probabilities, rows, rounds=3)
    values["perplexity"] = float(np.exp(-np.log(p).mean()))
    values["sample"] = p[:NLTK_TOKENS]


def test_nltk_perplexity(timed, model_and_windows, values):
    from nltk.lm import KneserNeyInterpolated

    model, rows, fitted = model_and_windows
    vocab = model.vocab_
    reference = KneserNeyInterpolated(3, discount=0.75)
    reference.fit([[tuple(vocab[i] for i in r[k:]) for k in range(3)] for r in fitted], vocab)

    def score():
        return np.array(
            [reference.score(vocab[r[-1]], [vocab[i] for i in r[:-1]]) for r in rows[:NLTK_TOKENS]]
        )

    values["nltk_sample"] = timed("ngram_nltk", score, rounds=1)


def test_ratio_and_agreement(values):
    ours = timing("ngram_madbench") / TOKENS
    theirs = timing("ngram_nltk") / NLTK_TOKENS
    np.testing.assert_allclose(values["sample"], values["nltk_sample"], rtol=1e-9)
    report(
        f"trigram perplexity {values['perplexity']:.2f} over {TOKENS:,} tokens: madbench "
        f"{ours * 1e9:.0f} ns/token, nltk.lm {theirs * 1e6:.0f} us/token ({theirs / ours:,.0f}x "
        "faster); equal to 1e-9 on nltk's sample"
    )
    assert theirs / ours >= 20


def test_kenlm_perplexity(timed, model_and_windows, values, tmp_path_factory):
    """kenlm on the same model (madbench's ARPA export), through its fastest path: whole
    documents, bos and eos included, cycled to the same million tokens."""
    kenlm = pytest.importorskip("kenlm")
    model, _, _ = model_and_windows
    path = tmp_path_factory.mktemp("arpa") / "fortunes.arpa"
    model.to_arpa(path)
    reader = kenlm.Model(str(path))
    train = get_dataset("fortunes").split("train").x
    sentences, tokens = [], 0
    while tokens < TOKENS:
        for doc in train:
            words = model.tokenizer_.tokenize(doc)
            sentences.append(" ".join(words))
            tokens += len(words) + 1
            if tokens >= TOKENS:
                break
    values["kenlm_tokens"] = tokens

    def score():
        return sum(reader.score(sentence, bos=True, eos=True) for sentence in sentences)

    timed("ngram_kenlm", score, rounds=3)


def test_kenlm_ratio(values):
    if "kenlm_tokens" not in values:
        pytest.skip("kenlm is not installed")
    ours = timing("ngram_madbench") / TOKENS
    theirs = timing("ngram_kenlm") / values["kenlm_tokens"]
    report(
        f"trigram scoring per token: madbench {ours * 1e9:.0f} ns, kenlm {theirs * 1e9:.0f} ns "
        f"(kenlm / madbench = {theirs / ours:.2f}); kenlm reads madbench's ARPA export, equal "
        "to float32 precision (tests/test_ngram.py)"
    )
