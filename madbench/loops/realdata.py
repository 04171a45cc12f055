"""The real data of one run: the training pool, the held-out evaluation set, the domain.

The pool is the first rows of one seeded order of the train split
(:meth:`~madbench.data.datasets.FileDataset.train_pool`), long enough for the protocol;
generation 1 trains on its first ``n_ini`` rows, fresh data on the rows after them. The
evaluation set is ``eval_n`` held-out samples (the whole held-out split when it is smaller),
the same for every generation and every protocol of a seed.
"""

from __future__ import annotations

import numpy as np

from madbench.data.datasets import file_hashes, get_dataset
from madbench.errors import InputError
from madbench.loops.config import EVAL_REAL, RunConfig, derived_seed


class RealData:
    """Real samples a run trains on and is scored against; ``echo`` receives notes."""

    def __init__(self, config: RunConfig, echo=print):
        p = self.protocol = config.protocol
        self.name = config.data
        self.dataset = get_dataset(config.data, data_dir=config.data_dir)
        self.domain = self.dataset.domain
        self.is_vector = self.dataset.kind == "vector"
        self.classes = self.dataset.classes
        # The files are verified when first read, below.
        self.hashes = file_hashes(self.dataset)
        need = p.n_ini + (p.generations - 1) * p.n_real if p.name == "fresh-data" else p.n_ini
        try:
            pool = self.dataset.train_pool(need, seed=p.seed)
        except InputError as exc:
            raise InputError(
                f"{config.data}: the protocol needs {need} real training samples "
                f"(n_ini + (generations - 1) * n_real for fresh-data): {exc}"
            ) from None
        self.pool, self.pool_labels = pool.x, pool.y
        self.data_shape = self.pool.shape[1:]
        unlimited = getattr(self.dataset, "unlimited", False)
        test_size = p.eval_n if unlimited else len(self.dataset.split("test").x)
        self.eval_n = min(p.eval_n, test_size)
        if self.eval_n < p.eval_n:
            echo(f"note: {config.data} holds {test_size} held-out samples; eval_n = {self.eval_n}")
        self.eval_real = self.dataset.split("test", n=self.eval_n, seed=p.seed).x

    def real_part(self, t: int) -> slice:
        """Which rows of the pool generation t trains on."""
        p = self.protocol
        if t == 1 or p.name == "synthetic-augmentation":
            return slice(0, p.n_ini)
        if p.name == "fresh-data":
            start = p.n_ini + (t - 2) * p.n_real
            return slice(start, start + p.n_real)
        return slice(0, 0)

    def training_set(self, t: int, run_dir) -> np.ndarray:
        """What generation t trains on: its real rows of the pool, then the kept synthetic
        samples of the generations the protocol feeds back (``run_dir``'s, verified)."""
        synthetic = [run_dir.load_samples(s) for s in self.protocol.synthetic_sources(t)]
        return np.concatenate([self.pool[self.real_part(t)], *synthetic])

    def noise_floor_draw(self) -> np.ndarray:
        """What generation 0 scores: ``eval_n`` real training samples (seeded)."""
        seed = derived_seed(self.protocol.seed, 0, EVAL_REAL)
        return self.dataset.split("train", n=self.eval_n, seed=seed).x
