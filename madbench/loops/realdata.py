"""The real data of one run: the training pool, the held-out evaluation set, the domain.

The pool is the first rows of one seeded order of the train split
(:meth:`~madbench.data.datasets.FileDataset.train_pool`), long enough for the protocol;
generation 1 trains on its first ``n_ini`` rows, fresh data on the rows after them. The
evaluation set is ``eval_n`` held-out samples (the whole held-out split when it is smaller),
the same for every generation and every protocol of a seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from madbench.data.datasets import file_hashes, get_dataset
from madbench.errors import DataFileError, InputError
from madbench.limits import physical_memory
from madbench.loops.config import EVAL_REAL, SUBSAMPLE, RunConfig, derived_seed
from madbench.types import Echo

if TYPE_CHECKING:
    from madbench.data.datasets import Dataset
    from madbench.loops.protocol import Protocol
    from madbench.runs.rundir import RunDir


def real_need(protocol: str, n_ini: int, generations: int, n_real: int) -> tuple[int, str]:
    """How many real training samples ``protocol`` draws, and the formula in words."""
    if protocol == "fresh-data":
        need = n_ini + (generations - 1) * n_real
        return (
            need,
            f"n_ini + (generations - 1) * n_real = {n_ini} + {generations - 1} * {n_real} = {need}",
        )
    return n_ini, f"n_ini = {n_ini}"


def check_memory(protocol: Protocol, shape: tuple[int, ...], data: str) -> None:
    """Refuse sizes whose arrays cannot fit this machine's memory, before any is allocated: the
    largest training set, a generation's samples and the evaluation sets, as float64."""
    per_sample = 8 * int(np.prod(shape))
    samples = max(protocol.training_sizes()) + protocol.n_synth + 3 * protocol.eval_n
    have = physical_memory()
    if have is not None and samples * per_sample > have:
        raise InputError(
            f"{data}: these sizes need about {samples * per_sample / 2**30:,.1f} GiB for their "
            f"arrays ({samples:,} samples of {per_sample:,} bytes), more than this machine's "
            f"{have / 2**30:.1f} GiB: lower --n-ini, --n-synth or --eval-n"
        )


def fit_sizes(data: str, data_dir: str | None, protocol: str, params: dict, echo: Echo) -> dict:
    """``params`` with ``n_ini`` lowered to what a small data set holds, when it was not
    given: the whole train split (fresh data: what leaves room for every generation's fresh
    rows), with a one-line note to ``echo``. Data sets large enough, unlimited ones and
    explicit sizes are left as they are."""
    from madbench.loops.protocol import DEFAULT_N_REAL, Protocol

    if params.get("n_ini") is not None or params.get("synthetic_fraction") is not None:
        return params
    held = get_dataset(data, data_dir=data_dir).manifest.splits.get("train", {}).get("n")
    generations = params.get("generations") or Protocol.generations
    n_real = params.get("n_real") or DEFAULT_N_REAL
    if (
        not isinstance(held, int)
        or real_need(protocol, Protocol.n_ini, generations, n_real)[0] <= held
    ):
        return params
    fresh = (generations - 1) * n_real if protocol == "fresh-data" else 0
    n_ini = held - fresh
    if n_ini < 2 or (protocol == "fresh-data" and n_ini <= n_real):
        return params  # too small for any default: RealData says what to set
    echo(f"note: {data} holds {held} training samples; n_ini = {n_ini} (set --n-ini to choose)")
    return {**params, "n_ini": n_ini}


#: Draws of real training samples generation 0's noise floor is measured on, where the train
#: split holds them.
FLOOR_DRAWS = 5

#: Where a generation keeps its reference draw: fresh samples of its model, never trained on,
#: that the next generation's copying test compares with (:meth:`RealData.copying_sets`).
REFERENCE_ARRAY = "reference_samples"


class CopyingSets(NamedTuple):
    """A generation's training set and a reference drawn like it, each row with its stratum
    (0: real data; s >= 1: generation s's samples), for
    :func:`madbench.metrics.copying.copying_metrics`."""

    train: np.ndarray
    train_strata: np.ndarray
    reference: np.ndarray
    reference_strata: np.ndarray


def reference_size(protocol: Protocol, t: int) -> int:
    """How many reference samples generation t draws for the next one's copying test: as
    many as that generation trains on of t's samples, at most ``eval_n`` (0 at the last)."""
    if t >= protocol.generations:
        return 0
    return min(protocol.n_synth, protocol.eval_n)


def held_out(dataset: Dataset, eval_n: int, seed: int, echo: Echo = print) -> np.ndarray:
    """The held-out samples a run of ``seed`` scores against: ``eval_n`` draws of the test
    split, or all of it where it holds fewer (said to ``echo``)."""
    unlimited = getattr(dataset, "unlimited", False)
    test_size = eval_n if unlimited else len(dataset.split("test").x)
    n = min(eval_n, test_size)
    if n < eval_n:
        echo(f"note: {dataset.name} holds {test_size} held-out samples; eval_n = {n}")
    return dataset.split("test", n=n, seed=seed).x


