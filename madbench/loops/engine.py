"""The loop engine: fit, sample, mix, score, checkpoint, generation after generation.

Randomness: every generation t derives its seeds from (run seed, t, purpose) only, so a run
resumed after any generation gives exactly the rows an uninterrupted run gives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from madbench.adapters import AdapterError, build_adapter, check_samples, resolve_adapter
from madbench.data.datasets import get_dataset
from madbench.errors import InputError, MadbenchError
from madbench.loops.protocol import Protocol
from madbench.metrics.frechet import GaussianStats, fit_gaussian, frechet_distance
from madbench.metrics.lenet import lenet_for
from madbench.metrics.report import all_metrics
from madbench.runs.rundir import RunDir, provenance

FIT, TRAIN_SAMPLES, EVAL_SAMPLES, EVAL_REAL = range(4)


def derived_seed(seed: int, t: int, purpose: int) -> int:
    """A 32-bit seed for one purpose of generation t, from the run's seed."""
    return int(np.random.SeedSequence([seed, t, purpose]).generate_state(1)[0])


@dataclass(frozen=True)
class RunConfig:
    model: str
    model_args: dict
    data: str
    protocol: Protocol
    data_dir: str | None = None

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "model_args": self.model_args,
            "data": self.data,
            "data_dir": self.data_dir,
            "protocol": self.protocol.as_dict(),
            "protocol_hash": self.protocol.content_hash(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        return cls(
            d["model"], d["model_args"], d["data"], Protocol(**d["protocol"]), d.get("data_dir")
        )


class Loop:
    """One run of ``config`` into ``run_dir``; ``echo`` receives one progress line per step."""

    def __init__(self, config: RunConfig, run_dir: RunDir, echo=print):
        self.config, self.run_dir, self.echo = config, run_dir, echo
        self.p = config.protocol
        # An unknown model, or one that cannot take the data, fails before anything is written.
        adapter = resolve_adapter(config.model)
        self.conditional = bool(getattr(adapter, "conditional", False))
        self.dataset = get_dataset(config.data, data_dir=config.data_dir)
        kinds = getattr(adapter, "data_kinds", None)
        if kinds is not None and self.dataset.kind not in kinds:
            raise InputError(
                f"{config.model} takes {' or '.join(kinds)} data; {config.data} is "
                f"{self.dataset.kind} data (see: madbench data list)"
            )
        manifest = self.dataset.manifest  # the files are verified when first read, below
        self.data_hashes = {f.path: f.sha256 for f in manifest.files.values()}
        self.is_vector = self.dataset.kind == "vector"
        self.lenet = None if self.is_vector else lenet_for(self.dataset)
        self._prepare_real()

    # -- data -------------------------------------------------------------------------------
    def _prepare_real(self) -> None:
        p = self.p
        need = p.n_ini + (p.generations - 1) * p.n_real if p.name == "fresh-data" else p.n_ini
        try:
            pool = self.dataset.split("train", n=need, seed=p.seed)
        except InputError as exc:
            raise InputError(
                f"{self.config.data}: the protocol needs {need} real training samples "
                f"(n_ini + (generations - 1) * n_real for fresh-data): {exc}"
            ) from None
        order = np.random.default_rng([p.seed, 99]).permutation(len(pool.x))
        self.pool = pool.x[order]
        self.pool_labels = None if pool.y is None else pool.y[order]
        if self.conditional and self.pool_labels is None:
            raise InputError(
                f"{self.config.model} is conditional but {self.config.data} has no labels"
            )
        self.classes = self.dataset.classes
        test_size = len(self.dataset.split("test").x) if not self.is_vector else p.eval_n
        self.eval_n = min(p.eval_n, test_size)
        if self.eval_n < p.eval_n:
            held_out = f"{self.config.data} holds {test_size} held-out samples"
            self.echo(f"note: {held_out}; eval_n = {self.eval_n}")
        self.eval_real = self.dataset.split("test", n=self.eval_n, seed=p.seed).x
        self.data_shape = self.pool.shape[1:]

    def real_part(self, t: int) -> slice:
        """Which rows of the real pool generation t trains on."""
        p = self.p
        if t == 1 or p.name == "synthetic-augmentation":
            return slice(0, p.n_ini)
        if p.name == "fresh-data":
            start = p.n_ini + (t - 2) * p.n_real
            return slice(start, start + p.n_real)
        return slice(0, 0)

    def balanced_labels(self, n: int, seed: int) -> np.ndarray:
        """Labels for conditional sampling: every class equally often, in seeded order."""
        return np.random.default_rng(seed).permutation(np.arange(n) % self.classes)

    def features(self, x: np.ndarray) -> np.ndarray:
        """Identity for vectors; the data set's LeNet features for images."""
        return x.reshape(len(x), -1) if self.lenet is None else self.lenet(x)

    # -- running ----------------------------------------------------------------------------
    def start(self) -> list[dict]:
        self.run_dir.create(self.config.as_dict(), provenance(self.data_hashes))
        return self._run(rows=[])

    def resume(self) -> list[dict]:
        done = self.run_dir.completed()
        self.run_dir.clean_after(len(done) - 1)
        if done:
            self.echo(f"resuming after generation {int(done[-1]['generation'])}")
        return self._run(rows=done)

    def _run(self, rows: list[dict]) -> list[dict]:
        if not rows:
            rows.append(self._noise_floor())
            self.run_dir.write_rows(rows)
            self._report(rows[-1])
        model = None
        for t in range(len(rows), self.p.generations + 1):
            row, model = self._generation(t, model)
            rows.append(row)
            self.run_dir.write_rows(rows)
            self._report(row)
            if row["status"] != "ok":
                raise AdapterError(row["error"])
        return rows

    def _noise_floor(self) -> dict:
        real_train = self.dataset.split(
            "train", n=self.eval_n, seed=derived_seed(self.p.seed, 0, EVAL_REAL)
        ).x
        row = {"generation": 0, "n_train": 0, "n_train_real": 0, "n_train_synth": 0}
        return {**row, **self._score(real_train)}

    def _generation(self, t: int, previous_model):
        p = self.p
        rows_real = self.real_part(t)
        real = self.pool[rows_real]
        sources = p.synthetic_sources(t)
        train = np.concatenate([real, *(self.run_dir.load_samples(s) for s in sources)])
        extra = {}
        if self.conditional:
            labels = [self.pool_labels[rows_real], *(self.run_dir.load_labels(s) for s in sources)]
            extra["labels"] = np.concatenate(labels)
        row = {
            "generation": t,
            "n_train": len(train),
            "n_train_real": len(real),
            "n_train_synth": len(train) - len(real),
        }
        seed = derived_seed(p.seed, t, FIT)
        self.echo(
            f"generation {t}/{p.generations}: training on {len(train)} samples "
            f"({len(real)} real, {len(train) - len(real)} synthetic)"
        )
        step = "fit"
        try:
            t0 = time.perf_counter()
            if p.retrain == "warm" and t >= 2:
                model = self._warm_model(t, previous_model)
                model.partial_fit(train, seed=seed, **extra)
            else:
                model = build_adapter(self.config.model, self.config.model_args)
                model.fit(train, seed=seed, **extra)
            row["fit_seconds"] = time.perf_counter() - t0
            step = "sample"
            t0 = time.perf_counter()
            draws = {}
            for purpose, n in ((TRAIN_SAMPLES, p.n_synth), (EVAL_SAMPLES, self.eval_n)):
                sample_seed = derived_seed(p.seed, t, purpose)
                kwargs = (
                    {"labels": self.balanced_labels(n, sample_seed)} if self.conditional else {}
                )
                out = model.sample(n, bias=p.bias, seed=sample_seed, **kwargs)
                draws[purpose] = (check_samples(out, n, self.data_shape, f"generation {t}"), kwargs)
            (samples, sample_kwargs), (evaluation, _) = draws[TRAIN_SAMPLES], draws[EVAL_SAMPLES]
            row["sample_seconds"] = time.perf_counter() - t0
        except Exception as exc:  # the adapter's fault: record it, keep the run intact
            message = str(exc) if isinstance(exc, MadbenchError) else f"{step}() raised {exc!r}"
            error = f"generation {t} (seed {seed}): {message}"
            return {**row, "status": "failed", "error": error, **self._constants()}, None
        grid = None if self.is_vector or len(self.data_shape) != 2 else evaluation
        self.run_dir.save_generation(t, samples, model, sample_kwargs.get("labels"), grid)
        return {**row, **self._score(evaluation)}, model

    def _warm_model(self, t: int, previous_model):
        if previous_model is None:  # resumed: rebuild generation t-1 from its checkpoint
            previous_model = build_adapter(self.config.model, self.config.model_args)
            previous_model.load(str(self.run_dir.gen_dir(t - 1) / "model"))
        if not callable(getattr(previous_model, "partial_fit", None)):
            raise AdapterError(f"{self.config.model} has no partial_fit(): it cannot warm-start")
        return previous_model

    def _constants(self) -> dict:
        p = self.p
        return {
            "features": "identity" if self.is_vector else "lenet",
            "bias": p.bias,
            "k": p.k,
            "rule": "<=",
            "eval_n": self.eval_n,
            "seed": p.seed,
            "protocol": p.name,
            "protocol_hash": p.content_hash(),
            "data": self.config.data,
            "model": self.config.model,
        }

    def _score(self, generated: np.ndarray) -> dict:
        t0 = time.perf_counter()
        real_f, gen_f = self.features(self.eval_real), self.features(generated)
        report = all_metrics(real_f, gen_f, k=self.p.k, seed=self.p.seed).as_dict()
        out = {
            key: report[key]
            for key in ("precision", "recall", "density", "coverage", "fid", "kid", "kid_std")
        }
        if self.is_vector:
            stats = fit_gaussian(gen_f, "generated")
            truth = self._true_gaussian(real_f)
            out["w2"] = float(np.sqrt(frechet_distance(stats, truth)))
            out["trace_cov"] = float(np.trace(stats.sigma))
        out["metric_seconds"] = time.perf_counter() - t0
        return {"status": "ok", **out, **self._constants()}

    def _true_gaussian(self, real_f: np.ndarray) -> GaussianStats:
        if self.config.data.startswith("gaussian-"):
            d = real_f.shape[1]
            return GaussianStats(np.zeros(d), np.eye(d), 0)
        return fit_gaussian(real_f, "held-out real")

    def _report(self, row: dict) -> None:
        if row["status"] != "ok":
            self.echo(f"generation {row['generation']}: FAILED: {row['error']}")
            return
        parts = [
            f"{key} {float(row[key]):.4g}"
            for key in ("fid", "precision", "recall", "density", "coverage")
        ]
        if row.get("w2") not in (None, ""):
            parts.append(f"w2 {float(row['w2']):.4g}")
        self.echo(f"generation {row['generation']}: " + ", ".join(parts))
