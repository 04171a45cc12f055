"""Rewards of samples, for curation (``--curate``) and the results' ``reward`` column.

A reward maps an array of samples (n, *data_shape), in the data's domain, to one finite float
per sample; higher is better. Built in, each fitted once per run on generation 1's real
training set (the first ``n_ini`` rows of the run's real pool: :mod:`madbench.loops.realdata`):

- ``confidence``: a classifier's probability of the intended label: the label a conditional
  model was asked for, else the most probable one (labelled data sets; the classifier is a
  multinomial logistic regression on the standardised, flattened samples, L2 penalty C = 1, so
  it is deterministic and needs no weights);
- ``class:C``: the same classifier's probability of class C (a target class, as Ferbach et
  al.'s "reward = one class" experiment);
- ``realism``: Kynkaanniemi et al.'s realism score against generation 1's real set in the run's
  feature space, as :func:`madbench.metrics.knn.knn_metrics` computes it (k the run's k; the
  squared ratio radius^2 / distance^2, so 1 is the edge of the real balls; +inf for a copy of a
  real sample; 0 where every radius is equal and none is below the median);
- ``module:function``: yours, imported, its output checked (shape (n,), finite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from madbench.adapters import lookup
from madbench.errors import AdapterError, InputError
from madbench.loops.options import REWARDS


@dataclass(frozen=True)
class RealReference:
    """What the built-in rewards and corrections are fitted on: generation 1's real training
    samples and labels (None for unlabelled data), the run's feature extractor and k, and
    the run's seed."""

    x: np.ndarray
    labels: np.ndarray | None
    extractor: object
    k: int
    seed: int
    name: str  # the data set's, for messages


def flat(samples: np.ndarray) -> np.ndarray:
    """Samples as float64 rows (n, prod(data_shape))."""
    return np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)


class Reward:
    """One reward (module docstring), fitted lazily on ``reference``; call it with samples and,
    for a conditional model's samples, the labels they were drawn for."""

    def __init__(self, spec: str, reference: RealReference):
        self.spec, self.reference = spec, reference
        self._classifier = self._real_features = self._function = None
        if spec == "confidence" or spec.startswith("class:"):
            if reference.labels is None:
                raise InputError(
                    f"reward {spec}: {reference.name} has no labels to train its classifier on; "
                    "use realism or a module:function reward"
                )
            classes = int(reference.labels.max()) + 1
            if spec.startswith("class:") and int(spec[6:]) >= classes:
                raise InputError(f"reward {spec}: {reference.name} has classes 0 to {classes - 1}")

    @property
    def is_code(self) -> bool:
        """Whether the reward is a user's ``module:function``, not a built-in."""
        return self.spec not in REWARDS and not self.spec.startswith("class:")

    def __call__(self, samples: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        if self.spec == "realism":
            values = self._realism(samples)
        elif self.spec == "confidence" or self.spec.startswith("class:"):
            probabilities = self.classifier().predict_proba(flat(samples))
            if self.spec.startswith("class:"):
                values = probabilities[:, int(self.spec[6:])]
            elif labels is not None:
                values = probabilities[np.arange(len(samples)), labels]
            else:
                values = probabilities.max(axis=1)
        else:
            values = check_rewards(self.function()(samples), len(samples), self.spec)
        return np.asarray(values, dtype=np.float64)

    def classifier(self) -> object:
        """The logistic regression of ``confidence`` and ``class:C``, fitted once."""
        if self._classifier is None:
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
            self._classifier = model.fit(flat(self.reference.x), self.reference.labels)
        return self._classifier

    def _realism(self, samples: np.ndarray) -> np.ndarray:
        from madbench.metrics.knn import knn_metrics

        ref = self.reference
        if self._real_features is None:
            self._real_features = np.asarray(ref.extractor(ref.x), dtype=np.float64)
        fake = np.asarray(ref.extractor(samples), dtype=np.float64)
        scores = knn_metrics(self._real_features, fake, k=ref.k, realism=True).realism
        return np.nan_to_num(scores, nan=0.0)  # NaN: no real ball below the median radius

    def function(self) -> Callable:
        if self._function is None:
            found = lookup(self.spec, what="reward", error=InputError)
            if not callable(found):
                raise InputError(
                    f"reward {self.spec!r} names a {type(found).__name__}, not a function"
                )
            self._function = found
        return self._function


def check_rewards(values: object, n: int, spec: str) -> np.ndarray:
    """``values`` as the contract asks (n finite floats), else AdapterError naming ``spec``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise AdapterError(
            f"reward {spec} returned {type(values).__name__}, not numbers: it must return one "
            "float per sample"
        ) from None
    if array.shape != (n,):
        raise AdapterError(
            f"reward {spec} returned shape {array.shape} for {n} samples; it must return one "
            f"float per sample, shape ({n},)"
        )
    if not np.isfinite(array).all():
        raise AdapterError(f"reward {spec} returned NaN or Inf for some samples")
    return array