class RealData:
    """Real samples a run trains on and is scored against; ``echo`` receives notes."""

    def __init__(self, config: RunConfig, echo=print):
        p = self.protocol = config.protocol
        self.name = config.data
        self.dataset = get_dataset(config.data, data_dir=config.data_dir)
        self.domain = self.dataset.domain
        self.is_vector = self.dataset.kind == "vector"
        self.is_text = self.dataset.kind == "text"
        self.classes = self.dataset.classes
        # The files are verified when first read, below.
        self.hashes = file_hashes(self.dataset)
        check_memory(p, self.dataset.shape, config.data)
        need, formula = real_need(p.name, p.n_ini, p.generations, p.n_real)
        try:
            pool = self.dataset.train_pool(need, seed=p.seed)
        except InputError as exc:
            raise InputError(
                f"{config.data}: {p.name} needs {formula} real training samples: {exc}; "
                "set a smaller --n-ini (n_ini= in the Python API)"
                + (" or --n-real" if p.name == "fresh-data" else "")
            ) from None
        self.pool, self.pool_labels = pool.x, pool.y
        self.data_shape = self.pool.shape[1:]
        self.eval_real = held_out(self.dataset, p.eval_n, p.seed, echo)
        self.eval_n = len(self.eval_real)

    def real_part(self, t: int) -> slice:
        """Which rows of the pool generation t trains on."""
        p = self.protocol
        if t == 1 or p.name == "synthetic-augmentation":
            return slice(0, p.n_ini)
        if p.name == "fresh-data":
            start = p.n_ini + (t - 2) * p.n_real
            return slice(start, start + p.n_real)
        return slice(0, 0)

    def training_set(self, t: int, run_dir: RunDir) -> np.ndarray:
        """What generation t trains on: its real rows of the pool, then the kept synthetic
        samples of the generations the protocol feeds back (``run_dir``'s, verified)."""
        return np.concatenate(self._training_parts(t, run_dir)[1])

    def training_labels(self, t: int, run_dir: RunDir) -> np.ndarray:
        """The labels of :meth:`training_set`'s rows (conditional models)."""
        real = self.pool_labels[self.real_part(t)]
        return np.concatenate([real, *self._fed(t, run_dir.load_labels)])

    def _training_parts(self, t: int, run_dir) -> tuple[list[int], list[np.ndarray]]:
        """The generations generation t feeds back, and its training rows by source: the real
        rows, then each of those generations' kept samples (verified; accumulate-subsample:
        the rows of them it drew)."""
        sources = self.protocol.synthetic_sources(t)
        return sources, [self.pool[self.real_part(t)], *self._fed(t, run_dir.load_samples)]

    def _fed(self, t: int, load) -> list[np.ndarray]:
        """``load(s)`` for each generation s that generation t feeds back, cut to the rows
        :meth:`subsample` picks."""
        arrays = [load(s) for s in self.protocol.synthetic_sources(t)]
        picks = self.subsample(t, [len(a) for a in arrays])
        return [a if pick is None else a[pick] for a, pick in zip(arrays, picks, strict=True)]

    def subsample(self, t: int, sizes: list[int]) -> list[np.ndarray | None]:
        """Which rows of each fed-back generation's samples (``sizes`` of them) generation t
        trains on: all (None), but for accumulate-subsample, which draws ``n_synth`` of their
        ``sum(sizes)`` rows uniformly without replacement (all when they are fewer), seeded by
        (seed, t, SUBSAMPLE), and keeps them in their generations' order."""
        p = self.protocol
        if p.source != "accumulate-subsample":
            return [None] * len(sizes)
        total = sum(sizes)
        rng = np.random.default_rng(derived_seed(p.seed, t, SUBSAMPLE))
        chosen = np.sort(rng.choice(total, size=min(p.n_synth, total), replace=False))
        bounds = np.cumsum([0, *sizes])
        return [
            chosen[(chosen >= low) & (chosen < high)] - low
            for low, high in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def copying_sets(self, t: int, run_dir: RunDir) -> CopyingSets:
        """Generation t's training set and its exchangeable reference (madbench.metrics.copying):
        the reference holds ``min(len(train), eval_n)`` rows in the training set's proportions:
        held-out real rows for its real share, and for each generation s it feeds back, rows
        of s's reference draw (fresh samples of the same model, from their own seed)."""
        sources, train = self._training_parts(t, run_dir)
        n_real, n_train = len(train[0]), sum(len(x) for x in train)
        size = min(n_train, self.eval_n)
        real_count = round(size * n_real / n_train)
        reference = [self.eval_real[:real_count]]
        for s, part in zip(sources, train[1:], strict=True):
            # in the training set's proportions ((size - real) / sources for equal parts)
            per_source = (size - real_count) * len(part) // max(1, n_train - n_real)
            if not (run_dir.gen_dir(s) / f"{REFERENCE_ARRAY}.npy").is_file():
                raise DataFileError(
                    f"{run_dir.gen_dir(s)} kept no reference samples (its run left copying out "
                    "of --metrics), so the copying metrics of the generations after it cannot "
                    "be computed"
                )
            reference.append(run_dir.load_array(s, REFERENCE_ARRAY)[:per_source])
        return CopyingSets(
            np.concatenate(train),
            np.repeat([0, *sources], [len(x) for x in train]),
            np.concatenate(reference),
            np.repeat([0, *sources], [len(x) for x in reference]),
        )

    def floor_draws(self) -> list[np.ndarray]:
        """Generation 0's noise floor: disjoint draws of ``eval_n`` real training samples,
        :data:`FLOOR_DRAWS` of them or as many as the train split holds (at least one),
        seeded. Generation 0 scores the first; the FIDs of all of them against the held-out
        set are the floor's distribution (:meth:`madbench.loops.scoring.Scorer.floor`)."""
        seed = derived_seed(self.protocol.seed, 0, EVAL_REAL)
        n = self.eval_n
        if getattr(self.dataset, "unlimited", False):
            count = FLOOR_DRAWS
        else:
            count = max(1, min(FLOOR_DRAWS, len(self.dataset.split("train").x) // n))
        x = self.dataset.split("train", n=count * n, seed=seed).x
        order = np.random.default_rng([seed, 1]).permutation(len(x))
        return [x[order[i * n : (i + 1) * n]] for i in range(count)]
