"""A loop's per-generation metric time with the held-out set's statistics made once
(:mod:`madbench.metrics.reference`, read from a ``madbench stats make`` file) against the
same scores with every real-side quantity recomputed each generation (madbench before
stats files: the real k-NN radii, Gaussian and KID kernel), on 4000 of Fashion-MNIST's
held-out images in LeNet's feature space, scored without intervals (``intervals: 0``, as
large evaluations are; the half-sample replicates draw new real subsets each generation,
so little of their work is the real set's alone).

Targets: the per-generation time falls with the stored statistics (they remove one of KID's
three n x n kernels and one of the k-NN metrics' three neighbour searches, about a fifth of
the work), every score is equal to the last bit, and the run's start (the held-out set's
features and statistics) is faster from the file than computed.
"""

import numpy as np
import pytest
from conftest import report, timing

from madbench.api import make_stats
from madbench.features.spaces import feature_space
from madbench.loops.config import RunConfig, ScoringSettings
from madbench.loops.protocol import make_protocol
from madbench.loops.realdata import RealData
from madbench.loops.scoring import Scorer, stats_key, stored_statistics

EVAL_N, GENERATIONS, SEED = 4000, 3, 0
DATA = "fashion-mnist"


@pytest.fixture(scope="module")
def setting(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("MADBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
    protocol = make_protocol("fully-synthetic", eval_n=EVAL_N, seed=SEED)
    config = RunConfig("gmm", {}, DATA, protocol, scoring=ScoringSettings(intervals=0))
    real = RealData(config, echo=lambda line: None)
    extractor = feature_space(None, real.dataset)
    rng = np.random.default_rng(1)
    pool = real.dataset.split("train", n=GENERATIONS * EVAL_N, seed=2).x
    noise = [0.05 * g * rng.standard_normal((EVAL_N, 28, 28)) for g in range(GENERATIONS)]
    generated = [
        np.clip(pool[g * EVAL_N : (g + 1) * EVAL_N] + noise[g], 0, 1).astype(np.float32)
        for g in range(GENERATIONS)
    ]
    return config, real, extractor, generated


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def scores(scorer, generated):
    return [
        {k: v for k, v in scorer.score(x, interval_seed=g).items() if k != "metric_seconds"}
        for g, x in enumerate(generated)
    ]


def start(config, real, extractor):
    stored = stored_statistics(real, extractor, echo=lambda line: None)
    return Scorer(real, config.protocol.k, config.scoring, SEED, extractor, stored)


def test_stats_file_is_written(setting):
    config, real, extractor, _ = setting
    assert stats_key(real, extractor) is not None
    (path,) = make_stats(DATA, eval_n=EVAL_N, seeds=[SEED])
    assert path.is_file()


def test_start_from_the_file(timed, setting, values):
    values["stored"] = timed("start_stored", start, *setting[:3], rounds=3)


def test_start_computed(timed, setting, values, monkeypatch):
    monkeypatch.setenv("MADBENCH_CACHE", "/nonexistent-madbench-cache")
    values["computed"] = timed("start_computed", start, *setting[:3], rounds=3)


def test_generations_stored(timed, setting, values):
    values["with"] = timed("gens_stored", scores, values["stored"], setting[3], rounds=3)


def test_generations_recomputed(timed, setting, values):
    scorer = values["computed"]
    scorer.real_stats = None  # every real-side quantity recomputed in each generation
    values["without"] = timed("gens_recomputed", scores, scorer, setting[3], rounds=3)


def test_ratio_and_identical_scores(values):
    per_gen = timing("gens_stored") / GENERATIONS, timing("gens_recomputed") / GENERATIONS
    starts = timing("start_stored"), timing("start_computed")
    report(
        f"{DATA} held-out n={EVAL_N}, LeNet features, {GENERATIONS} generations: per-generation "
        f"metrics {per_gen[0]:.3f} s with stored statistics, {per_gen[1]:.3f} s recomputed "
        f"({per_gen[0] / per_gen[1]:.2f} of it); run start {starts[0]:.3f} s from the file, "
        f"{starts[1]:.3f} s computed"
    )
    for stored, recomputed in zip(values["with"], values["without"], strict=True):
        assert stored.keys() == recomputed.keys()
        for key, value in stored.items():  # every cell, to the last bit (NaN where both are)
            assert value == recomputed[key] or (
                value != value and recomputed[key] != recomputed[key]
            ), key
    assert np.array_equal(values["stored"].real_features, values["computed"].real_features)
    assert per_gen[0] < per_gen[1]
    assert starts[0] < starts[1]
