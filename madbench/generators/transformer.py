"""``transformer``: a small decoder-only (GPT-style) transformer language model, for text.

Token and learned position embeddings, ``layers`` pre-norm blocks (causal multi-head
self-attention, then a 4x GELU MLP, each with a residual connection), a final layer norm and an
output layer tied to the token embedding. Documents are tokenized (``tokenizer``: ``char`` by
default, ``word``, or ``hf:NAME_OR_PATH``, :mod:`madbench.text.tokenizers`) over the tokens of
the training set plus ``<s>``, ``</s>`` and ``<unk>``, framed by a begin and an end marker, and
cut to ``context`` tokens. Training minimises the mean cross-entropy of every next token
(AdamW, ``steps`` batches of ``batch_size`` documents drawn with replacement, seeded).

Presets (``preset=``): ``tiny`` (2 layers, width 64, 4 heads, context 192, 300 steps: seconds
on two CPU cores, sized for fortunes' documents of at most 160 characters) and ``gpt2-small``
(GPT-2 small's shape: 12 layers, width 768, 12 heads, context 1024; 5000 steps, for a GPU).
Any field can be overridden (``layers``, ``width``, ``heads``, ``context``, ``steps``,
``batch_size``, ``lr``, ``tokenizer``, ``top_p``).

Lambda is the sampling temperature: a token is drawn from softmax(logits / lambda) over the
tokens a document may hold (never ``<s>`` or ``<unk>``), restricted to the smallest set whose
probability reaches ``top_p`` (nucleus sampling; 1, the default, keeps every token). Sampling
is batched with a key/value cache; a document ends at ``</s>`` or after ``context - 1``
tokens. :meth:`TransformerLM.log_likelihood` scores documents longer than the context in
strided windows (:mod:`madbench.text.scoring`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from madbench.data.text import documents, is_text
from madbench.errors import InputError
from madbench.generators._flat import check_bias
from madbench.generators._torch import TorchGenerator, progress_bar, seeded
from madbench.text.scoring import log_likelihoods, padded
from madbench.text.tokenizers import tokenizer as get_tokenizer
from madbench.types import PathLike

BOS, EOS, UNK = 0, 1, 2
SPECIAL = ("<s>", "</s>", "<unk>")
#: Documents sampled or scored per forward pass.
BATCH = 256

PRESETS = {
    "tiny": {
        **{"layers": 2, "width": 64, "heads": 4, "context": 192},
        **{"steps": 300, "batch_size": 32, "lr": 3e-3, "tokenizer": "char", "top_p": 1.0},
    },
    "gpt2-small": {
        **{"layers": 12, "width": 768, "heads": 12, "context": 1024},
        **{"steps": 5000, "batch_size": 16, "lr": 3e-4, "tokenizer": "char", "top_p": 1.0},
    },
}


class _Block(nn.Module):
    """Pre-norm causal self-attention and MLP; ``cache`` (``{"size": context}`` at first)
    holds the keys and values so far."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        past = cache is not None and "k" in cache
        if cache is not None:  # keys and values kept in place, the full context allocated once
            if not past:
                shape = (b, self.heads, cache["size"], c // self.heads)
                cache["k"], cache["v"], cache["length"] = k.new_empty(shape), v.new_empty(shape), 0
            end = cache["length"] + t
            cache["k"][:, :, cache["length"] : end], cache["v"][:, :, cache["length"] : end] = k, v
            k, v, cache["length"] = cache["k"][:, :, :end], cache["v"][:, :, :end], end
        if past:  # one new token attends to every earlier one: no mask needed
            weights = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(q.shape[-1]), dim=-1)
            y = weights @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp(self.norm2(x))


