"""The tiny transformer LM: its key/value cache against full forward passes, scoring against
per-document log-softmax, the tempered and nucleus first-token distributions, checkpoints,
seeds and bad arguments."""

import numpy as np
import pytest
import torch

from madbench.data.text import documents, is_text
from madbench.errors import InputError
from madbench.generators.transformer import BOS, EOS, UNK, TransformerLM
from madbench.text import scoring

CORPUS = documents(
    ["the cat sat on the mat.", "a dog ran to the log.", "time flies like an arrow."] * 8
)
SMALL = dict(steps=40, width=32, heads=2, context=32, batch_size=8)


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return TransformerLM(**SMALL).fit(CORPUS, seed=0)


def test_training_lowers_the_loss(model):
    assert np.mean(model.losses_[-5:]) < 0.6 * np.mean(model.losses_[:5])


def test_the_cache_gives_the_full_forward_passs_logits(model):
    ids = torch.tensor([[BOS, 5, 7, 9, 4, 6, 8]])
    with torch.no_grad():
        full = model.model(ids)
        caches = [{"size": SMALL["context"]} for _ in model.model.blocks]
        stepped = torch.cat(
            [model.model(ids[:, t : t + 1], start=t, caches=caches) for t in range(ids.shape[1])],
            dim=1,
        )
    torch.testing.assert_close(stepped, full, rtol=1e-5, atol=1e-5)


def test_scores_are_each_documents_own_log_softmax(model):
    docs = documents(["the cat ran.", "a dog sat on the mat, the cat.", "zebra!"])
    scored = model.log_likelihood(docs)
    for doc, (logp, count) in zip(docs, scored, strict=True):
        seq = model._sequences([doc])[0]  # "z" is unseen: <unk>
        with torch.no_grad():
            logits = model.model(torch.tensor([seq[:-1]])).double()[0]
        expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(seq[1:])[:, None]).sum()
        assert logp == pytest.approx(float(expected), rel=1e-5)  # a float32 model
        assert count == len(doc) + 1
    assert UNK in model._sequences(["zebra!"])[0]


def test_documents_longer_than_the_context_score_every_token_once(model):
    long = documents(["the cat sat on the mat. " * 6])
    windows = [(0, *w) for w in scoring.windows(model._sequences(long)[0], SMALL["context"])]
    scored = [i for _, window, first in windows for i in range(first, len(window))]
    offsets = np.cumsum([0] + [SMALL["context"] // 2] * (len(windows) - 1))
    positions = [
        o + i for (_, w, f), o in zip(windows, offsets, strict=True) for i in range(f, len(w))
    ]
    assert len(scored) == len(long[0]) + 1 and positions == list(range(1, len(long[0]) + 2))
    assert all(len(w) <= SMALL["context"] for _, w, _ in windows)
    assert all(f >= SMALL["context"] // 2 for _, _, f in windows[1:])  # half a context before
    assert np.isfinite(model.log_likelihood(long)).all()


@pytest.mark.parametrize("temperature,top_p", [(1.0, 1.0), (0.5, 1.0), (1.0, 0.8)])
def test_first_tokens_follow_the_tempered_nucleus_distribution(model, temperature, top_p):
    model.settings["top_p"] = top_p
    try:
        generator = torch.Generator().manual_seed(3)
        n = 20_000
        with torch.no_grad():
            model.settings["context"], context = 2, model.settings["context"]  # one token each
            drawn = model._draw(n, temperature, generator)
            model.settings["context"] = context
            logits = model.model(torch.tensor([[BOS]])).double()[0, -1]
    finally:
        model.settings["top_p"] = 1.0
    first = np.array([row[0] if row else EOS for row in drawn])
    logits[[BOS, UNK]] = -np.inf
    p = torch.softmax(logits / temperature, -1).numpy()
    order = np.argsort(-p)
    keep = np.zeros_like(p, dtype=bool)
    keep[order[(np.cumsum(p[order]) - p[order]) < top_p]] = True
    exact = np.where(keep, p, 0) / p[keep].sum()
    counts = np.bincount(first, minlength=len(p)) / n
    se = np.sqrt(exact * (1 - exact) / n) + 1e-12
    assert (np.abs(counts - exact) / se).max() < 4.5 and counts[~keep].sum() == 0


def test_samples_are_documents_reproducible_from_the_seed(model, tmp_path):
    a = model.sample(40, seed=1)
    assert is_text(a) and len(a) == 40 and (a == model.sample(40, seed=1)).all()
    assert not (a == model.sample(40, seed=2)).all()
    model.save(tmp_path)
    restored = TransformerLM(**SMALL).load(tmp_path)
    assert (restored.sample(40, seed=1) == a).all()
    np.testing.assert_array_equal(restored.log_likelihood(CORPUS), model.log_likelihood(CORPUS))
    assert model.meta()["tokenizer"] == "char" and model.meta()["vocabulary"] == len(model.vocab_)


def test_the_same_seed_trains_the_same_model():
    a = TransformerLM(**{**SMALL, "steps": 5}).fit(CORPUS, seed=4)
    b = TransformerLM(**{**SMALL, "steps": 5}).fit(CORPUS, seed=4)
    assert a.losses_ == b.losses_


@pytest.mark.parametrize(
    "args,message",
    [
        ({"width": 30, "heads": 4}, "divisible by heads"),
        ({"top_p": 1.5}, "top_p must be in"),
        ({"context": 1}, "context must be at least 2"),
        ({"tokenizer": "bpe"}, "unknown tokenizer"),
        ({"depth": 3}, "unknown transformer options"),
    ],
)
def test_bad_arguments_are_refused_by_name(args, message):
    with pytest.raises(InputError, match=message):
        TransformerLM(**args)


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="needs text"):
        TransformerLM(**SMALL).fit(np.zeros((4, 3)))
    with pytest.raises(InputError, match="call fit"):
        TransformerLM(**SMALL).sample(3)
