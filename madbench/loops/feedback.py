"""What happens to a generation's synthetic draw before it is fed back: curation, selection,
correction (the protocol's ``curate``, ``select``, ``correct``: :mod:`madbench.loops.options`).

Generation t draws :meth:`Feedback.draws` samples (``n_synth`` when every option is off), in
the data's domain; then, in this order,

1. curation keeps the draws its reward prefers (:func:`madbench.loops.choice.bradley_terry`,
   :func:`~madbench.loops.choice.top`), as many as selection takes;
2. selection keeps ``n_synth`` of those (:func:`~madbench.loops.choice.k_center`,
   :func:`~madbench.loops.choice.uniform`, :func:`~madbench.loops.choice.threshold`: fewer where
   fewer pass);
3. correction replaces a share ``strength`` of the kept samples (``round(strength n)`` of them,
   a seeded uniform choice) by their correction, brought into the data's domain again.

Each step draws from its own seed, (run seed, t, purpose) (:mod:`madbench.loops.config`), so a
resumed run keeps exactly the samples an uninterrupted one keeps, and a curated run draws its
candidates from the same seed as the plain run it is paired with. The generation keeps
``kept_index.npy`` (which draws were kept) and ``corrected.npy`` (which kept samples were
corrected) beside ``samples.npy`` (what the next generation trains on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from madbench.adapters import lookup
from madbench.errors import AdapterError, InputError
from madbench.loops import choice
from madbench.loops.config import CORRECT, CURATE, SELECT, derived_seed
from madbench.loops.options import parse_option
from madbench.loops.rewards import RealReference, Reward, flat

#: The arrays a generation with feedback keeps (indices, int64).
KEPT_ARRAY, CORRECTED_ARRAY = "kept_index", "corrected"


@dataclass(frozen=True)
class Fed:
    """What generation t feeds back: the samples and their labels (conditional models), which
    draws they are (``kept``) and which of them were corrected (``corrected``)."""

    samples: np.ndarray
    labels: np.ndarray | None
    kept: np.ndarray
    corrected: np.ndarray


def nearest_rows(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row of ``x``, the index of its nearest row of ``rows`` (Euclidean; ties: the
    first), in blocks of 1024 rows."""
    squared = (rows * rows).sum(axis=1)
    out = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), 1024):
        block = x[start : start + 1024]
        out[start : start + 1024] = np.argmin(squared[None, :] - 2.0 * block @ rows.T, axis=1)
    return out


