"""Re-scoring a run from what it kept, without its model.

Every generation keeps the exact array it scored (``gen-NNN/eval_samples.npy``; generation 0
scores real training samples, which are re-drawn, with the noise floor's other draws, from the
verified data set with the run's seed). :func:`rescore` verifies the run first
(:meth:`RunDir.verify`), then scores those arrays again through the same :class:`Scorer` the
loop used, with the run's settings or with others (another k, more half-sample replicates...),
and :func:`differences` lists every metric cell that does not equal ``results.csv``. Inside the
run's pinned threads the same machine reproduces every cell bit for bit; nothing is written to
the run directory.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from madbench.errors import DataFileError, InputError
from madbench.features.spaces import digest, feature_space, is_builtin
from madbench.loops.config import INTERVALS, RunConfig, derived_seed
from madbench.loops.realdata import RealData
from madbench.loops.scoring import SCORE_KEYS, Scorer, stored_statistics
from madbench.runs.lock import locked
from madbench.runs.rundir import RunDir, cell_text, check_features, check_run_data
from madbench.runs.threads import pinned_threads
from madbench.types import PathLike


def rescore(
    path: PathLike, *, k: int | None = None, feature_weights: str | None = None, **scoring
) -> tuple[list[dict], list[dict], bool]:
    """The run at ``path``, verified (:meth:`RunDir.verify`), scored again from its kept
    arrays with neighbour count ``k`` and the :class:`~madbench.loops.config.ScoringSettings`
    fields in ``scoring`` (both default to the run's own; ``features`` too, whose pretrained
    weights ``feature_weights`` may locate). In the run's own feature space the weights must
    be the ones the run used (their sha256 is in its provenance).

    Returns results.csv's rows of the complete generations, their re-scored rows, and whether
    the settings are the run's own (only then can the two be compared).
    """
    run_dir = RunDir(path)
    with locked(run_dir.path, shared=True):
        recorded = run_dir.verify().rows
        config = RunConfig.from_dict(run_dir.config())
        if not is_builtin(config.scoring.features) and "features" not in scoring:
            raise InputError(
                f"{run_dir.path} was scored in the feature space {config.scoring.features!r}, "
                "code from outside madbench, which rescore does not import on a run's word: "
                f"name it yourself, --features {config.scoring.features}, to re-score"
            )
        p = config.protocol
        settings = dataclasses.replace(config.scoring, **scoring)
        k = p.k if k is None else k
        same = settings == config.scoring and k == p.k
        if not recorded:
            raise DataFileError(f"{run_dir.path}: no complete generation to re-score")
        out = []
        with pinned_threads(config.threads):
            check_run_data(run_dir, run_dir.config())  # before any file of it is read
            real = RealData(config, echo=lambda line: None)
            extractor = feature_space(settings.features, real.dataset, weights=feature_weights)
            if settings.features == config.scoring.features:
                features = {"name": extractor.name, "sha256": digest(extractor)}
                check_features(run_dir.provenance(), features)
            stored = stored_statistics(real, extractor, echo=lambda line: None)
            scorer = Scorer(real, k, settings, p.seed, extractor, stored)
            for row in recorded:
                t = int(row["generation"])
                seed = derived_seed(p.seed, t, INTERVALS)
                if t == 0:
                    values = scorer.floor(real.floor_draws(), seed)
                else:
                    sets = None
                    if "copying" in settings.metrics:
                        sets = real.copying_sets(t, run_dir)
                    values = scorer.score(_kept(run_dir, t, real), seed, sets)
                fresh = {key: "" for key in SCORE_KEYS}
                out.append({**row, **fresh, **values, **scorer.settings_columns()})
    return recorded, out, same


def _kept(run_dir: RunDir, t: int, real: RealData) -> np.ndarray:
    """Generation t's kept evaluation array, checked against what the run scored."""
    array = run_dir.load_array(t, "eval_samples")
    expected = (real.eval_n, *real.data_shape)
    text = real.is_text
    finite = text or np.isfinite(array).all()
    if array.shape != expected or not finite or text != (array.dtype.kind == "U"):
        what = "documents" if text else "finite values"
        raise DataFileError(
            f"{run_dir.gen_dir(t)}/eval_samples.npy: expected {expected} {what}, found "
            f"{array.shape} {array.dtype}{'' if finite else ' with NaN or Inf'}"
        )
    return array


def differences(recorded: list[dict], rescored: list[dict]) -> list[str]:
    """Every metric cell of ``rescored`` that differs from ``recorded`` (results.csv rows); a
    metric the run's format has no column for (MAUVE in a run of format 9) is new, not a
    difference."""
    found = []
    for old, new in zip(recorded, rescored, strict=False):
        for key in SCORE_KEYS:
            if key in old and old[key] != cell_text(new.get(key)):
                found.append(
                    f"generation {old['generation']}: {key} is {old.get(key, '')!r} in "
                    f"results.csv; re-scored {cell_text(new.get(key))!r}"
                )
    return found
