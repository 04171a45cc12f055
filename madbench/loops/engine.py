"""The loop engine: fit, sample, feed back, score, checkpoint, generation after generation.

Every generation runs with its thread pools pinned (:mod:`madbench.runs.threads`), draws its
random numbers from seeds derived from (run seed, t, purpose) (:mod:`madbench.loops.config`),
brings image samples into the data's domain (:mod:`madbench.data.domain`), curates, selects
and corrects the draw it feeds back where the protocol says (:mod:`madbench.loops.feedback`),
and keeps both what it feeds back and the exact array it scored, so a run is repeatable bit
for bit on one machine, resumable after any generation, and re-scorable without its model
(``madbench rescore``).

Every adapter call (build, fit, partial_fit, sample, save, meta, load), and every call of a
user's reward or correction, is guarded: whatever it
raises, or a contract violation in what it returns, becomes the generation's failed row and
its traceback goes to ``gen-NNN.error.log``. madbench's own errors, and running out of memory,
are not the adapter's: they propagate, and nothing is recorded for the generation. A resume
first verifies the run directory (:meth:`~madbench.runs.rundir.RunDir.verify`).
"""

from __future__ import annotations

import json
import shutil
import time
import traceback
import warnings

import numpy as np

from madbench.adapters import (
    SupportsCheckpoint,
    SupportsMeta,
    SupportsPartialFit,
    build_adapter,
    check_samples,
    data_kinds,
    is_conditional,
    resolve_adapter,
    source_digest,
)
from madbench.atomic import atomic_write_text
from madbench.errors import (
    ENVIRONMENT_ERRNOS,
    AdapterError,
    EnvironmentFault,
    FeatureError,
    InputError,
    fault_message,
)
from madbench.features.spaces import digest, feature_space, probe
from madbench.loops.config import (
    EVAL_SAMPLES,
    FIT,
    INTERVALS,
    REFERENCE_SAMPLES,
    TRAIN_SAMPLES,
    RunConfig,
    derived_seed,
)
from madbench.loops.feedback import CORRECTED_ARRAY, KEPT_ARRAY, Feedback
from madbench.loops.realdata import REFERENCE_ARRAY, RealData, reference_size
from madbench.loops.rewards import RealReference
from madbench.loops.scoring import Scorer, stored_statistics
from madbench.metrics.kid import check_kid_sizes
from madbench.metrics.validate import check_k
from madbench.runs.lock import locked
from madbench.runs.rundir import (
    RunDir,
    check_data,
    check_features,
    check_model_source,
    provenance,
)
from madbench.runs.table import generation_line
from madbench.runs.threads import pinned_threads
from madbench.trackers import check_trackers, log_folder, metrics_of, open_sinks, tracker_media


class _StepFailed(Exception):
    """An adapter call (``step``: fit, partial_fit, sample, save, meta, load) raised, or broke
    the contract; the run records a failed row. madbench's own errors are never wrapped."""

    def __init__(self, step: str, exc: BaseException):
        super().__init__(step)
        self.step, self.exc = step, exc


def _guarded(step: str, call):
    """``call()``, with any exception turned into :class:`_StepFailed`, but MemoryError and
    the machine's own faults (disk full, permission denied...: :class:`EnvironmentFault`),
    which are the environment's, not the adapter's."""
    try:
        return call()
    except MemoryError:
        raise
    except OSError as exc:
        if exc.errno in ENVIRONMENT_ERRNOS:
            raise EnvironmentFault(f"{step}(): {fault_message(exc)}") from None
        raise _StepFailed(step, exc) from exc
    except Exception as exc:
        raise _StepFailed(step, exc) from exc


def _grayscale_hint(config: RunConfig, dataset) -> str:
    """For a grayscale image set that fell back to Inception (no LeNet of its own): the two
    feature spaces that work offline."""
    if (
        config.scoring.features is not None
        or dataset.kind != "image"
        or len(dataset.shape) != 2
        or dataset.manifest.feature_weights
    ):
        return ""
    return (
        f". {config.data} has no LeNet of its own: train one with madbench features "
        f"train-lenet --data {config.data}, or compare pixels with --features identity"
    )


def _tail_threshold(rows: list[dict]) -> float | None:
    """Generation 1's 95th percentile of held-out perplexity, where a resumed run recorded it."""
    cell = rows[1].get("perplexity_q95") if len(rows) > 1 else None
    return float(cell) if cell not in (None, "") else None


