"""The loop engine: fit, sample, mix, score, checkpoint, generation after generation.

Every generation runs with its thread pools pinned (:mod:`madbench.runs.threads`), draws its
random numbers from seeds derived from (run seed, t, purpose) (:mod:`madbench.loops.config`),
brings image samples into the data's domain (:mod:`madbench.data.domain`) and keeps both its
training draw and the exact array it scored, so a run is repeatable bit for bit on one machine,
resumable after any generation, and re-scorable without its model (``madbench rescore``).
"""

from __future__ import annotations

import time

import numpy as np

from madbench.adapters import AdapterError, build_adapter, check_samples, resolve_adapter
from madbench.errors import InputError, MadbenchError
from madbench.loops.config import (
    BOOTSTRAP,
    EVAL_SAMPLES,
    FIT,
    TRAIN_SAMPLES,
    RunConfig,
    derived_seed,
)
from madbench.loops.realdata import RealData
from madbench.loops.scoring import Scorer
from madbench.runs.rundir import RunDir, provenance
from madbench.runs.threads import pinned_threads


class Loop:
    """One run of ``config`` into ``run_dir``; ``echo`` receives one progress line per step."""

    def __init__(self, config: RunConfig, run_dir: RunDir, echo=print):
        self.config, self.run_dir, self.echo = config, run_dir, echo
        self.p = config.protocol
        # An unknown model, or one that cannot take the data, fails before anything is written.
        adapter = resolve_adapter(config.model)
        self.conditional = bool(getattr(adapter, "conditional", False))
        self.real = RealData(config, echo)
        kinds = getattr(adapter, "data_kinds", None)
        if kinds is not None and self.real.dataset.kind not in kinds:
            raise InputError(
                f"{config.model} takes {' or '.join(kinds)} data; {config.data} is "
                f"{self.real.dataset.kind} data (see: madbench data list)"
            )
        if self.conditional and self.real.pool_labels is None:
            raise InputError(f"{config.model} is conditional but {config.data} has no labels")
        self.scorer: Scorer | None = None  # built inside the pinned threads: features are numeric

    def balanced_labels(self, n: int, seed: int) -> np.ndarray:
        """Labels for conditional sampling: every class equally often, in seeded order."""
        return np.random.default_rng(seed).permutation(np.arange(n) % self.real.classes)

    # -- running ----------------------------------------------------------------------------
    def start(self) -> list[dict]:
        with pinned_threads(self.config.threads):
            self.run_dir.create(self.config.as_dict(), provenance(self.real.hashes))
            return self._run(rows=[])

    def resume(self) -> list[dict]:
        with pinned_threads(self.config.threads):
            done = self.run_dir.completed()
            self.run_dir.clean_after(len(done) - 1)
            if done:
                self.echo(f"resuming after generation {int(done[-1]['generation'])}")
            return self._run(rows=done)

    def _run(self, rows: list[dict]) -> list[dict]:
        self.scorer = Scorer(self.real, self.p.k, self.config.scoring, self.p.seed)
        if not rows:
            rows.append(self._score(0, self.real.noise_floor_draw()))
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

    def _generation(self, t: int, previous_model):
        p, real = self.p, self.real
        rows_real = real.real_part(t)
        sources = p.synthetic_sources(t)
        train = np.concatenate(
            [real.pool[rows_real], *(self.run_dir.load_samples(s) for s in sources)]
        )
        n_real = rows_real.stop - rows_real.start
        extra = {}
        if self.conditional:
            labels = [real.pool_labels[rows_real], *(self.run_dir.load_labels(s) for s in sources)]
            extra["labels"] = np.concatenate(labels)
        row = {
            "generation": t,
            "n_train": len(train),
            "n_train_real": n_real,
            "n_train_synth": len(train) - n_real,
        }
        seed = derived_seed(p.seed, t, FIT)
        self.echo(
            f"generation {t}/{p.generations}: training on {len(train)} samples "
            f"({n_real} real, {len(train) - n_real} synthetic)"
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
            draws = {
                purpose: self._draw(model, t, purpose, n)
                for purpose, n in ((TRAIN_SAMPLES, p.n_synth), (EVAL_SAMPLES, real.eval_n))
            }
            row["sample_seconds"] = time.perf_counter() - t0
        except Exception as exc:  # the adapter's fault: record it, keep the run intact
            message = str(exc) if isinstance(exc, MadbenchError) else f"{step}() raised {exc!r}"
            error = f"generation {t} (seed {seed}): {message}"
            return {**row, "status": "failed", "error": error, **self._constants()}, None
        (samples, labels), (evaluation, eval_labels) = draws[TRAIN_SAMPLES], draws[EVAL_SAMPLES]
        if real.domain is not None:
            samples, _ = real.domain.apply(samples)
            evaluation, row["clipped_frac"] = real.domain.apply(evaluation)
        self.run_dir.save_generation(
            t, samples, evaluation, model, labels=labels, eval_labels=eval_labels
        )
        return {**row, **self._score(t, evaluation)}, model

    def _draw(self, model, t: int, purpose: int, n: int):
        """``n`` checked samples for ``purpose``, and the labels asked for (conditional)."""
        seed = derived_seed(self.p.seed, t, purpose)
        labels = self.balanced_labels(n, seed) if self.conditional else None
        kwargs = {} if labels is None else {"labels": labels}
        out = model.sample(n, bias=self.p.bias, seed=seed, **kwargs)
        return check_samples(out, n, self.real.data_shape, f"generation {t}"), labels

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
            **self.scorer.settings_columns(),
            "bias": p.bias,
            "seed": p.seed,
            "protocol": p.name,
            "protocol_hash": p.content_hash(),
            "data": self.config.data,
            "model": self.config.model,
        }

    def _score(self, t: int, generated: np.ndarray) -> dict:
        """Generation t's row cells from the array it scores (t = 0: real training samples)."""
        values = self.scorer.score(generated, derived_seed(self.p.seed, t, BOOTSTRAP))
        if t == 0:
            values.update(generation=0, n_train=0, n_train_real=0, n_train_synth=0)
        return {"status": "ok", **values, **self._constants()}

    def _report(self, row: dict) -> None:
        if row["status"] != "ok":
            self.echo(f"generation {row['generation']}: FAILED: {row['error']}")
            return
        parts = [
            f"{key} {float(row[key]):.4g}"
            for key in ("fid", "precision", "recall", "density", "coverage")
        ]
        if row.get("fid_ci_low") not in (None, ""):
            parts[0] += f" [{float(row['fid_ci_low']):.4g}, {float(row['fid_ci_high']):.4g}]"
        if row.get("w2") not in (None, ""):
            parts.append(f"w2 {float(row['w2']):.4g}")
        self.echo(f"generation {row['generation']}: " + ", ".join(parts))
