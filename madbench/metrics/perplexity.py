"""Perplexity of held-out real text under a generation's model: the collapse signal of
Shumailov et al. (Nature 2024), whose real-text perplexity distribution grows a tail as the
generations feed on themselves.

Input is what a text model's ``log_likelihood(documents)`` returns: per document its
natural-log probability and its number of predicted tokens (end marker included), an array
(n, 2). A document's perplexity is exp(-log p / tokens); the set's is the corpus perplexity
exp(-sum log p / sum tokens). The tail mass is the share of documents whose perplexity exceeds
a threshold: madbench takes the first generation's 95th percentile (the model fitted on real
data alone), so that the share starts at 5 % and grows as the model forgets the tails.
"""

from __future__ import annotations

import numpy as np

from madbench.errors import InputError

#: The quantiles of per-document perplexity a summary reports.
QUANTILES = (0.5, 0.9, 0.95)
#: The quantile of the first generation's perplexities that sets the tail threshold.
TAIL_QUANTILE = 0.95


def _checked(log_likelihood: np.ndarray) -> np.ndarray:
    ll = np.asarray(log_likelihood, dtype=np.float64)
    if ll.ndim != 2 or ll.shape[1] != 2 or len(ll) == 0:
        raise InputError(
            f"log-likelihoods must be an array (n, 2) of (log p, tokens) with n >= 1, got "
            f"shape {ll.shape}"
        )
    if not (np.isfinite(ll).all() and (ll[:, 1] >= 1).all() and (ll[:, 0] <= 0).all()):
        raise InputError(
            "log-likelihoods must be finite log probabilities <= 0, each over >= 1 token"
        )
    return ll


def document_perplexities(log_likelihood: np.ndarray) -> np.ndarray:
    """exp(-log p / tokens) of each document."""
    ll = _checked(log_likelihood)
    return np.exp(-ll[:, 0] / ll[:, 1])


def perplexity_summary(log_likelihood: np.ndarray, tail_threshold: float | None = None) -> dict:
    """``perplexity`` (corpus), ``perplexity_q50`` / ``_q90`` / ``_q95`` (per document) and,
    given a threshold, ``tail_mass`` (the share of documents above it)."""
    ll = _checked(log_likelihood)
    per_doc = document_perplexities(ll)
    out = {"perplexity": float(np.exp(-ll[:, 0].sum() / ll[:, 1].sum()))}
    for q in QUANTILES:
        out[f"perplexity_q{round(q * 100)}"] = float(np.quantile(per_doc, q))
    if tail_threshold is not None:
        out["tail_mass"] = float((per_doc > tail_threshold).mean())
    return out


def tail_threshold(log_likelihood: np.ndarray) -> float:
    """The :data:`TAIL_QUANTILE` of per-document perplexity: the threshold the later
    generations' tail mass is measured against."""
    return float(np.quantile(document_perplexities(log_likelihood), TAIL_QUANTILE))
