"""madbench in one call each, for notebooks and scripts (re-exported by ``import madbench``).

- :func:`compute_metrics`: metrics of a generated set against a real one, from arrays, torch
  tensors, .npy/.npz files or image folders; a plain dict under the CLI's JSON keys.
- :func:`evaluate`: a self-consuming loop of a model given as an alias, a ``module:Class``
  string, a class or an already-built instance; returns a :class:`Run`.
- :func:`load_run`: a run directory, verified, as a :class:`Run`.
- :func:`resume`: a run continued after its last complete generation.
- :func:`rescore`: a run scored again from its kept arrays (:class:`Rescored`).
- :func:`build_leaderboard`: a leaderboard folder from run directories; its rows as a
  DataFrame.
- :func:`reproduce`: a reproduction suite run, its board built and its claims tested
  (:class:`Reproduction`).
- :func:`train_features`: a LeNet feature network for an image data set.
- :func:`make_stats`: reference statistics of a real set, stored once for every run, suite
  and ``compute_metrics`` call that scores against it (:mod:`madbench.statsfiles`).

Real data first, generated second, always; rows are samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from madbench import defaults
from madbench.errors import AdapterError, InputError
from madbench.metrics.names import MetricValues
from madbench.types import Echo, FeatureSource, PathLike

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from madbench.adapters import GenerativeModel
    from madbench.leaderboard.claims import ClaimResult
    from madbench.leaderboard.compare import CellCheck
    from madbench.ray_executor import RayOptions
    from madbench.suites import Suite


def _features(x: FeatureSource, extractor):
    """An array or tensor as it is; a path as the features it holds (or its images')."""
    if isinstance(x, str | os.PathLike):
        from madbench.features.files import load_features

        return load_features(x, extractor=extractor)
    return x


def _real_side(real: FeatureSource, fake: FeatureSource, extractor, k: int):
    """The real features, and their stored statistics where ``real`` is a stats file
    (verified; an image folder ``fake`` must be in the file's feature space)."""
    from madbench.statsfiles import is_stats_file, load_stats_file

    if not isinstance(real, str | os.PathLike) or not is_stats_file(real):
        return _features(real, extractor), None
    stats, key = load_stats_file(real)
    if isinstance(fake, str | os.PathLike) and os.path.isdir(fake):
        from madbench.features.spaces import digest

        if key.features == "file" or (key.features, key.feature_digest) != (
            extractor.name,
            digest(extractor),
        ):
            raise InputError(
                f"{real} holds {key.features} features, but {fake} is scored in "
                f"{extractor.name} (weights {digest(extractor)}): make the statistics with "
                "the same --features and --feature-weights"
            )
    return stats.features, stats if stats.k == k else None


def compute_metrics(
    real: FeatureSource,
    fake: FeatureSource,
    *,
    train: FeatureSource | None = None,
    metrics: str | Sequence[str] = "default",
    k: int = defaults.K,
    strict: bool = False,
    kid_scale: str = defaults.KID_SCALE,
    kid_subsets: int = defaults.KID_SUBSETS,
    kid_subset_size: int = defaults.KID_SUBSET_SIZE,
    seed: int = 0,
    backend: str = defaults.BACKEND,
    approximate: bool = False,
    device: str | None = None,
    memory_budget: int = defaults.MEMORY_BUDGET,
    features: str = "inception",
    feature_weights: str | None = None,
    progress: bool = False,
    intervals: float | None = None,
    replicates: int = defaults.REPLICATES,
) -> MetricValues:
    """Metrics of ``fake`` against ``real``, as ``madbench metrics --json`` prints them.

    ``real`` and ``fake``: feature arrays (n, d), torch tensors, .npy/.npz files, or folders of
    images, turned into features by the network ``features`` (``inception``, through
    clean-fid, or ``dinov2``/``dinov2-<variant>``; ``feature_weights`` names its weights file
    offline). ``train``: the generator's training set, in the same kinds; it adds
    the copying metrics (C_T, authenticity, memorised), ``real`` being the held-out reference.
    ``metrics``: ``"default"`` (prdc, fid, kid, vendi and copying, the last only with
    ``train``), ``"all"`` (every metric; copying only with ``train``) or any of ``prdc``
    (precision, recall, density, coverage), ``fid``, ``kid``, ``vendi``, ``copying``,
    ``rarity``, ``cover``, ``probabilistic``, ``clipped``, ``rke``, ``cmmd`` (a list or a
    comma-separated string; :mod:`madbench.metrics.later` for the last six); only those
    are computed. ``kid_scale``: ``"none"`` (clean-fid's
    KID, for Inception features) or ``"real-norm"`` (for other feature spaces).
    ``approximate``: FAISS's IVF index (not exact). ``memory_budget`` in bytes.
    ``progress``: a progress bar on terminals. ``intervals``: a level (e.g. 0.95) adds
    ``<metric>_ci_low`` / ``<metric>_ci_high`` for precision, recall, density, coverage, FID,
    KID and Vendi, by half-sampling both sets ``replicates`` times, seeded by ``seed``, KID's
    and precision's from their variances (:mod:`madbench.metrics.intervals`: they cover the
    metric's expected value at these sample sizes; the copying metrics carry their own test
    instead).
    """
    from madbench.features.spaces import pretrained
    from madbench.metrics.kid import kid_variance
    from madbench.metrics.names import INTERVAL_KEYS, METRICS, parse_metrics
    from madbench.metrics.report import all_metrics
    from madbench.metrics.settings import MetricSettings

    settings = MetricSettings(
        k=k,
        strict=strict,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        kid_scale=kid_scale,
        backend=backend,
        approximate=approximate,
        device=device,
        memory_budget=memory_budget,
    )
    extractor = pretrained(features, weights=feature_weights, device=device)
    real, real_stats = _real_side(real, fake, extractor, k)
    fake = _features(fake, extractor)
    train = None if train is None else _features(train, extractor)
    options = dict(settings=settings, seed=seed)
    report = all_metrics(
        real,
        fake,
        train=train,
        metrics=metrics,
        progress=progress,
        real_stats=real_stats,
        **options,
    )
    out = report.as_dict()
    if intervals is not None:
        from madbench.metrics.intervals import half_sample_intervals, precision_variance
        from madbench.metrics.subsets import SubsetMetrics

        def compute(rows_real: np.ndarray, rows_fake: np.ndarray, keys) -> dict:
            names = [m for m in parse_metrics(metrics) if set(METRICS[m]) & set(keys)]
            values = all_metrics(real[rows_real], fake[rows_fake], metrics=names, **options)
            return {key: value for key, value in values.as_dict().items() if key in keys}

        estimates = {key: out[key] for key in INTERVAL_KEYS if key in out}
        variances = {} if report.kid is None else {"kid": kid_variance(real, fake, report.kid)}
        if "precision" in estimates:
            subsets = SubsetMetrics(real, fake, k=k, strict=strict, **settings.search_options())
            variances["precision"] = precision_variance(
                subsets.in_real_balls, len(real), replicates=replicates, seed=seed
            )
        found = half_sample_intervals(
            compute,
            len(real),
            len(fake),
            estimates,
            level=intervals,
            replicates=replicates,
            seed=seed,
            variances=variances,
        )
        for metric, (low, high) in found.items():
            out[f"{metric}_ci_low"], out[f"{metric}_ci_high"] = low, high
    return out


@dataclass(frozen=True)
class Run:
    """A run directory, verified: its configuration and its rows, one per generation."""

    path: Path
    config: dict
    rows: list[dict]

    @property
    def results(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame, numbers as numbers (empty cells: NaN)."""
        import pandas as pd

        from madbench.runs.schema import COLUMNS

        frame = pd.DataFrame(self.rows, columns=list(COLUMNS))
        for column in frame.columns:
            try:
                frame[column] = pd.to_numeric(frame[column].replace("", None))
            except (ValueError, TypeError):
                pass
        return frame


def load_run(path: PathLike) -> Run:
    """The run directory at ``path``, verified (:meth:`madbench.runs.rundir.RunDir.verify`)."""
    from madbench.runs.lock import locked
    from madbench.runs.rundir import RunDir

    run_dir = RunDir(path)
    with locked(run_dir.path, shared=True):
        found = run_dir.verify()
    return Run(run_dir.path, found.config, found.rows)


def _model_factory(model, model_args: dict):
    """``(spec, model_args, factory)``: the spec and arguments config.json records, and what
    builds a fresh adapter from them (an instance: its class with the arguments read back from
    it, :func:`madbench.adapters.instance_args`, so a resumed run rebuilds the same model)."""
    from madbench.adapters import fresh_adapter, instance_args, plain_value

    model_args = {k: plain_value(v, f"model_args[{k!r}]") for k, v in model_args.items()}
    if isinstance(model, str):
        return model, model_args, None
    if not isinstance(model, type):
        if not (callable(getattr(model, "fit", None)) and callable(getattr(model, "sample", None))):
            raise AdapterError(
                f"{type(model).__name__} is not an adapter: it needs fit() and sample() "
                "(see madbench.adapters.GenerativeModel)"
            )
        if model_args:
            raise InputError("model_args apply to a model name or class, not to an instance")
        model_args, model = instance_args(model), type(model)
    spec = f"{model.__module__}:{model.__qualname__}"
    return spec, model_args, lambda: fresh_adapter(model, model_args)


def evaluate(
    model: str | type | GenerativeModel,
    data: str,
    protocol: str = "fully-synthetic",
    *,
    model_args: dict | None = None,
    metrics: str | Sequence[str] = "default",
    features: str | None = None,
    feature_weights: str | None = None,
    out: PathLike | None = None,
    data_dir: str | None = None,
    threads: int = 1,
    echo: Echo | None = None,
    warn: Callable[[str], None] | None = None,
    reward: str | None = None,
    log: Sequence[str] = (),
    log_dir: PathLike | None = None,
    **params,
) -> Run:
    """Run ``model`` through a self-consuming loop on ``data`` and score every generation.

    ``model``: an alias (``"gmm"``), ``"package.module:Class"``, a class (built with
    ``model_args``, plain values), or an instance, recorded by its constructor arguments read
    back from it (``get_params()``, dataclass fields, or ``__init__`` parameters kept as
    attributes of the same names; refused when they cannot be) and rebuilt from them for each
    generation that trains from scratch, as ``--resume`` rebuilds it. ``params``: protocol
    fields (``generations``, ``bias``, ``seed``, ``n_ini``, ``n_real``, ``n_synth``,
    ``source``, ``retrain``, ``k``, ``eval_n``, and the options beyond the paper ``curate``,
    ``select``, ``correct``: :mod:`madbench.loops.options`). ``reward``: a reward whose mean
    per generation is recorded (:mod:`madbench.loops.rewards`; default the curation's).
    ``log``: experiment trackers the run is sent to as it goes (``tensorboard``, ``wandb``,
    ``mlflow``: :mod:`madbench.trackers`), under ``log_dir`` (default ``logs/<run name>``).
    ``metrics``: what each generation computes (any of prdc, fid, kid, vendi, copying; default
    all). ``features``: the feature space (:mod:`madbench.features.spaces`; default the data
    set's), ``feature_weights`` its weights file where it cannot be found otherwise.
    ``out``: the run directory (default as ``madbench evaluate``; refused if it holds a run).
    ``echo``: called with each progress line (default: silent). ``warn``: called with a
    warning about the protocol's sizes, e.g. an evaluation set too small for its feature
    dimension (default: :func:`warnings.warn`). A class or instance is recorded in
    config.json as ``module:Class``: resuming from the command line needs that class
    importable.
    """
    import warnings

    echo = echo or (lambda line: None)
    spec, model_args, factory = _model_factory(model, dict(model_args or {}))
    loop = _new_loop(
        spec,
        data,
        protocol,
        model_args=model_args,
        metrics=metrics,
        features=features,
        feature_weights=feature_weights,
        out=out,
        data_dir=data_dir,
        threads=threads,
        echo=echo,
        factory=factory,
        reward=reward,
        log=tuple(log),
        log_dir=log_dir,
        **params,
    )
    if loop.p.size_warning():
        (warn or (lambda message: warnings.warn(message, stacklevel=3)))(loop.p.size_warning())
    loop.run_dir.check_new()  # refused before anything says it started
    echo(f"run directory: {loop.run_dir.path}")
    loop.start()
    return load_run(loop.run_dir.path)


def resume(
    path: PathLike,
    *,
    features: str | None = None,
    feature_weights: str | None = None,
    echo: Echo | None = None,
    code: Sequence[str] = (),
    log: Sequence[str] = (),
    log_dir: PathLike | None = None,
) -> Run:
    """Continue the run in directory ``path`` after its last verified generation, as
    ``madbench evaluate --resume`` does. The run is verified before any code its config.json
    names is imported; a feature space from outside madbench is imported only when
    ``features`` names it too, and a reward or correction ``module:function`` only when
    ``code`` lists it (a run's word is not enough). ``echo`` and ``log`` as in
    :func:`evaluate` (a tracker is sent the generations done before first)."""
    from madbench.features.spaces import is_builtin
    from madbench.loops.config import RunConfig
    from madbench.loops.engine import Loop
    from madbench.runs.lock import locked
    from madbench.runs.rundir import RunDir, check_run_data

    run_dir = RunDir(path)
    check_run_data(run_dir, run_dir.config())  # before any file of it is read
    config = RunConfig.from_dict(run_dir.config())  # (plain values: nothing imported)
    with locked(run_dir.path, shared=True):
        run_dir.verify()  # before any code config.json names is imported (model, features)
    named = config.scoring.features
    if not is_builtin(named) and features != named:
        raise InputError(
            f"{run_dir.path} is scored in the feature space {named!r}, code from outside "
            "madbench, which --resume does not import on a run's word: name it yourself, "
            f"--features {named}, to continue"
        )
    from madbench.loops.options import named_code

    for kind, spec, names in named_code(config.protocol, config.scoring.reward):
        if not set(names) <= set(code):
            raise InputError(
                f"{run_dir.path} runs {', '.join(names)} (its {kind}), code from outside "
                "madbench, which --resume does not import on a run's word: name it yourself, "
                f"--{kind} {spec}, to continue"
            )
    echo = echo or (lambda line: None)
    loop = Loop(
        config, run_dir, echo=echo, feature_weights=feature_weights, log=tuple(log),
        log_dir=log_dir,
    )  # fmt: skip
    loop.resume()
    return load_run(run_dir.path)


def _new_loop(
    spec: str,
    data: str,
    protocol: str,
    *,
    model_args: dict,
    metrics,
    out,
    data_dir,
    threads: int,
    echo,
    features: str | None = None,
    feature_weights=None,
    factory=None,
    reward: str | None = None,
    log: tuple[str, ...] = (),
    log_dir=None,
    **params,
):
    """The :class:`~madbench.loops.engine.Loop` of a new run, checked, with nothing written
    yet."""
    from madbench.loops.config import RunConfig, ScoringSettings
    from madbench.loops.protocol import make_protocol
    from madbench.loops.realdata import fit_sizes

    params = fit_sizes(data, data_dir, protocol, params, echo)
    config = RunConfig(  # sizes, seed and threads checked before the numeric code is loaded
        spec,
        model_args,
        data,
        make_protocol(protocol, **params),
        data_dir,
        threads=threads,
        scoring=ScoringSettings(metrics=metrics, features=features, reward=reward),
    )
    from madbench.loops.engine import Loop
    from madbench.runs.rundir import RunDir, default_run_dir

    run_dir = RunDir(out or default_run_dir(config))
    return Loop(
        config,
        run_dir,
        echo=echo,
        factory=factory,
        feature_weights=feature_weights,
        log=log,
        log_dir=log_dir,
    )


def build_leaderboard(
    run_dirs: Iterable[PathLike], out: PathLike, *, alpha: float = defaults.ALPHA
) -> pd.DataFrame:
    """Build the leaderboard folder ``out`` from ``run_dirs`` (as ``madbench leaderboard
    build``); return its rows as a pandas DataFrame."""
    import pandas as pd

    from madbench.leaderboard.publish import build

    return pd.DataFrame(build([str(d) for d in run_dirs], out, alpha))


@dataclass(frozen=True)
class TrainedFeatures:
    """A LeNet feature network trained by :func:`train_features`: its weights file, their
    digest, held-out accuracy, the ``feature_weights`` entry that names them, and the
    manifest it was recorded in (None for a shipped data set, whose manifest is edited by
    hand, in review)."""

    path: str
    digest: str
    accuracy: float
    entry: dict
    recorded_in: Path | None


def train_features(
    data: str,
    *,
    data_dir: str | None = None,
    epochs: int = defaults.LENET_EPOCHS,
    seed: int = 0,
    out: str | None = None,
    progress: bool = False,
) -> TrainedFeatures:
    """Train the LeNet feature network on image data set ``data``'s train split,
    deterministically from ``seed``; write its weights to ``out`` (default
    ``$MADBENCH_HOME/weights/lenet-DATA.pt``), score it on the held-out split, and record it
    as the data set's ``feature_weights`` in the user's manifest."""
    from madbench.data.datasets import get_dataset
    from madbench.data.manifest import set_feature_weights
    from madbench.features.lenet import LeNetFeatures, save_weights, train_lenet
    from madbench.home import user

    dataset = get_dataset(data, data_dir=data_dir)
    if dataset.kind != "image":
        raise InputError(f"{data} is not an image data set; LeNet features are for images")
    train, test = dataset.split("train"), dataset.split("test")
    classes = dataset.classes or 10
    model = train_lenet(
        train.x, train.y, n_classes=classes, epochs=epochs, seed=seed, progress=progress
    )
    path = out or str(user("weights", create=True) / f"lenet-{data}.pt")
    digest = save_weights(model, path)
    accuracy = LeNetFeatures(path, digest, classes).accuracy(test.x, test.y)
    entry = {
        "file": os.path.abspath(path) if out else os.path.basename(path),
        "digest": digest,
        "epochs": epochs,
        "seed": seed,
        "test_accuracy": round(accuracy, 4),
    }
    shipped = dataset.manifest.feature_weights is not None
    recorded = None if shipped else set_feature_weights(data, entry)
    return TrainedFeatures(path, digest, accuracy, entry, recorded)


def make_stats(
    data: PathLike,
    *,
    features: str | None = None,
    feature_weights: str | None = None,
    eval_n: int = 1000,
    seeds: Sequence[int] = (0,),
    k: int = defaults.K,
    data_dir: str | None = None,
    device: str | None = None,
    out: PathLike | None = None,
) -> list[Path]:
    """Write the reference statistics (:mod:`madbench.statsfiles`) of a real set; returns
    the files written.

    ``data``: a data set name, whose held-out samples a run of each of ``seeds`` with
    ``eval_n`` scores against (one file per distinct set of samples: every seed gives the
    same ones where the test split holds no more than ``eval_n``), in the feature space
    ``features`` (default: the data set's, as a run's), files that runs find by themselves;
    or an existing .npy/.npz feature file or image folder (``features``: the image network,
    default ``inception``), a file for ``compute_metrics(STATS, fake)``. ``k``: the radii's
    neighbour count (the runs' k). ``out``: where to write (one file only; default
    :func:`madbench.statsfiles.stats_dir`, where runs look).
    """
    from madbench.digests import array_sha256, file_sha256, folder_sha256
    from madbench.features.spaces import digest, feature_space, pretrained
    from madbench.metrics.reference import real_statistics
    from madbench.statsfiles import StatsKey, save_stats_file, stats_dir

    if out is not None and (
        Path(out).suffix != ".npz"
        or os.path.exists(data)
        and Path(out).resolve() == Path(data).resolve()
    ):
        raise InputError(f"--out {out}: name a new .npz file (stats files are .npz)")
    made: dict[StatsKey, tuple] = {}
    looks_like_a_path = str(data).endswith((".npy", ".npz")) or os.sep in str(data)
    if looks_like_a_path and not os.path.exists(data):
        raise InputError(f"{data}: no such file or folder")
    if os.path.exists(data):
        extractor = pretrained(features or "inception", weights=feature_weights, device=device)
        feats = _features(data, extractor)
        if os.path.isdir(data):
            key = StatsKey(folder_sha256(data), extractor.name, digest(extractor))
        else:
            key = StatsKey(file_sha256(data), "file", None)
        made[key] = (feats, str(data))
    else:
        from madbench.data.datasets import get_dataset
        from madbench.loops.realdata import held_out

        dataset = get_dataset(str(data), data_dir=data_dir)
        if dataset.kind == "text":
            raise InputError(f"{data} holds text: stats files are for vector and image data")
        extractor = feature_space(features, dataset, weights=feature_weights, device=device)
        for seed in seeds:
            x = held_out(dataset, eval_n, seed, echo=lambda line: None)
            key = StatsKey(array_sha256(x), extractor.name, digest(extractor))
            if key not in made:
                made[key] = (extractor(x), f"{data} held-out, eval_n {len(x)}, seed {seed}")
    if out is not None and len(made) > 1:
        raise InputError(f"--out names one file, but {len(made)} sets of samples differ; drop it")
    written = []
    for key, (feats, source) in made.items():
        path = Path(out) if out is not None else stats_dir() / key.filename()
        save_stats_file(path, real_statistics(feats, k=k, device=device), key, source)
        written.append(path)
    return written


@dataclass(frozen=True)
class Rescored:
    """A run scored again (:func:`rescore`): results.csv's rows of its complete generations
    (``recorded``), their re-scored rows (``rows``), and whether the settings were the run's
    own (``same_settings``: only then are the two comparable, and ``differences`` names every
    metric cell that differs)."""

    path: Path
    recorded: list[dict]
    rows: list[dict]
    same_settings: bool

    @property
    def differences(self) -> list[str]:
        from madbench.loops.rescore import differences

        return differences(self.recorded, self.rows) if self.same_settings else []


def rescore(
    path: PathLike,
    *,
    k: int | None = None,
    features: str | None = None,
    feature_weights: str | None = None,
    out: PathLike | None = None,
    **scoring,
) -> Rescored:
    """Score the run at ``path`` again from its kept arrays, verified first (as ``madbench
    rescore``). ``k``, ``features`` and the other :class:`~madbench.loops.config.
    ScoringSettings` fields in ``scoring`` (``strict``, ``kid_subsets``, ``kid_subset_size``,
    ``kid_scale``, ``intervals``) default to the run's own. ``out``: a CSV file, outside the
    run directory, that receives the re-scored rows; the run directory is never written."""
    from madbench.loops.rescore import rescore as rescore_run
    from madbench.runs.rundir import write_results

    if features is not None:
        scoring["features"] = features
    if out is not None and Path(path).resolve() in Path(out).resolve().parents:
        raise InputError(f"--out {out}: choose a file outside the run directory {path}")
    recorded, rows, same = rescore_run(path, k=k, feature_weights=feature_weights, **scoring)
    if out is not None:
        write_results(out, rows)
    return Rescored(Path(path), recorded, rows, same)


@dataclass(frozen=True)
class Reproduction:
    """A suite reproduced (:func:`reproduce`): the suite, its run directories, and, unless only
    a shard ran, its leaderboard folder ``out`` with its ``rows``, its ``claims`` tested
    (:class:`~madbench.leaderboard.claims.ClaimResult`, one Holm-corrected family) and with
    ``check`` the comparison with the published board (``comparison``:
    :class:`~madbench.leaderboard.compare.CellCheck` per cell, ``against``: its CSV)."""

    suite: Suite
    run_dirs: list[Path]
    out: Path | None = None
    rows: list[dict] | None = None
    claims: list[ClaimResult] | None = None
    comparison: list[CellCheck] | None = None
    against: str | None = None

    @property
    def agrees(self) -> bool:
        """Whether every compared cell agrees (True without ``check``)."""
        return all(c.agrees for c in self.comparison or [])


def reproduce(
    suite: str,
    *,
    runs_dir: PathLike | None = None,
    out: PathLike | None = None,
    check: bool = False,
    against: str | None = None,
    shard: str | None = None,
    build_only: bool = False,
    executor: str = "local",
    ray: RayOptions | None = None,
    echo: Echo | None = None,
) -> Reproduction:
    """Run the reproduction suite ``suite`` (``ci``, ``small``, ``paper`` or a YAML file) into
    ``runs_dir`` (default ``runs/SUITE``), build its leaderboard in ``out`` (default
    ``leaderboards/SUITE``) and test its claims (writing ``out/claims.csv``), as ``madbench
    reproduce``. Complete runs are kept, so a second call resumes.

    ``check``: re-run into ``runs/SUITE-check`` (board: ``runs/SUITE-check/leaderboard``) and
    compare with the published board ``against`` (default: ``leaderboards/SUITE`` here, else
    the copy madbench ships) within the spread over seeds. ``shard``: ``"I/N"`` runs every
    N-th run from the I-th and builds nothing; ``build_only``: build from complete runs,
    running none. ``executor``: ``"local"`` (one run after another) or ``"ray"`` (each run a
    Ray task; ``ray``: its :class:`~madbench.ray_executor.RayOptions`). ``echo``: where
    progress lines go (default: nowhere)."""
    from madbench.leaderboard.claims import evaluate_all, write_claims
    from madbench.leaderboard.compare import compare
    from madbench.leaderboard.publish import build, published_board, read_csv
    from madbench.suites import load_suite, missing_runs, parse_shard, run_suite
    from madbench.suites import shard as shard_of

    echo = echo or (lambda line: None)
    if executor not in ("local", "ray"):
        raise InputError(f"executor must be 'local' or 'ray', got {executor!r}")
    if shard is not None and (build_only or check):
        raise InputError("--shard runs part of a suite: give --build-only or --check alone")
    if executor != "ray" and ray is not None:
        raise InputError(
            "Ray options (--address, --cpus-per-run, --gpus-per-run) need --executor ray"
        )
    if executor == "ray" and (shard is not None or build_only):
        raise InputError("--executor ray runs the whole suite: no --shard or --build-only")
    loaded = load_suite(suite)
    name = loaded.name
    published = None
    if check:
        against = against or published_board(name)
        published = read_csv(against)
        runs_dir = runs_dir or f"runs/{name}-check"
        out = out or str(Path(runs_dir) / "leaderboard")
    folder = Path(runs_dir or f"runs/{name}")
    if shard is not None:
        index, count = parse_shard(shard)
        mine = shard_of(loaded.runs, index, count)
        run_suite(mine, folder, echo=echo, shared=True)
        return Reproduction(loaded, [folder / planned.name for planned in mine])
    if build_only:
        missing = missing_runs(loaded.runs, folder)
        if missing:
            runs = f"{len(missing)} run{'' if len(missing) == 1 else 's'}"
            raise InputError(
                f"{runs} of {len(loaded.runs)} not complete in {folder} "
                f"(e.g. {', '.join(missing[:3])}): finish their shards first"
            )
        paths = [folder / planned.name for planned in loaded.runs]
    elif executor == "ray":
        from madbench.ray_executor import RayOptions, run_suite_on_ray

        paths = run_suite_on_ray(loaded.runs, folder, echo, ray or RayOptions())
    else:
        paths = run_suite(loaded.runs, folder, echo=echo)
    out = Path(out or f"leaderboards/{name}")
    rows = build(paths, out)
    claims = evaluate_all(loaded.claims, out, loaded.alpha) if loaded.claims else []
    if claims:
        write_claims(claims, loaded, out)
    comparison = compare(published, rows, defaults.ALPHA) if check else None
    return Reproduction(loaded, paths, out, rows, claims, comparison, against)
