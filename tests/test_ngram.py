"""The n-gram LM: nltk's Kneser-Ney on the same n-grams, proper distributions, exact tempered
sampling, the ML unigram, checkpoints and bad input."""

import numpy as np
import pytest
from nltk.lm import KneserNeyInterpolated

from madbench.data.text import documents, is_text
from madbench.errors import InputError
from madbench.generators.ngram import BOS, EOS, UNK, NgramLM, _Sampler

CORPUS = documents(
    [
        "the cat sat on the mat .",
        "the dog sat on the log .",
        "a cat and a dog ran .",
        "the cat ran to the dog , the dog ran to the mat .",
        "on the mat sat a cat .",
        "time flies like an arrow ; fruit flies like a banana .",
    ]
    * 3
    + ["the end", "a new cat sat", "dogs and cats"]
)


def windows_of(model, docs):
    return model.windows([model.tokenizer_.tokenize(d) for d in docs])


@pytest.mark.parametrize("order", [2, 3, 4])
def test_equals_nltks_kneser_ney_fitted_on_the_same_ngrams(order):
    model = NgramLM(order=order, discount=0.6, floor=False).fit(CORPUS)
    rows, vocab = windows_of(model, CORPUS), model.vocab_
    grams = [[tuple(vocab[i] for i in row[k:]) for k in range(order)] for row in rows]
    reference = KneserNeyInterpolated(order, discount=0.6)
    reference.fit(grams, vocab)
    expected = [reference.score(vocab[r[-1]], [vocab[i] for i in r[:-1]]) for r in rows]
    np.testing.assert_allclose(model.probabilities(rows), expected, rtol=1e-9, atol=0)


@pytest.mark.parametrize("floor", [True, False])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_context_gives_a_distribution(order, floor):
    model = NgramLM(order=order, discount=0.75, floor=floor).fit(CORPUS)
    rng = np.random.default_rng(0)
    seen = windows_of(model, CORPUS)[:, :-1]
    unseen = rng.integers(3, model.base_, size=(5, order - 1))  # mostly never seen together
    for context in [*seen[::7], *unseen]:
        rows = np.array([[*context, w] for w in range(model.base_)])
        p = model.probabilities(rows)
        assert p[BOS] == 0 and (p >= 0).all()
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (p[UNK] > 0) == floor


