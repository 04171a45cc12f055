"""Log-likelihood of token sequences under a neural LM, in windows that fit its context.

A sequence (begin marker, tokens, end marker) no longer than the context is scored in one pass.
A longer one is scored in windows of ``context`` tokens that advance by half of it: every token
after the begin marker is scored once, the first window's from the start and each later
window's only past the tokens an earlier window scored, so that every token has at least half a
context before it (the usual strided perplexity). Windows of many documents go through the model
together in batches, right-padded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

#: Windows scored per forward pass.
BATCH = 256


def windows(seq: list[int], context: int) -> list[tuple[list[int], int]]:
    """(window of at most ``context`` ids, index in the window of the first token it scores)
    covering ``seq`` as the module docstring says."""
    if len(seq) <= context:
        return [(seq, 1)]
    stride, out, scored, start = max(context // 2, 1), [], 1, 0  # tokens before scored: done
    while scored < len(seq):
        window = seq[start : start + context]
        out.append((window, scored - start))
        scored = start + len(window)
        start += stride
    return out


def padded(
    rows: list[list[int]], pad: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``rows`` of token ids as one tensor (len(rows), longest), right-padded with ``pad``, and
    the mask of real tokens (1) and padding (0), as an attention mask is."""
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)], mask[i, : len(row)] = torch.tensor(row), 1
    return ids.to(device), mask.to(device)


def log_likelihoods(
    logits: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    sequences: list[list[int]],
    context: int,
    pad: int,
    device: torch.device,
) -> np.ndarray:
    """Each sequence's natural-log probability (every token after the first) and its number of
    scored tokens, as an array (n, 2). ``logits(ids, mask)``: next-token logits (batch, time,
    vocabulary) of right-padded ``ids`` with ``mask`` marking real tokens."""
    work = [(i, *w) for i, seq in enumerate(sequences) for w in windows(seq, context)]
    total = np.zeros(len(sequences))
    with torch.no_grad():
        for at in range(0, len(work), BATCH):
            chunk = work[at : at + BATCH]
            ids, mask = padded([window for _, window, _ in chunk], pad, device)
            logp = torch.log_softmax(logits(ids[:, :-1], mask[:, :-1]).double(), dim=-1)
            picked = logp.gather(2, ids[:, 1:, None])[:, :, 0].cpu().numpy()
            for row, (doc, window, first) in zip(picked, chunk, strict=True):
                total[doc] += row[first - 1 : len(window) - 1].sum()
    return np.stack([total, [len(seq) - 1 for seq in sequences]], axis=1)
