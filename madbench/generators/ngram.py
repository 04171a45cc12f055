"""``ngram``: an n-gram language model with interpolated Kneser-Ney smoothing, for text data.

The text analogue of the Gaussian oracle: exact, fitted in one counting pass, sampled exactly.
Documents are tokenized (:mod:`madbench.text.tokenizers`, ``word`` by default), padded with
``order - 1`` begin markers and one end marker, and every token and the end marker is predicted
from the ``order - 1`` before it. With discount D, context h of length j - 1 and h' its last
j - 2 tokens (Chen & Goodman 1999, Kneser & Ney 1995):

    p_j(w | h) = max(c_j(h w) - D, 0) / T_j(h) + D |S_j(h)| / T_j(h) * p_{j-1}(w | h')

where c_j is the raw count at the highest order and the continuation count N1+(. h w) (how
many distinct tokens precede h w) at lower orders, T_j(h) = sum_w c_j(h w) and S_j(h) the
tokens w with c_j(h w) > 0; a context never seen has weight 0 and defers wholly to p_{j-1}.
At the bottom, p_1(w) = N1+(. w) / N1+(. .) (as ``nltk.lm.KneserNeyInterpolated``), or with
``floor=True`` (the default) discounted by D and interpolated with the uniform distribution
over the vocabulary, the end marker and ``<unk>``, so that every held-out token, unseen ones
included (scored as ``<unk>``), has a probability above zero. Counted this way, ``floor=False``
gives exactly nltk's model fitted on the same n-grams (tests/test_ngram.py). ``order=1,
discount=0`` is the maximum-likelihood unigram model.

``<unk>`` stands for every type the model never saw, so its mass must be shared: the model is a
distribution over a fixed ``universe`` of U token types (default 2^17), and an unseen token gets
p(<unk> | h) / (U - V), V being the types it saw. Without that share, a model that has lost
most of its vocabulary (a collapsed one) would score unseen words as cheaply as one frequent
word, and its perplexity of real text would fall as it collapses; with it, the perplexities of
models with different vocabularies compare on the same U types.

Lambda is the sampling temperature: a token is drawn from p(w | h)^(1/lambda), renormalised
over the tokens a document may contain (never the begin marker or ``<unk>``); lambda < 1
favours likely tokens, trading diversity for typicality as the paper's lambda does. A document
ends at the end marker or after ``max_tokens`` tokens.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from madbench.atomic import atomic_write_text
from madbench.data.text import documents, is_text
from madbench.errors import InputError
from madbench.generators import _checks as checks
from madbench.generators._flat import check_bias
from madbench.npfiles import load_npz
from madbench.text.tokenizers import tokenizer as get_tokenizer
from madbench.types import PathLike

BOS, EOS, UNK = 0, 1, 2
SPECIAL = ("<s>", "</s>", "<unk>")


class _Level:
    """One order's counts: sorted n-gram keys (base-V integers), their counts, and per context
    (key // V) the slice of its n-grams, its total T and its number of types |S|."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, base: int):
        self.keys, self.counts = keys, counts.astype(np.float64)
        self.targets = keys % base
        contexts = keys // base
        self.contexts, self.starts = np.unique(contexts, return_index=True)
        self.ends = np.append(self.starts[1:], len(keys))
        self.totals = np.add.reduceat(self.counts, self.starts) if len(keys) else np.zeros(0)
        self.types = (self.ends - self.starts).astype(np.float64)

    def find(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each context's row in :attr:`contexts` and whether it was seen."""
        rows = np.minimum(np.searchsorted(self.contexts, contexts), len(self.contexts) - 1)
        seen = (self.contexts[rows] == contexts) if len(self.contexts) else contexts < 0
        return rows, seen

    def counts_of(self, keys: np.ndarray) -> np.ndarray:
        rows = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[rows] == keys, self.counts[rows], 0.0)


class NgramLM:
    """Interpolated Kneser-Ney n-gram LM of ``order`` over ``tokenizer`` tokens (module
    docstring); documents sampled end at the end marker or after ``max_tokens`` tokens. The
    cap is fixed (default 256), never taken from the training documents: in a loop a cap of
    twice the longest training document doubled every generation once cold sampling stopped
    ending documents (lambda 0.7: 18,000 tokens a document by generation 10)."""

    data_kinds = ("text",)

    def __init__(
        self,
        order: int = 3,
        discount: float = 0.75,
        tokenizer: str = "word",
        floor: bool = True,
        max_tokens: int = 256,
        universe: int = 2**17,
    ):
        self.order = checks.integer(order, "order", "ngram")
        number = not isinstance(discount, bool) and isinstance(discount, int | float)
        if not number or not 0 <= discount <= 1:
            raise InputError(f"ngram: discount must be a number in [0, 1], got {discount!r}")
        self.discount = float(discount)
        self.tokenizer = tokenizer
        self.tokenizer_ = get_tokenizer(tokenizer)
        self.floor = bool(floor)
        self.max_tokens = checks.integer(max_tokens, "max_tokens", "ngram")
        self.universe = checks.integer(universe, "universe", "ngram")
        self.vocab_: list[str] | None = None

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, *, seed: int = 0) -> NgramLM:
        """Count the n-grams of documents ``X`` (a 1-D str array); ``seed`` is unused (exact)."""
        if not is_text(X) or len(X) < 1:
            raise InputError(f"ngram: needs text (a 1-D array of documents), got {_describe(X)}")
        tokens = [self.tokenizer_.tokenize(str(doc)) for doc in X]
        self.vocab_ = [*SPECIAL, *sorted({t for doc in tokens for t in doc} - set(SPECIAL))]
        if len(self.vocab_) - len(SPECIAL) >= self.universe:
            raise InputError(
                f"ngram: the training text has {len(self.vocab_) - len(SPECIAL)} token types, "
                f"not fewer than universe={self.universe}; raise universe"
            )
        self.max_tokens_ = self.max_tokens
        self._build(self.windows(tokens))
        return self

    def windows(self, tokens: list[list[str]]) -> np.ndarray:
        """Every prediction of the padded documents as a row (order - 1 context ids, target id):
        the n-grams the model counts."""
        ids = self._ids(tokens)
        pad = self.order - 1
        rows = []
        for doc in ids:
            padded = np.concatenate([np.full(pad, BOS), doc, [EOS]]).astype(np.int64)
            rows.append(np.lib.stride_tricks.sliding_window_view(padded, self.order))
        return np.concatenate(rows)

    def _ids(self, tokens: list[list[str]]) -> list[np.ndarray]:
        index = {t: i for i, t in enumerate(self.vocab_)}
        return [np.array([index.get(t, UNK) for t in doc], dtype=np.int64) for doc in tokens]

    def _build(self, windows: np.ndarray) -> None:
        self.base_ = base = len(self.vocab_)
        if self.order * math.log2(base) >= 62:
            raise InputError(
                f"ngram: {base} token types at order {self.order} overflow its 62-bit n-gram "
                "keys; lower the order or use a coarser tokenizer"
            )
        self.levels_: dict[int, _Level] = {}
        for j in range(self.order, 1, -1):
            if j == self.order:  # raw counts
                keys, counts = np.unique(_encode(windows, base), return_counts=True)
            else:  # continuation counts: distinct (j+1)-grams ending in each j-gram
                longer = np.unique(_encode(windows[:, -(j + 1) :], base))
                keys, counts = np.unique(longer % base**j, return_counts=True)
            self.levels_[j] = _Level(keys, counts, base)
        if self.order == 1:
            counts = np.bincount(windows[:, -1], minlength=base).astype(np.float64)
        else:
            bigrams = np.unique(_encode(windows[:, -2:], base))
            counts = np.bincount(bigrams % base, minlength=base).astype(np.float64)
        self.unigram_ = self._bottom(counts)

    def _bottom(self, counts: np.ndarray) -> np.ndarray:
        total = counts.sum()
        if not self.floor:
            return counts / total
        seen = counts > 0
        p = np.where(seen, np.maximum(counts - self.discount, 0.0), 0.0) / total
        floor = np.ones(len(counts))
        floor[BOS] = 0.0  # never predicted
        return p + (1.0 - p.sum()) * floor / floor.sum()

    # -- scoring ------------------------------------------------------------------------------
    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """p(target | context) of each row of ``windows`` (:meth:`windows`'s layout; rows of
        j < order ids give the order-j model's p_j, the context's first tokens dropped)."""
        self._check_fitted()
        base, d = self.base_, self.discount
        p = self.unigram_[windows[:, -1]]
        for j in range(2, min(windows.shape[1], self.order) + 1):
            level = self.levels_[j]
            grams = _encode(windows[:, -j:], base)
            rows, seen = level.find(grams // base)
            totals = np.where(seen, level.totals[rows], 1.0)
            alpha = np.maximum(level.counts_of(grams) - d, 0.0) / totals
            gamma = np.where(seen, d * level.types[rows] / totals, 1.0)
            p = np.where(seen, alpha, 0.0) + gamma * p
        return p

    def log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """Each document's natural-log probability and its token count (the end marker
        included): an array (n, 2). A token never seen in training gets its share of ``<unk>``,
        p(<unk> | h) / (universe - V) (module docstring)."""
        self._check_fitted()
        if not is_text(X) or len(X) < 1:
            raise InputError(f"ngram: scores documents (a 1-D str array), got {_describe(X)}")
        tokens = [self.tokenizer_.tokenize(str(doc)) for doc in X]
        counts = np.array([len(doc) + 1 for doc in tokens])  # one window per token and the end
        rows = self.windows(tokens)
        logp = np.log(self.probabilities(rows))
        logp[rows[:, -1] == UNK] -= math.log(self.universe - (self.base_ - len(SPECIAL)))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return np.stack([np.add.reduceat(logp, starts), counts], axis=1)

    def to_arpa(self, path: PathLike) -> None:
        """Write the model as an ARPA back-off file (log10 probabilities), as kenlm and SRILM
        read it: every n-gram with a count at its order gets its interpolated probability
        p_j(w | h), every context h seen at the order above gets the back-off weight
        D |S(h)| / T(h), and an n-gram absent from the file backs off as the interpolation
        defers. Contexts of begin markers alone, never predicted, get log10 p = -99, as
        ``<s>`` does. The highest order's p is exact; ARPA readers store it in float32."""
        self._check_fitted()
        if any(any(c.isspace() for c in token) for token in self.vocab_):
            raise InputError("ngram: ARPA files cannot hold tokens with spaces (use word tokens)")
        base, entries = self.base_, {}
        for j in range(1, self.order + 1):
            keys = np.arange(base) if j == 1 else self.levels_[j].keys
            grams = _decode(keys, base, j)
            logp = np.full(len(keys), -99.0)
            predicted = grams[:, -1] != BOS
            logp[predicted] = _log10(self.probabilities(grams[predicted]))
            entries[j] = dict(zip(keys.tolist(), logp.tolist(), strict=True))
            if j > 1:  # contexts of the level above that are no n-gram here: begin markers
                for key in self.levels_[j].contexts.tolist():
                    entries[j - 1].setdefault(key, -99.0)
        lines = ["\\data\\", *(f"ngram {j}={len(entries[j])}" for j in entries)]
        for j, table in entries.items():
            backoff = {}
            if j < self.order:
                level = self.levels_[j + 1]
                weights = self.discount * level.types / level.totals
                backoff = dict(zip(level.contexts.tolist(), _log10(weights).tolist(), strict=True))
            lines += ["", f"\\{j}-grams:"]
            keys = sorted(table)
            for key, gram in zip(keys, _decode(np.array(keys), base, j).tolist(), strict=True):
                words = " ".join(self.vocab_[i] for i in gram)
                weight = f"\t{backoff[key]:.9g}" if key in backoff else ""
                lines.append(f"{table[key]:.9g}\t{words}{weight}")
        lines += ["", "\\end\\", ""]
        atomic_write_text(path, "\n".join(lines))  # never a half-written file

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        """``n`` documents drawn at temperature ``bias`` (lambda), as a 1-D str array."""
        self._check_fitted()
        temperature = check_bias(bias)
        rng = np.random.default_rng(seed)
        allowed = np.ones(self.base_, dtype=bool)
        allowed[[BOS, UNK]] = False
        tail = np.where(allowed, self.unigram_, 0.0) ** (1.0 / temperature)
        drawn = _Sampler(self, temperature, tail, allowed, rng).documents(n)
        return documents(self.tokenizer_.detokenize(tokens) for tokens in drawn)

    def _check_fitted(self) -> None:
        if self.vocab_ is None:
            raise InputError("ngram: call fit() before sample() or scoring")

    # -- checkpoints --------------------------------------------------------------------------
    def save(self, directory: PathLike) -> None:
        self._check_fitted()
        arrays = {"unigram": self.unigram_, "vocab": np.array(self.vocab_, dtype=str)}
        for j, level in self.levels_.items():
            arrays[f"keys{j}"], arrays[f"counts{j}"] = level.keys, level.counts
        np.savez(os.path.join(directory, "ngram.npz"), **arrays)
        settings = {
            "order": self.order,
            "max_tokens": self.max_tokens_,
            "universe": self.universe,
        }
        with open(os.path.join(directory, "ngram.json"), "w") as f:
            json.dump(settings, f)

    def load(self, directory: PathLike) -> NgramLM:
        with open(os.path.join(directory, "ngram.json")) as f:
            settings = json.load(f)
        if settings.get("order") != self.order:
            raise InputError(
                f"ngram: checkpoint of order {settings.get('order')}, not {self.order}"
            )
        arrays = load_npz(os.path.join(directory, "ngram.npz"))
        self.vocab_ = [str(t) for t in arrays["vocab"]]
        self.base_, self.unigram_ = len(self.vocab_), arrays["unigram"]
        if settings.get("universe", self.universe) != self.universe:
            raise InputError(
                f"ngram: checkpoint of universe {settings['universe']}, not {self.universe}"
            )
        self.max_tokens_ = int(settings["max_tokens"])
        self.levels_ = {
            j: _Level(arrays[f"keys{j}"], arrays[f"counts{j}"], self.base_)
            for j in range(2, self.order + 1)
        }
        return self

    def meta(self) -> dict:
        return {
            "model": "ngram",
            "order": self.order,
            "discount": self.discount,
            "floor": self.floor,
            "universe": self.universe,
            "tokenizer": self.tokenizer_.name,
            "tokenizer_sha256": self.tokenizer_.digest(),
            "vocabulary": None if self.vocab_ is None else len(self.vocab_),
            "bias": "sampling temperature",
        }


class _Sampler:
    """Draws all documents at once, a token per document per step. At context h the tokens of
    the levels' supports S (every w with a count after a suffix of h) get p(w | h) exactly;
    every other token has p(w | h) = G p_1(w), G the product of the levels' back-off weights,
    and is drawn from the tempered p_1 by rejection of S: exact, without a pass over the
    vocabulary per token. Each step works on the distinct contexts of the unfinished
    documents, with flat arrays (no Python loop over documents or tokens)."""

    def __init__(self, model: NgramLM, temperature: float, tail, allowed, rng):
        self.model, self.power, self.allowed, self.rng = model, 1.0 / temperature, allowed, rng
        self.tail, self.tail_cdf = tail, np.cumsum(tail)
        self.tail_total = self.tail_cdf[-1]

    def documents(self, n: int) -> list[list[str]]:
        """``n`` documents, each a list of tokens."""
        m = self.model
        width = max(m.order - 1, 1)
        context = np.full((n, width), BOS, dtype=np.int64)
        out = np.full((n, m.max_tokens_), EOS, dtype=np.int64)
        active = np.arange(n)
        for step in range(m.max_tokens_):
            if not len(active):
                break
            tokens = self._next(context[active])
            out[active, step] = tokens
            going = tokens != EOS
            active = active[going]
            if m.order > 1:
                context[active] = np.concatenate([context[active, 1:], tokens[going, None]], 1)
        vocab = np.array(m.vocab_, dtype=object)
        return [list(vocab[row[: np.argmax(row == EOS)] if EOS in row else row]) for row in out]

    def _next(self, contexts: np.ndarray) -> np.ndarray:
        """A token after each row of ``contexts`` (order - 1 ids)."""
        m, base = self.model, self.model.base_
        unique, which = np.unique(_encode(contexts, base), return_inverse=True)
        first = np.zeros(len(unique), dtype=np.int64)
        first[which[::-1]] = np.arange(len(which))[::-1]
        support, owner, g = self._supports(contexts[first])
        if m.order > 1:
            rows = np.concatenate([contexts[first][owner], support[:, None]], axis=1)
        else:
            rows = support[:, None]
        weights = m.probabilities(rows) ** self.power if len(support) else np.zeros(0)
        cumulative = np.cumsum(weights)
        size = np.bincount(owner, minlength=len(unique))
        end = np.cumsum(size)
        begin = end - size
        before = np.concatenate([[0.0], cumulative])[begin]
        mass = np.concatenate([[0.0], cumulative])[end] - before
        held = np.bincount(owner, weights=self.tail[support], minlength=len(unique))
        total = mass + np.maximum(self.tail_total - held, 0.0) * g**self.power
        u = self.rng.random(len(contexts)) * total[which]
        inside = u < mass[which]
        # within the support: the first cumulative weight above the draw, in its context's slice
        at = np.searchsorted(cumulative, before[which] + u, side="right")
        at = np.clip(at, begin[which], np.maximum(end[which] - 1, 0))
        tokens = np.full(len(contexts), -1, dtype=np.int64)
        tokens[inside] = support[at[inside]]
        tokens[~inside] = self._from_tail(which[~inside], owner * base + support, base)
        return tokens

    def _supports(self, contexts: np.ndarray):
        """S of each context as flat arrays (its tokens, and their context's index, sorted by
        both) and each context's G. The levels nest: every n-gram counted at level j ends in
        one counted at level j - 1 (:meth:`NgramLM._build` counts all from the same windows),
        so the union of the seen levels' slices is the slice of the lowest level seen."""
        m, base = self.model, self.model.base_
        g = np.ones(len(contexts))
        level_of = np.zeros(len(contexts), dtype=np.int64)  # the lowest level seen, 0: none
        row_of = np.zeros(len(contexts), dtype=np.int64)
        for j in range(m.order, 1, -1):
            level = m.levels_[j]
            rows, seen = level.find(_encode(contexts[:, contexts.shape[1] - (j - 1) :], base))
            g[seen] *= m.discount * level.types[rows[seen]] / level.totals[rows[seen]]
            level_of[seen], row_of[seen] = j, rows[seen]
        tokens, owners = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for j in range(2, m.order + 1):
            level, index = m.levels_[j], np.flatnonzero(level_of == j)
            rows = row_of[index]
            size = (level.ends - level.starts)[rows]
            offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
            tokens.append(level.targets[np.repeat(level.starts[rows], size) + offset])
            owners.append(np.repeat(index, size))
        keys = np.concatenate(owners) * base + np.concatenate(tokens)
        keys = np.sort(keys[self.allowed[keys % base]])
        return keys % base, keys // base, g

    def _from_tail(self, owners: np.ndarray, support_keys: np.ndarray, base: int) -> np.ndarray:
        """A token from the tempered p_1 outside its context's support, for each of ``owners``
        (context indices; ``support_keys``: owner * base + token, sorted)."""
        out = np.full(len(owners), -1, dtype=np.int64)
        pending = np.arange(len(owners))
        for _ in range(64):
            if not len(pending):
                return out
            draws = np.searchsorted(
                self.tail_cdf, self.rng.random(len(pending)) * self.tail_total, side="right"
            )
            draws = np.minimum(draws, len(self.tail_cdf) - 1)
            keys = owners[pending] * base + draws
            spot = np.minimum(np.searchsorted(support_keys, keys), max(len(support_keys) - 1, 0))
            taken = support_keys[spot] == keys if len(support_keys) else np.zeros(len(keys), bool)
            ok = ~taken & self.allowed[draws]
            out[pending[ok]] = draws[ok]
            pending = pending[~ok]
        for i in pending:  # a context whose support holds nearly all the tail's mass
            weights = self.tail.copy()
            mine = support_keys[support_keys // base == owners[i]] % base
            weights[mine] = 0.0
            out[i] = self.rng.choice(len(weights), p=weights / weights.sum())
        return out


def _encode(grams: np.ndarray, base: int) -> np.ndarray:
    """Rows of token ids as base-``base`` integers (first id most significant)."""
    key = np.zeros(len(grams), dtype=np.int64)
    for column in grams.T:
        key = key * base + column
    return key


def _log10(p: np.ndarray) -> np.ndarray:
    """log10 of probabilities, with ARPA's -99 for 0."""
    return np.where(p > 0, np.log10(np.maximum(p, 1e-300)), -99.0)


def _decode(keys: np.ndarray, base: int, width: int) -> np.ndarray:
    """The inverse of :func:`_encode`: keys as rows of ``width`` token ids."""
    out = np.empty((len(keys), width), dtype=np.int64)
    for column in range(width - 1, -1, -1):
        keys, out[:, column] = np.divmod(keys, base)
    return out


def _describe(x) -> str:
    return (
        f"{type(x).__name__} of dtype {x.dtype}, shape {x.shape}"
        if isinstance(x, np.ndarray)
        else type(x).__name__
    )