def test_order_one_without_discount_is_the_maximum_likelihood_unigram():
    model = NgramLM(order=1, discount=0, floor=True).fit(CORPUS)
    tokens = [t for d in CORPUS for t in model.tokenizer_.tokenize(d)]
    p = model.probabilities(np.array([[model.vocab_.index("cat")], [EOS]]))
    n = len(tokens) + len(CORPUS)  # every document's tokens and its end marker
    np.testing.assert_allclose(p, [tokens.count("cat") / n, len(CORPUS) / n], rtol=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_sampling_draws_the_tempered_distribution_exactly(temperature):
    """One step of the batched sampler, at two contexts drawn side by side: one never seen whole
    ("banana cat": "cat" alone is), whose supports leave most tokens to the unigram tail, and one
    seen ("the cat"). 20,000 draws at each match p^(1/lambda) over the tokens a document may
    hold, within 4.5 standard errors each (an untempered sampler is 80 away at lambda 0.6)."""
    model = NgramLM(order=3, discount=0.75).fit(CORPUS)
    allowed = np.ones(model.base_, bool)
    allowed[[BOS, UNK]] = False
    tail = np.where(allowed, model.unigram_, 0) ** (1 / temperature)
    sampler = _Sampler(model, temperature, tail, allowed, np.random.default_rng(1))
    pairs = [("banana", "cat"), ("the", "cat")]
    contexts = np.array([[model.vocab_.index(w) for w in pair] for pair in pairs])
    n = 20_000
    drawn = sampler._next(np.repeat(contexts, n, axis=0)).reshape(len(pairs), n)
    for context, tokens in zip(contexts, drawn, strict=True):
        exact = model.probabilities(np.array([[*context, w] for w in range(model.base_)]))
        exact[[BOS, UNK]] = 0
        exact = exact ** (1 / temperature)
        exact /= exact.sum()
        counts = np.bincount(tokens, minlength=model.base_)
        se = np.sqrt(exact * (1 - exact) / n) + 1e-12
        assert (np.abs(counts / n - exact) / se).max() < 4.5
        assert counts[[BOS, UNK]].sum() == 0


def test_samples_are_documents_from_the_seed_and_lambda_narrows_them():
    model = NgramLM(order=2).fit(CORPUS)
    a, b = model.sample(300, seed=4), model.sample(300, seed=4)
    assert is_text(a) and a.shape == (300,) and (a == b).all()
    assert not (a == model.sample(300, seed=5)).all()
    cold = model.sample(300, bias=0.3, seed=4)
    assert len(set(cold.tolist())) < len(set(a.tolist()))
    assert max(len(model.tokenizer_.tokenize(d)) for d in a) <= model.max_tokens_


def test_a_checkpoint_restores_the_model(tmp_path):
    model = NgramLM(order=3).fit(CORPUS)
    model.save(tmp_path)
    restored = NgramLM(order=3).load(tmp_path)
    rows = windows_of(model, CORPUS)
    np.testing.assert_array_equal(restored.probabilities(rows), model.probabilities(rows))
    assert (restored.sample(50, seed=2) == model.sample(50, seed=2)).all()
    with pytest.raises(InputError, match="checkpoint of order 3, not 2"):
        NgramLM(order=2).load(tmp_path)


def test_held_out_documents_score_with_unknown_tokens():
    model = NgramLM(order=3).fit(CORPUS)
    scores = model.log_likelihood(documents(["the cat sat", "zebras sat on the mat"]))
    assert scores.shape == (2, 2) and np.isfinite(scores).all()
    assert scores[:, 1].tolist() == [4, 6]  # tokens and the end marker
    assert scores[0, 0] / 4 > scores[1, 0] / 6  # the unseen word costs
    for doc, (logp, _) in zip(["the cat sat", "zebras sat on the mat"], scores, strict=True):
        rows = windows_of(model, documents([doc]))
        unseen = (rows[:, -1] == UNK).sum() * np.log(model.universe - len(model.vocab_) + 3)
        alone = np.log(model.probabilities(rows)).sum() - unseen
        assert logp == pytest.approx(alone, rel=1e-12)
    with pytest.raises(InputError, match="scores documents"):
        model.log_likelihood(documents([]))


def test_an_unseen_word_gets_its_share_of_the_unknown_mass():
    model = NgramLM(order=3, universe=1000).fit(CORPUS)
    doc = documents(["the zebra sat"])
    rows = windows_of(model, doc)
    assert (rows[:, -1] == UNK).sum() == 1
    share = np.log(1000 - (len(model.vocab_) - 3))  # three special tokens
    expected = np.log(model.probabilities(rows)).sum() - share
    assert model.log_likelihood(doc)[0, 0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError, match="not fewer than universe=10; raise universe"):
        NgramLM(universe=10).fit(CORPUS)


def test_a_collapsed_vocabulary_does_not_lower_perplexity():
    """Scored as one cheap <unk>, unseen words made a model that knows one word look better on
    real text than one fitted on it (perplexity 7.5 against 15 here)."""
    held = documents(["the quick fox jumps over a lazy dog", "a cat and a dog sat on the mat"])

    def perplexity(model):
        scores = model.log_likelihood(held)
        return np.exp(-scores[:, 0].sum() / scores[:, 1].sum())

    collapsed = NgramLM().fit(documents(["the the the"] * 20))
    assert perplexity(collapsed) > 10 * perplexity(NgramLM().fit(CORPUS))


def kenlm_probabilities(path, vocab, rows):
    """p(target | context) of each window under kenlm's reading of an ARPA file: the context's
    tokens fed from kenlm's null context, then the target scored (log10)."""
    import kenlm

    model, out = kenlm.Model(str(path)), []
    for row in rows:
        state = kenlm.State()
        model.NullContextWrite(state)
        for token in row[:-1]:
            state, before = kenlm.State(), state
            model.BaseScore(before, vocab[token], state)
        out.append(10 ** model.BaseScore(state, vocab[row[-1]], kenlm.State()))
    return np.array(out)


@pytest.mark.parametrize("order", [2, 3, 4])
def test_the_arpa_file_gives_kenlm_the_same_model(order, tmp_path):
    """kenlm reads the file as a back-off model and gets every probability, held-out windows
    with unseen words included, to float32's precision."""
    pytest.importorskip("kenlm")
    model = NgramLM(order=order, discount=0.7).fit(CORPUS)
    model.to_arpa(tmp_path / "model.arpa")
    held = documents(["the cat ran on the log .", "zebras like a banana", "dogs sat"])
    rows = np.concatenate([windows_of(model, CORPUS), windows_of(model, held)])
    theirs = kenlm_probabilities(tmp_path / "model.arpa", model.vocab_, rows)
    np.testing.assert_allclose(theirs, model.probabilities(rows), rtol=1e-5)
    with pytest.raises(InputError, match="cannot hold tokens with spaces"):
        NgramLM(tokenizer="char").fit(CORPUS).to_arpa(tmp_path / "char.arpa")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"order": 0}, "order must be an integer >= 1"),
        ({"discount": 1.5}, r"discount must be a number in \[0, 1\]"),
        ({"tokenizer": "bpe"}, "unknown tokenizer 'bpe'"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(InputError, match=message):
        NgramLM(**args)


def test_bad_data_and_order_are_refused():
    with pytest.raises(InputError, match="needs text"):
        NgramLM().fit(np.zeros((4, 2)))
    with pytest.raises(InputError, match="call fit"):
        NgramLM().sample(2, seed=0)
    with pytest.raises(InputError, match="overflow its 62-bit n-gram keys"):
        NgramLM(order=12, tokenizer="char").fit(documents(["".join(map(chr, range(40, 140)))]))


def test_an_instance_is_recorded_by_plain_arguments():
    from madbench.adapters import instance_args

    model = NgramLM(order=2, discount=0.5, tokenizer="char", max_tokens=30)
    assert instance_args(model) == {
        "order": 2,
        "discount": 0.5,
        "tokenizer": "char",
        "floor": True,
        "max_tokens": 30,
        "universe": 2**17,
    }