class Loop:
    """One run of ``config`` into ``run_dir``; ``echo`` receives one progress line per step.

    ``factory`` builds a fresh adapter for each generation that trains from scratch; by default
    ``config.model`` built with ``config.model_args`` (the Python API passes one for a class
    or an instance a notebook holds). Everything that can be checked before the run directory
    exists is: the model, its arguments (the adapter is built once), the data, and whether k
    fits the evaluation set.
    """

    def __init__(
        self,
        config: RunConfig,
        run_dir: RunDir,
        echo=print,
        *,
        factory=None,
        feature_weights=None,
        log: tuple[str, ...] = (),
        log_dir=None,
    ):
        self.config, self.run_dir, self.echo = config, run_dir, echo
        self.log = check_trackers(log)  # a tracker's missing package is named now
        self.log_dir = log_folder(run_dir.path, log_dir)
        self.p = config.protocol
        if factory is None:
            resolve_adapter(config.model)  # a spec that names no adapter class fails here
            self._factory = lambda: build_adapter(config.model, config.model_args)
        else:
            self._factory = factory
        instance = self._factory()  # bad model args fail here
        adapter = type(instance)
        self.model_source = source_digest(instance)
        if self.p.retrain == "warm" and not issubclass(adapter, SupportsPartialFit):
            raise AdapterError(f"{config.model} has no partial_fit(): it cannot warm-start")
        self.conditional = is_conditional(adapter)
        self.real = RealData(config, echo)
        kinds = data_kinds(adapter)
        if kinds is not None and self.real.dataset.kind not in kinds:
            raise InputError(
                f"{config.model} takes {' or '.join(kinds)} data; {config.data} is "
                f"{self.real.dataset.kind} data (see: madbench data list)"
            )
        if self.conditional and self.real.pool_labels is None:
            raise InputError(f"{config.model} is conditional but {config.data} has no labels")
        check_k(self.p.k, self.real.eval_n, self.real.eval_n)
        scoring = config.scoring
        if "kid" in scoring.metrics:
            check_kid_sizes(
                self.real.eval_n, self.real.eval_n, scoring.kid_subsets, scoring.kid_subset_size
            )
        try:
            self.extractor = feature_space(
                config.scoring.features, self.real.dataset, weights=feature_weights
            )
            probe(self.extractor, self.real.eval_real[:2])  # a broken network stops here
        except FeatureError as exc:
            raise FeatureError(f"{exc}{_grayscale_hint(config, self.real.dataset)}") from None
        self.features = {"name": self.extractor.name, "sha256": digest(self.extractor)}
        self.stored = stored_statistics(self.real, self.extractor, echo)  # verified now
        self.feedback = self._feedback(feature_weights)
        self.scorer: Scorer | None = None  # built inside the pinned threads: features are numeric

    def _feedback(self, feature_weights) -> Feedback | None:
        """The protocol's curation, selection and correction, and the reward (None without
        any), checked: every function they name is imported now."""
        p, real = self.p, self.real
        reward = self.config.scoring.reward or ""
        if not (p.curate or p.select or p.correct or reward):
            return None
        if real.is_text:
            raise InputError(
                "--curate, --select, --correct and a reward work on vector and image data; "
                f"{self.config.data} is text (accumulate-subsample works on every kind)"
            )
        labels = None if real.pool_labels is None else real.pool_labels[: p.n_ini]
        reference = RealReference(
            real.pool[: p.n_ini], labels, self.extractor, p.k, p.seed, self.config.data
        )
        spaces = {}

        def space(name: str | None):
            if name is None or name == self.config.scoring.features:
                return self.extractor
            if name not in spaces:
                spaces[name] = feature_space(name, real.dataset, weights=feature_weights)
            return spaces[name]

        feedback = Feedback(p, reference, real.domain, space, reward)
        feedback.resolve()
        return feedback

    def balanced_labels(self, n: int, seed: int) -> np.ndarray:
        """Labels for conditional sampling: every class equally often, in seeded order."""
        return np.random.default_rng(seed).permutation(np.arange(n) % self.real.classes)

    # -- running ----------------------------------------------------------------------------
    def start(self) -> list[dict]:
        with locked(self.run_dir.path, create=True), pinned_threads(self.config.threads):
            made = provenance(self.real.hashes, self.features, self.model_source)
            self.run_dir.create(self.config.as_dict(), made)
            return self._run(rows=[])

    def resume(self) -> list[dict]:
        """Continue after the last verified generation (:meth:`RunDir.verify`)."""
        with locked(self.run_dir.path), pinned_threads(self.config.threads):
            self.run_dir.clean_temporary()
            found = self.run_dir.verify()
            recorded = self.run_dir.provenance()
            check_data(recorded, self.real.hashes, self.config.data)
            check_features(recorded, self.features)
            check_model_source(recorded, self.model_source)
            rows = found.rows
            if found.missing_rows or found.failed:
                self.run_dir.write_rows(rows)
            if found.missing_rows:
                rows_word = "row" if found.missing_rows == 1 else "rows"
                self.echo(
                    f"results.csv: {found.missing_rows} {rows_word} restored from the manifests"
                )
            if found.failed:
                self.echo(
                    f"generation {len(rows)} failed before ({found.failed['error']}); retrying"
                )
            if len(rows) == self.p.generations + 1:
                self.echo(f"the run is complete (generations 0 to {len(rows) - 1}); nothing to do")
            elif rows:
                self.echo(f"resuming after generation {len(rows) - 1}")
            return self._run(rows)

    def _run(self, rows: list[dict]) -> list[dict]:
        """The generations after ``rows``, each sent to the trackers (``--log``) once
        committed, after the ones done before."""
        self.sinks = open_sinks(self.log, self.run_dir.path, self.log_dir) if self.log else []
        try:
            for sink in self.sinks:
                sink.start(self.config.as_dict(), self.run_dir.provenance())
            for row in rows:
                self._logged(row)
            return self._generations(rows)
        finally:
            for sink in self.sinks:
                sink.close()

    def _logged(self, row: dict) -> None:
        if row.get("status") != "ok" or not self.sinks:
            return
        t = int(row["generation"])
        media = tracker_media(self.run_dir.gen_dir(t))
        for sink in self.sinks:
            sink.generation(t, metrics_of(row), media)

    def _generations(self, rows: list[dict]) -> list[dict]:
        self.scorer = Scorer(
            self.real, self.p.k, self.config.scoring, self.p.seed, self.extractor, self.stored
        )
        dim = self.scorer.real_features.shape[1]
        if self.real.eval_n <= dim and "fid" in self.config.scoring.metrics:
            warnings.warn(
                f"eval_n = {self.real.eval_n} samples for {dim} {self.extractor.name} features: "
                "every generation's covariance is singular and its FID unreliable; use an "
                f"eval_n above {dim} (--eval-n) or a smaller feature space",
                stacklevel=2,
            )
        if not rows:
            row = self._score(0, self.real.floor_draws())
            self.run_dir.commit(0, self.run_dir.stage(0), row)
            rows.append(row)
            self.run_dir.write_rows(rows)
            self._report(row)
            self._logged(row)
        model = None
        self.tail_threshold = _tail_threshold(rows)
        for t in range(len(rows), self.p.generations + 1):
            row, model = self._generation(t, model)
            rows.append(row)
            self.run_dir.write_rows(rows)
            if row["status"] != "ok":  # said once, as the error, not also as a progress line
                raise AdapterError(row["error"])
            self._report(row)
            self._logged(row)
        return rows

    def _generation(self, t: int, previous_model):
        p, real = self.p, self.real
        rows_real = real.real_part(t)
        train = real.training_set(t, self.run_dir)
        n_real = rows_real.stop - rows_real.start
        extra = {}
        if self.conditional:
            extra["labels"] = real.training_labels(t, self.run_dir)
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
        tmp = None
        try:
            t0 = time.perf_counter()
            if p.retrain == "warm" and t >= 2:
                model = self._warm_model(t, previous_model)
                _guarded("partial_fit", lambda: model.partial_fit(train, seed=seed, **extra))
            else:
                model = _guarded("build", self._build)
                _guarded("fit", lambda: model.fit(train, seed=seed, **extra))
            row["fit_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            fed = {TRAIN_SAMPLES: p.n_synth}
            if "copying" in self.config.scoring.metrics and reference_size(p, t):
                fed[REFERENCE_SAMPLES] = reference_size(p, t)
            sizes = {purpose: self._drawn(n) for purpose, n in fed.items()}
            sizes[EVAL_SAMPLES] = real.eval_n
            draws = {purpose: self._draw(model, t, purpose, n) for purpose, n in sizes.items()}
            row["sample_seconds"] = time.perf_counter() - t0
            (samples, labels), (evaluation, eval_labels) = draws[TRAIN_SAMPLES], draws[EVAL_SAMPLES]
            row.update(self._perplexity(t, model))
            reference, reference_labels = draws.get(REFERENCE_SAMPLES, (None, None))
            if real.domain is not None:
                samples, _ = real.domain.apply(samples)
                evaluation, row["clipped_frac"] = real.domain.apply(evaluation)
                if reference is not None:
                    reference, _ = real.domain.apply(reference)
            arrays = {}
            if self.feedback is not None and self.feedback.active:
                row["n_drawn"] = len(samples)
                kept = self._fed(t, samples, labels, p.n_synth)
                samples, labels = kept.samples, kept.labels
                arrays.update({KEPT_ARRAY: kept.kept, CORRECTED_ARRAY: kept.corrected})
                if reference is not None:
                    n_reference = fed[REFERENCE_SAMPLES]
                    reference = self._fed(t, reference, reference_labels, n_reference, True).samples
            if self.feedback is not None:
                row.update(
                    _guarded("reward", lambda: self.feedback.mean_reward(evaluation, eval_labels))
                )
            tmp = self.run_dir.stage(t)
            arrays.update({"samples": samples, "labels": labels, REFERENCE_ARRAY: reference})
            arrays.update(eval_samples=evaluation, eval_labels=eval_labels)
            self.run_dir.save_arrays(tmp, t, arrays)
            self._save_model(model, tmp)
        except _StepFailed as failed:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            return self._failed(row, t, seed, failed), None
        row = {**row, **self._score(t, evaluation)}
        self.run_dir.commit(t, tmp, row)
        return row, model

    def _build(self):
        return self._factory()

    def _drawn(self, n: int) -> int:
        """How many samples a generation draws to feed ``n`` back (the feedback steps')."""
        return n if self.feedback is None else self.feedback.draws(n)

    def _fed(self, t: int, draws: np.ndarray, labels, n: int, reference: bool = False):
        """The feedback steps on ``draws`` (madbench.loops.feedback); a user's reward or
        correction that raises or breaks its contract fails the generation."""
        return _guarded(
            "feedback", lambda: self.feedback.apply(t, draws, labels, n, reference=reference)
        )

    def _perplexity(self, t: int, model) -> dict:
        """Text models with ``log_likelihood``: the held-out documents' perplexity cells, the
        tail measured against generation 1's 95th percentile (:mod:`~madbench.metrics.
        perplexity`)."""
        if not self.real.is_text or not callable(getattr(model, "log_likelihood", None)):
            return {}
        from madbench.metrics.perplexity import perplexity_summary, tail_threshold

        docs = self.real.eval_real
        ll = _guarded("log_likelihood", lambda: np.asarray(model.log_likelihood(docs)))
        if t == 1 or self.tail_threshold is None:
            self.tail_threshold = _guarded("log_likelihood", lambda: tail_threshold(ll))
        return _guarded("log_likelihood", lambda: perplexity_summary(ll, self.tail_threshold))

    def _save_model(self, model, tmp) -> None:
        """The adapter's checkpoint (``model/``) and ``meta.json``, when it offers them."""
        if isinstance(model, SupportsCheckpoint):
            (tmp / "model").mkdir()
            _guarded("save", lambda: model.save(str(tmp / "model")))
        if isinstance(model, SupportsMeta):
            meta = _guarded("meta", lambda: json.dumps(model.meta(), indent=2, default=str))
            (tmp / "meta.json").write_text(meta)

    def _failed(self, row: dict, t: int, seed: int, failed: _StepFailed) -> dict:
        """Generation t's failed row; the adapter's full traceback goes to its error log."""
        exc = failed.exc
        log = self.run_dir.error_log(t)
        what = str(exc) if isinstance(exc, AdapterError) else f"{failed.step}() raised {exc!r}"
        error = f"generation {t} (seed {seed}): {what} (traceback: {log})"
        atomic_write_text(log, f"{error}\n\n" + "".join(traceback.format_exception(exc)))
        return {**row, "status": "failed", "error": error, **self._constants()}

    def _draw(self, model, t: int, purpose: int, n: int):
        """``n`` checked samples for ``purpose``, and the labels asked for (conditional)."""
        seed = derived_seed(self.p.seed, t, purpose)
        labels = self.balanced_labels(n, seed) if self.conditional else None
        kwargs = {} if labels is None else {"labels": labels}
        out = _guarded("sample", lambda: model.sample(n, bias=self.p.bias, seed=seed, **kwargs))
        checked = _guarded(
            "sample", lambda: check_samples(out, n, self.real.data_shape, "the adapter")
        )
        return checked, labels

    def _warm_model(self, t: int, previous_model):
        if previous_model is not None:
            return previous_model
        # Resumed: rebuild generation t-1 from its verified checkpoint.
        model = _guarded("build", self._build)
        _guarded("load", lambda: model.load(str(self.run_dir.gen_dir(t - 1) / "model")))
        return model

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

    def _score(self, t: int, generated) -> dict:
        """Generation t's row cells from the array it scores (t = 0: the list of the noise
        floor's draws of real training samples, :meth:`RealData.floor_draws`) and, for the
        copying metrics, its training set and their reference (t = 0: none)."""
        seed = derived_seed(self.p.seed, t, INTERVALS)
        if t == 0:
            values = self.scorer.floor(generated, seed)
            values.update(generation=0, n_train=0, n_train_real=0, n_train_synth=0)
            if self.feedback is not None:
                values.update(self.feedback.mean_reward(generated[0], None))
        else:
            sets = None
            if "copying" in self.config.scoring.metrics:
                sets = self.real.copying_sets(t, self.run_dir)
            values = self.scorer.score(generated, seed, sets)
        return {"status": "ok", **values, **self._constants()}

    def _report(self, row: dict) -> None:
        self.echo(generation_line(row))