class _Decoder(nn.Module):
    def __init__(self, vocabulary: int, layers: int, width: int, heads: int, context: int):
        super().__init__()
        self.embed, self.position = nn.Embedding(vocabulary, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(_Block(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        for module in self.modules():  # GPT-2's initialisation: small weights, zero biases
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, ids: torch.Tensor, start: int = 0, caches: list | None = None):
        """Next-token logits at every position of ``ids`` (batch, time); ``start``: the
        position of its first column (after cached ones)."""
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.embed(ids) + self.position(positions)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.norm(x) @ self.embed.weight.T


class TransformerLM(TorchGenerator):
    """Decoder-only transformer LM; see the module docstring for presets and lambda."""

    name, presets, bias_meaning = "transformer", PRESETS, "sampling temperature"
    data_kinds = ("text",)

    def __init__(self, preset: str = "tiny", device: str | None = None, **overrides):
        super().__init__(preset, device, **overrides)
        s = self.settings
        if s["width"] % s["heads"]:
            raise InputError(
                f"transformer: width {s['width']} must be divisible by heads {s['heads']}"
            )
        if not 0 < s["top_p"] <= 1:
            raise InputError(f"transformer: top_p must be in (0, 1], got {s['top_p']!r}")
        if s["context"] < 2:
            raise InputError(f"transformer: context must be at least 2, got {s['context']}")
        self.tokenizer_ = get_tokenizer(s["tokenizer"])
        self.vocab_: list[str] | None = None
        self.model = None
        self.losses_: list[float] = []

    # -- data ---------------------------------------------------------------------------------
    def _sequences(self, X) -> list[list[int]]:
        """Each document as token ids framed by ``<s>`` and ``</s>`` (unseen tokens:
        ``<unk>``)."""
        index = {t: i for i, t in enumerate(self.vocab_)}
        return [
            [BOS, *(index.get(t, UNK) for t in self.tokenizer_.tokenize(str(doc))), EOS]
            for doc in X
        ]

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, *, seed: int = 0, progress: bool | None = None) -> TransformerLM:
        """Train a new model on documents ``X`` (a 1-D str array) from seed ``seed``."""
        if not is_text(X) or len(X) < 1:
            raise InputError(f"transformer: needs text (a 1-D array of documents), got {X!r:.80}")
        tokens = {t for doc in X for t in self.tokenizer_.tokenize(str(doc))}
        self.vocab_ = [*SPECIAL, *sorted(tokens - set(SPECIAL))]
        s = self.settings
        rows = [row[: s["context"]] for row in self._sequences(X)]
        with seeded(seed, self.device):
            self.model = _Decoder(
                len(self.vocab_), s["layers"], s["width"], s["heads"], s["context"]
            ).to(self.device)
            optimiser = torch.optim.AdamW(self.model.parameters(), lr=s["lr"])
            draw = np.random.default_rng(seed)
            self.losses_ = []
            self.model.train()
            for _ in progress_bar(range(s["steps"]), "train transformer", progress):
                batch = [rows[i] for i in draw.integers(len(rows), size=s["batch_size"])]
                ids, mask = padded(batch, EOS, self.device)
                mask = mask.bool()
                logits = self.model(ids[:, :-1])
                loss = F.cross_entropy(logits[mask[:, 1:]], ids[:, 1:][mask[:, 1:]])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                self.losses_.append(float(loss.detach()))
        self.model.eval()
        return self

    def _check_fitted(self) -> None:
        if self.model is None:
            raise InputError("transformer: call fit() before sample() or scoring")

    # -- scoring ------------------------------------------------------------------------------
    def log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """Each document's natural-log probability and its token count (the end marker
        included): an array (n, 2). Tokens never seen in training are scored as ``<unk>``."""
        self._check_fitted()
        if not is_text(X) or len(X) < 1:
            raise InputError(f"transformer: scores documents (a 1-D str array), got {X!r:.80}")
        return log_likelihoods(
            lambda ids, mask: self.model(ids),
            self._sequences(X),
            self.settings["context"],
            EOS,
            self.device,
        )

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        """``n`` documents drawn at temperature ``bias`` (lambda) with nucleus ``top_p``, as a
        1-D str array."""
        self._check_fitted()
        temperature = check_bias(bias)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        out: list[str] = []
        with torch.no_grad():
            for at in range(0, n, BATCH):
                rows = self._draw(min(BATCH, n - at), temperature, generator)
                out += [self.tokenizer_.detokenize([self.vocab_[i] for i in row]) for row in rows]
        return documents(out)

    def _draw(self, n: int, temperature: float, generator: torch.Generator) -> list[list[int]]:
        """Token ids of ``n`` documents (end marker excluded), one token per step for all."""
        caches = [{"size": self.settings["context"]} for _ in self.model.blocks]
        banned = torch.zeros(len(self.vocab_), dtype=torch.bool, device=self.device)
        banned[[BOS, UNK]] = True
        ids = torch.full((n, 1), BOS, dtype=torch.long, device=self.device)
        drawn = []
        done = torch.zeros(n, dtype=torch.bool, device=self.device)
        for step in range(self.settings["context"] - 1):
            logits = self.model(ids, start=step, caches=caches)[:, -1].double()
            probs = torch.softmax(logits.masked_fill(banned, -math.inf) / temperature, dim=-1)
            ids = torch.multinomial(_nucleus(probs, self.settings["top_p"]), 1, generator=generator)
            drawn.append(ids[:, 0])
            done |= ids[:, 0] == EOS
            if done.all():
                break
        tokens = torch.stack(drawn, dim=1).cpu().numpy()
        rows = []
        for row in tokens:
            end = np.flatnonzero(row == EOS)
            rows.append(row[: end[0] if len(end) else len(row)].tolist())
        return rows

    # -- checkpoints --------------------------------------------------------------------------
    def save(self, directory: PathLike) -> None:
        self._check_fitted()
        self._write_checkpoint(directory, state=self.model.state_dict(), vocab=self.vocab_)

    def load(self, directory: PathLike) -> TransformerLM:
        saved = self._read_checkpoint(directory)
        s = self.settings
        self.tokenizer_ = get_tokenizer(s["tokenizer"])
        self.vocab_ = [str(t) for t in saved["vocab"]]
        self.model = _Decoder(len(self.vocab_), s["layers"], s["width"], s["heads"], s["context"])
        self.model.to(self.device).load_state_dict(saved["state"])
        self.model.eval()
        return self

    def meta(self) -> dict:
        return {
            **super().meta(),
            "tokenizer_sha256": self.tokenizer_.digest(),
            "vocabulary": None if self.vocab_ is None else len(self.vocab_),
            "final_loss": self.losses_[-1] if self.losses_ else None,
        }


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """``probs`` (rows) restricted to each row's smallest set of tokens whose probability
    reaches ``top_p``, renormalised; top_p = 1 keeps them all."""
    if top_p >= 1:
        return probs
    ordered, order = probs.sort(dim=-1, descending=True)
    before = ordered.cumsum(dim=-1) - ordered  # the mass of the tokens ranked above each
    ordered[before >= top_p] = 0.0
    kept = torch.zeros_like(probs).scatter(-1, order, ordered)
    return kept / kept.sum(dim=-1, keepdim=True)
