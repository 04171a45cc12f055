"""``hf-lm:NAME_OR_PATH``: a frozen language model's mean hidden states as a text feature space.

A document becomes the mean, over its tokens, of the last hidden layer of a Hugging Face
model (``transformers.AutoModel``: a hub name such as ``gpt2``, or a local folder written by
``save_pretrained``, with its tokenizer), cut to ``max_tokens`` tokens. Padding never enters
the mean, so a document's features do not depend on the documents batched with it. The model
is frozen (evaluation mode, no gradients) and runs in float32; features are float64. MAUVE's
authors use a GPT-2's hidden states the same way (the last token's, where this takes the mean).

The digest is the sha256 of the local folder's files or the hub revision the name resolved to,
so runs scored with other weights are never pooled and ``--resume`` refuses them. Offline, a
hub name not in the local cache is an error that says to pass a local folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from madbench.data.text import is_text
from madbench.devices import pick_device
from madbench.digests import folder_sha256
from madbench.errors import FeatureError

#: The spec's prefix: ``hf-lm:gpt2``, ``hf-lm:/path/to/folder``.
PREFIX = "hf-lm:"
#: Documents per forward pass.
BATCH = 32


class HiddenStateFeatures:
    """Mean last-layer hidden states of the frozen model ``source`` (module docstring)."""

    def __init__(self, source: str, max_tokens: int = 512, device: str | None = None):
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise FeatureError(
                "hf-lm features need transformers: pip install 'madbench[text]'"
            ) from None
        self.source, self.device = source, pick_device(device)
        self.name = f"{PREFIX}{source}"
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            self.model = AutoModel.from_pretrained(source).to(self.device).float().eval()
        except (OSError, ValueError) as exc:
            raise FeatureError(
                f"{self.name}: cannot load {source!r} ({str(exc).splitlines()[0][:160]}); "
                "offline, pass a local folder written by save_pretrained"
            ) from None
        limit = getattr(self.model.config, "max_position_embeddings", None)
        self.max_tokens = min(max_tokens, limit or max_tokens)
        self.pad = self.tokenizer.pad_token_id
        if self.pad is None:
            self.pad = self.tokenizer.eos_token_id or 0
        local = Path(source)
        self._digest = (
            f"sha256:{folder_sha256(local)}"
            if local.is_dir()
            else f"revision:{getattr(self.model.config, '_commit_hash', None)}"
        )

    def __call__(self, docs: np.ndarray) -> np.ndarray:
        if not is_text(docs):
            raise FeatureError(f"{self.name} features take documents: a 1-D array of str")
        out = []
        for start in range(0, len(docs), BATCH):
            rows = [
                self.tokenizer(str(doc), add_special_tokens=False)["input_ids"][: self.max_tokens]
                or [self.pad]  # an empty document: one padding token, so it has a mean
                for doc in docs[start : start + BATCH]
            ]
            width = max(map(len, rows))
            ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, row in enumerate(rows):
                ids[i, : len(row)], mask[i, : len(row)] = torch.tensor(row), 1
            ids, mask = ids.to(self.device), mask.to(self.device)
            with torch.no_grad():
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            out.append(((hidden * weights).sum(1) / weights.sum(1)).double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.hidden_size))

    def digest(self) -> str:
        return self._digest
