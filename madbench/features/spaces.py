"""Feature spaces: what a run's metrics compare, chosen per run (``--features``).

- ``identity``: the samples themselves (vectors; images flattened to their pixels);
- ``lenet``: the data set's shipped LeNet (grayscale image sets with ``feature_weights`` in
  their manifest: digits, fashion-mnist, and IDX sets after ``features train-lenet``);
- ``inception``: Inception-v3 pool3 through clean-fid (:mod:`madbench.features.extractors`);
- ``dinov2`` (ViT-L/14) or ``dinov2-vits14`` / ``-vitb14`` / ``-vitl14`` / ``-vitg14``: DINOv2
  class tokens through timm (:mod:`madbench.features.dinov2`); FID in this space is
  FD-DINOv2 (Stein et al., 2023);
- ``clip``: unit-norm CLIP ViT-L/14-336 image embeddings through transformers
  (:mod:`madbench.features.clip`), CMMD's space;
- ``tfidf``: text only, TF-IDF + truncated SVD fitted on the real training split
  (:mod:`madbench.text.features`);
- ``package.module:Class`` or the name of an entry point in the group ``madbench.features``:
  a class built with no arguments whose instances are called as ``extractor(samples) -> (n, d)``
  on the samples as the loop holds them (vectors (n, d); images float32 in [0, 1], (n, h, w)
  or (n, h, w, 3)). It may offer ``digest() -> str`` (e.g. its weights' sha256), which the run's
  provenance records.

The default (:func:`default_space`) is ``identity`` for vectors, ``lenet`` for grayscale image
sets that have one, ``inception`` for every other image set, and ``tfidf`` for text.
Pretrained networks find their weights by the rules of :mod:`madbench.features.weights`
(``weights`` argument, CLI ``--feature-weights``); an extractor's :func:`digest` goes into
the run's provenance.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from madbench.errors import FeatureError
from madbench.metrics.validate import as_features
from madbench.types import PathLike

if TYPE_CHECKING:
    from madbench.data.datasets import Dataset


ENTRY_POINT_GROUP = "madbench.features"
PRETRAINED = ("inception", "dinov2", "clip")
BUILT_IN = (
    "identity",
    "lenet",
    "inception",
    "dinov2",
    "dinov2-vits14",
    "dinov2-vitb14",
    "dinov2-vitl14",
    "dinov2-vitg14",
    "clip",
    "tfidf",
)


@runtime_checkable
class FeatureExtractor(Protocol):
    """What a feature space offers: a name, and features (n, d) of n samples."""

    name: str

    def __call__(self, samples: np.ndarray) -> np.ndarray: ...


def default_space(dataset: Dataset) -> str:
    """``identity`` for vectors, ``tfidf`` for text, ``lenet`` for grayscale images with LeNet
    weights, else ``inception``."""
    if dataset.kind == "vector":
        return "identity"
    if dataset.kind == "text":
        return "tfidf"
    grayscale = len(dataset.shape) == 2
    return "lenet" if grayscale and dataset.manifest.feature_weights else "inception"


class _Custom:
    """A user's extractor, its output checked: one finite feature row per sample."""

    def __init__(self, spec: str, extractor):
        self.name, self._extractor = spec, extractor

    def __call__(self, samples) -> np.ndarray:
        try:
            out = self._extractor(samples)
        except Exception as exc:
            raise FeatureError(f"feature extractor {self.name} raised {exc!r}") from None
        features = as_features(out, f"features from {self.name}")
        if len(features) != len(samples):
            raise FeatureError(
                f"feature extractor {self.name} returned {len(features)} rows for "
                f"{len(samples)} samples"
            )
        return features

    def digest(self) -> str | None:
        digest = getattr(self._extractor, "digest", None)
        return str(digest()) if callable(digest) else None


