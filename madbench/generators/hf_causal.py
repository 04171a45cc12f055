"""``hf-causal``: any Hugging Face causal LM (``transformers.AutoModelForCausalLM``), fine-tuned
on each generation's documents, as Shumailov et al. (Nature 2024) fine-tuned OPT-125m.

``model`` is a hub name (``facebook/opt-125m``, ``gpt2``) or a local folder written by
``save_pretrained``, holding the model and its tokenizer. Every :meth:`HFCausalLM.fit` starts
again from those weights (each generation is the pretrained model fine-tuned on the previous
generation's text, Shumailov et al.'s setup) and trains ``steps`` batches of ``batch_size``
documents drawn with replacement (seeded), each document as the tokenizer's ids framed by its
begin marker (the end marker where it has none, as GPT-2) and its end marker, cut to
``context`` tokens, with AdamW at learning rate ``lr``.

Lambda is the sampling temperature and ``top_p`` the nucleus, as for ``transformer``: documents
are sampled from the begin marker until the end marker or ``context - 1`` new tokens.
:meth:`HFCausalLM.log_likelihood` scores the tokenizer's tokens in strided windows
(:mod:`madbench.text.scoring`). Offline, a hub name that is not in the local Hugging Face cache
is an error that says to pass a local folder; nothing is downloaded unless ``transformers``
itself can.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from madbench.data.text import documents, is_text
from madbench.devices import pick_device
from madbench.digests import folder_sha256
from madbench.errors import DataFileError, InputError
from madbench.generators import _checks as checks
from madbench.generators._flat import check_bias
from madbench.generators._torch import progress_bar, seeded
from madbench.text.scoring import log_likelihoods, padded
from madbench.text.tokenizers import HFTokenizer
from madbench.types import PathLike

#: Documents sampled per call of ``generate``.
BATCH = 64


class HFCausalLM:
    """A Hugging Face causal LM fine-tuned per generation (module docstring)."""

    data_kinds = ("text",)

    def __init__(
        self,
        model: str,
        steps: int = 200,
        batch_size: int = 8,
        lr: float = 5e-5,
        context: int = 128,
        top_p: float = 1.0,
        device: str | None = None,
    ):
        if not isinstance(model, str) or not model:
            raise InputError(f"hf-causal: model must be a hub name or a folder, got {model!r}")
        self.source = model
        self.steps = checks.integer(steps, "steps", "hf-causal")
        self.batch_size = checks.integer(batch_size, "batch_size", "hf-causal")
        self.lr = checks.number(lr, "lr", "hf-causal")
        self.context = checks.integer(context, "context", "hf-causal", minimum=2)
        self.top_p = checks.number(top_p, "top_p", "hf-causal", high=1.0 + 1e-12)
        self._device, self.device = device, pick_device(device)
        self.tokens = HFTokenizer(model)
        self.tokenizer = self.tokens.hf
        eos = self.tokenizer.eos_token_id
        if eos is None:
            raise InputError(f"hf-causal: the tokenizer of {model!r} has no end-of-text token")
        bos = self.tokenizer.bos_token_id
        self.bos, self.eos = (eos if bos is None else bos), eos
        self.pad = eos if self.tokenizer.pad_token_id is None else self.tokenizer.pad_token_id
        self.model = None
        self.losses_: list[float] = []

    def get_params(self, deep: bool = False) -> dict:
        return {
            "model": self.source,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "context": self.context,
            "top_p": self.top_p,
            "device": self._device,
        }

    def _pretrained(self, source: str | PathLike):
        try:
            from transformers import AutoModelForCausalLM
        except ImportError:
            raise InputError("hf-causal needs transformers: pip install 'madbench[text]'") from None
        try:
            return AutoModelForCausalLM.from_pretrained(source).to(self.device)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"hf-causal: cannot load {str(source)!r} ({str(exc).splitlines()[0][:160]}); "
                "offline, pass a local folder written by save_pretrained"
            ) from None

    def _sequences(self, X) -> list[list[int]]:
        return [
            [self.bos, *self.tokenizer(str(doc), add_special_tokens=False)["input_ids"], self.eos]
            for doc in X
        ]

    def fit(self, X: np.ndarray, *, seed: int = 0, progress: bool | None = None) -> HFCausalLM:
        """Fine-tune the pretrained weights on documents ``X`` (a 1-D str array)."""
        if not is_text(X) or len(X) < 1:
            raise InputError(f"hf-causal: needs text (a 1-D array of documents), got {X!r:.80}")
        rows = [row[: self.context] for row in self._sequences(X)]
        with seeded(seed, self.device):
            self.model = self._pretrained(self.source)
            self.model.train()
            optimiser = torch.optim.AdamW(self.model.parameters(), lr=self.lr)
            draw = np.random.default_rng(seed)
            self.losses_ = []
            for _ in progress_bar(range(self.steps), "fine-tune", progress):
                batch = [rows[i] for i in draw.integers(len(rows), size=self.batch_size)]
                ids, mask = padded(batch, self.pad, self.device)
                labels = ids.masked_fill(mask == 0, -100)
                loss = self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                self.losses_.append(float(loss.detach()))
        self.model.eval()
        return self

    def _check_fitted(self) -> None:
        if self.model is None:
            raise InputError("hf-causal: call fit() before sample() or scoring")

    def log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """Each document's natural-log probability and its token count (the end marker
        included): an array (n, 2)."""
        self._check_fitted()
        if not is_text(X) or len(X) < 1:
            raise InputError(f"hf-causal: scores documents (a 1-D str array), got {X!r:.80}")
        return log_likelihoods(
            lambda ids, mask: self.model(input_ids=ids, attention_mask=mask).logits,
            self._sequences(X),
            self.context,
            self.pad,
            self.device,
        )

    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        """``n`` documents at temperature ``bias`` (lambda) with nucleus ``top_p``."""
        self._check_fitted()
        temperature = check_bias(bias)
        out: list[str] = []
        with seeded(seed, self.device), torch.no_grad():
            for at in range(0, n, BATCH):
                size = min(BATCH, n - at)
                start = torch.full((size, 1), self.bos, dtype=torch.long, device=self.device)
                drawn = self.model.generate(
                    input_ids=start,
                    attention_mask=torch.ones_like(start),
                    do_sample=True,
                    temperature=temperature,
                    top_p=self.top_p,
                    top_k=0,
                    max_new_tokens=self.context - 1,
                    eos_token_id=self.eos,
                    pad_token_id=self.pad,
                )
                for row in drawn[:, 1:].cpu().numpy():
                    end = np.flatnonzero(row == self.eos)
                    ids = row[: end[0] if len(end) else len(row)].tolist()
                    out.append(self.tokenizer.decode(ids, skip_special_tokens=True))
        return documents(out)

    def save(self, directory: PathLike) -> None:
        """The fine-tuned weights as safetensors (``save_pretrained``), never pickled."""
        self._check_fitted()
        self.model.save_pretrained(os.path.join(directory, "hf"), safe_serialization=True)

    def load(self, directory: PathLike) -> HFCausalLM:
        folder = Path(directory) / "hf"
        if not (folder / "model.safetensors").is_file():
            raise DataFileError(f"hf-causal: no safetensors checkpoint in {folder}")
        self.model = self._pretrained(folder)
        self.model.eval()
        return self

    def source_digest(self) -> str:
        """What the starting weights are, for the run's provenance and setting hash: the sha256
        of a local folder's files, or the hub revision (commit) the name resolves to."""
        local = Path(self.source)
        if local.is_dir():
            return f"sha256:{folder_sha256(local)}"
        try:
            from transformers import AutoConfig

            revision = AutoConfig.from_pretrained(self.source)._commit_hash
        except (OSError, ValueError) as exc:
            raise InputError(
                f"hf-causal: cannot resolve {self.source!r} ({str(exc).splitlines()[0][:160]}); "
                "offline, pass a local folder written by save_pretrained"
            ) from None
        return f"revision:{revision}"

    def meta(self) -> dict:
        local = Path(self.source)
        revision = None
        if self.model is not None:
            revision = getattr(self.model.config, "_commit_hash", None)
        return {
            "model": "hf-causal",
            "source": self.source,
            "source_sha256": folder_sha256(local) if local.is_dir() else None,
            "revision": revision,
            "tokenizer": self.tokens.name,
            "tokenizer_sha256": self.tokens.digest(),
            "steps": self.steps,
            "context": self.context,
            "top_p": self.top_p,
            "final_loss": self.losses_[-1] if self.losses_ else None,
            "bias": "sampling temperature",
        }