class Feedback:
    """The protocol's feedback steps for one run (module docstring). ``reference``: generation
    1's real set, which rewards and corrections are fitted on; ``domain``: the data's domain
    (None for vectors); ``space``: builds a named feature space (selection's ``features=``)."""

    def __init__(self, protocol, reference: RealReference, domain, space, reward: str = ""):
        self.p, self.reference, self.domain, self.space = protocol, reference, domain, space
        self.curate = parse_option("curate", protocol.curate) if protocol.curate else None
        self.select = parse_option("select", protocol.select) if protocol.select else None
        self.correct = parse_option("correct", protocol.correct) if protocol.correct else None
        curation = self.curate.options["reward"] if self.curate else ""
        self._curation_reward = Reward(curation, reference) if curation else None
        # the reward column's: scoring's, else the curation's (one classifier fitted, not two)
        self.reward = self._curation_reward
        if reward and reward != curation:
            self.reward = Reward(reward, reference)
        self._centres = self._correction = None

    def resolve(self) -> None:
        """Import every function the options name and try each on four real samples: a wrong
        name or a broken contract fails here, before the run directory exists."""
        probe = self.reference.x[:4]
        for reward in {self.reward, self._curation_reward} - {None}:
            if reward.is_code:
                reward(probe)
        if self.correct is not None and self.correct.method == "code":
            self._by_code(probe)

    @property
    def active(self) -> bool:
        return bool(self.curate or self.select or self.correct)

    def _selected_from(self, n: int) -> int:
        """How many samples selection chooses ``n`` from."""
        return math.ceil(n / self.select.options["share"]) if self.select else n

    def draws(self, n: int) -> int:
        """How many samples generation t draws to feed back ``n`` (``n_synth``; copying's
        reference draw, which passes through the same steps, from seeds of its own)."""
        m = self._selected_from(n)
        if self.curate is None:
            return m
        if self.curate.method == "bt":
            return m * self.curate.options["k"]
        return math.ceil(m / self.curate.options["keep"])

    def apply(
        self, t: int, draws: np.ndarray, labels: np.ndarray | None, n: int, reference: bool = False
    ) -> Fed:
        """Generation t's ``n`` fed-back samples from its :meth:`draws` ``draws`` (in the
        data's domain); ``reference``: copying's reference draw (other seeds)."""
        rng = lambda purpose: self._rng(t, purpose, reference)  # noqa: E731
        kept = np.arange(len(draws))
        if self.curate is not None:
            kept = kept[self._curated(rng(CURATE), draws, labels, self._selected_from(n))]
        if self.select is not None:
            kept = kept[self._selected(rng(SELECT), draws[kept], n)]
            if not len(kept):
                raise AdapterError(
                    f"--select {self.p.select} kept none of generation {t}'s "
                    f"{self._selected_from(n)} draws, leaving the next generation nothing to "
                    "train on: lower the threshold"
                )
        samples = draws[kept]
        fed_labels = None if labels is None else labels[kept]
        corrected = np.zeros(0, dtype=np.int64)
        if self.correct is not None:
            samples, corrected = self._corrected(rng(CORRECT), samples, fed_labels)
        return Fed(samples, fed_labels, kept.astype(np.int64), corrected)

    def _rng(self, t: int, purpose: int, reference: bool) -> np.random.Generator:
        """The generator of one step: seeded by (run seed, t, purpose); the reference draw's
        by that seed and 1."""
        seed = derived_seed(self.p.seed, t, purpose)
        return np.random.default_rng([seed, 1] if reference else seed)

    def mean_reward(self, samples: np.ndarray, labels: np.ndarray | None) -> dict:
        """The ``reward`` cell of the generation scoring ``samples`` (none without a reward)."""
        if self.reward is None:
            return {}
        return {"reward": float(np.mean(self.reward(samples, labels)))}

    # -- the steps ---------------------------------------------------------------------------
    def _curated(self, rng, draws: np.ndarray, labels, n: int) -> np.ndarray:
        rewards = self._curation_reward(draws, labels)
        options = self.curate.options
        if self.curate.method == "bt":
            return choice.bradley_terry(rewards, options["k"], options["beta"], rng)
        return choice.top(rewards, n)

    def _selected(self, rng, part: np.ndarray, n: int) -> np.ndarray:
        method = self.select.method
        if method == "random":
            return choice.uniform(len(part), n, rng)
        extractor = self.space(self.select.options.get("features"))
        if method == "kcenter":
            return choice.k_center(np.asarray(extractor(part)), n, rng)
        from madbench.metrics.knn import knn_metrics

        real = np.asarray(extractor(self.reference.x), dtype=np.float64)
        fake = np.asarray(extractor(part), dtype=np.float64)
        realism = knn_metrics(real, fake, k=self.reference.k, realism=True).realism
        return choice.threshold(realism, self.select.options["realism"], n, rng)

    def _corrected(self, rng, samples: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
        count = round(self.correct.options["strength"] * len(samples))
        which = np.sort(rng.permutation(len(samples))[:count]).astype(np.int64)
        if count == 0:
            return samples, which
        part = samples[which]
        if self.correct.method == "code":
            fixed = self._by_code(part)
        elif self.correct.method == "nearest":
            ref = flat(self.reference.x)
            fixed = ref[nearest_rows(flat(part), ref)].reshape(part.shape)
        else:
            fixed = self._snapped(part, None if labels is None else labels[which])
        if self.domain is not None:
            fixed, _ = self.domain.apply(fixed)
        out = samples.astype(np.result_type(samples, fixed), copy=True)
        out[which] = fixed
        return out, which

    def _by_code(self, part: np.ndarray) -> np.ndarray:
        spec = self.correct.code
        if self._correction is None:
            found = lookup(spec, what="correction", error=InputError)
            if not callable(found):
                raise InputError(
                    f"correction {spec!r} names a {type(found).__name__}, not a function"
                )
            self._correction = found
        function = self._correction
        out = function(part.copy())
        try:
            fixed = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise AdapterError(
                f"correction {spec} returned {type(out).__name__}, not an array"
            ) from None
        if fixed.shape != part.shape or not np.isfinite(fixed).all():
            raise AdapterError(
                f"correction {spec} returned shape {fixed.shape} for samples {part.shape}, or "
                "NaN/Inf: it must return finite samples of the same shape"
            )
        return fixed

    def centres(self) -> tuple[np.ndarray, np.ndarray | None]:
        """k-means snapping's centres (flattened) and their classes (None: unlabelled data):
        ``clusters`` per class of generation 1's real set (at most the class's size), each
        class's k-means seeded by (run seed, 1, CORRECT) and its class."""
        if self._centres is None:
            from sklearn.cluster import KMeans

            x, y = flat(self.reference.x), self.reference.labels
            groups = [(None, x)] if y is None else [(c, x[y == c]) for c in np.unique(y)]
            centres, classes = [], []
            for c, rows in groups:
                seed = derived_seed(self.p.seed, 1, CORRECT) + (0 if c is None else int(c))
                clusters = min(self.correct.options["clusters"], len(rows))
                km = KMeans(clusters, n_init=3, random_state=seed % 2**31).fit(rows)
                centres.append(km.cluster_centers_)
                classes += [-1 if c is None else int(c)] * clusters
            self._centres = (np.concatenate(centres), None if y is None else np.array(classes))
        return self._centres

    def _snapped(self, part: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        """Each sample replaced by its nearest centre (of its own class, when the model was
        asked for one)."""
        centres, classes = self.centres()
        x = flat(part)
        if labels is None or classes is None:
            return centres[nearest_rows(x, centres)].reshape(part.shape)
        out = np.empty_like(x)
        for c in np.unique(labels):
            rows, own = labels == c, np.flatnonzero(classes == c)
            out[rows] = centres[own[nearest_rows(x[rows], centres[own])]]
        return out.reshape(part.shape)