def _custom(spec: str) -> _Custom:
    from madbench.adapters import lookup

    try:
        found = lookup(spec, group=ENTRY_POINT_GROUP, what="feature extractor", error=FeatureError)
    except FeatureError:
        if ":" in spec:
            raise
        close = difflib.get_close_matches(spec, BUILT_IN, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise FeatureError(
            f"unknown feature space {spec!r}; {hint}choose one of {', '.join(BUILT_IN)}, or "
            "give package.module:Class"
        ) from None
    if not isinstance(found, type):
        raise FeatureError(f"--features {spec!r} names a {type(found).__name__}, not a class")
    try:
        extractor = found()
    except Exception as exc:
        raise FeatureError(f"feature extractor {spec!r} cannot be built: {exc!r}") from None
    if not callable(extractor):
        raise FeatureError(f"feature extractor {spec!r}: its instances are not callable")
    return _Custom(spec, extractor)


def is_builtin(spec: str | None) -> bool:
    """Whether ``spec`` names one of madbench's own feature spaces (None: the data set's
    default), not code from elsewhere (a ``module:Class``, an entry point)."""
    builtin = ("identity", "lenet", "tfidf", *PRETRAINED)
    return spec is None or spec in builtin or spec.startswith(("dinov2-", "hf-lm:"))


def feature_space(
    spec: str | None,
    dataset: Dataset,
    *,
    weights: PathLike | None = None,
    device: str | None = None,
) -> FeatureExtractor:
    """The extractor ``spec`` names (None: :func:`default_space`) for ``dataset``; ``weights``
    overrides where a pretrained network's weights file is."""
    from madbench.features.extractors import IdentityFeatures

    spec = spec or default_space(dataset)
    text_space = spec == "tfidf" or spec.startswith("hf-lm:")
    if text_space and dataset.kind != "text":
        raise FeatureError(f"{dataset.name} holds {dataset.kind} data: --features {spec} is text's")
    if dataset.kind == "text" and not text_space and is_builtin(spec):
        raise FeatureError(
            f"{dataset.name} holds text: --features {spec} is for vectors or images; choose "
            "tfidf, hf-lm:NAME_OR_PATH or a module:Class"
        )
    if spec == "tfidf":
        from madbench.text.features import TfidfSvdFeatures

        return TfidfSvdFeatures(dataset.split("train").x)
    if spec.startswith("hf-lm:"):
        from madbench.text.lm_features import PREFIX, HiddenStateFeatures

        return HiddenStateFeatures(spec[len(PREFIX) :], device=device)
    if spec == "identity":
        return IdentityFeatures()
    if spec == "lenet":
        if dataset.kind != "image" or len(dataset.shape) != 2:
            raise FeatureError(
                f"{dataset.name}: LeNet features need grayscale images; choose --features "
                "inception, dinov2, clip, identity or module:Class"
            )
        from madbench.features.lenet import lenet_for

        return lenet_for(dataset)
    if spec in PRETRAINED or spec.startswith("dinov2-"):
        if dataset.kind != "image":
            raise FeatureError(f"{dataset.name} holds vectors: --features {spec} needs images")
        return pretrained(spec, weights=weights, device=device)
    return _custom(spec)


def pretrained(
    spec: str = "inception", *, weights: PathLike | None = None, device: str | None = None
) -> FeatureExtractor:
    """The pretrained image network ``spec`` (``inception``, ``dinov2``, ``dinov2-<variant>``,
    ``clip``), with ``folder()`` for image folders and a call for image arrays."""
    from madbench.features.extractors import InceptionFeatures

    if spec == "inception":
        return InceptionFeatures(weights, device=device)
    if spec == "dinov2" or spec.startswith("dinov2-"):
        from madbench.features.dinov2 import DEFAULT_VARIANT, DinoV2Features

        return DinoV2Features(spec.partition("-")[2] or DEFAULT_VARIANT, weights, device=device)
    if spec == "clip":
        from madbench.features.clip import ClipFeatures

        return ClipFeatures(weights, device=device)
    raise FeatureError(
        f"unknown image feature network {spec!r}; choose inception, dinov2, dinov2-<variant> "
        "or clip"
    )


def probe(extractor: FeatureExtractor, samples: np.ndarray) -> None:
    """Run ``extractor`` on a few samples and check what it returns, so that a missing weights
    file or a broken network stops a run before anything is written."""
    as_features(extractor(samples), f"features from {extractor.name}")


def digest(extractor: FeatureExtractor) -> str | None:
    """What identifies an extractor's weights: a file's sha256, LeNet's parameter digest, or
    None (identity; custom extractors without ``digest()``)."""
    method = getattr(extractor, "digest", None)
    return method() if callable(method) else None
