"""Curation, selection, correction and accumulate-subsample (madbench.loops.feedback): each
generation's training set is re-derived here from the option's definition (the draws of a
model whose samples the test can recompute, the paper's rule, the documented seeds) and must
equal what the run fed back; resume must reproduce it."""

import shutil

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from toy_adapters import Honest

import madbench
from madbench.data.datasets import get_dataset
from madbench.errors import AdapterError, InputError
from madbench.loops import choice
from madbench.loops.config import CORRECT, CURATE, SELECT, SUBSAMPLE, TRAIN_SAMPLES, derived_seed
from madbench.loops.options import parse_option
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir

SIZES = dict(generations=3, n_ini=100, eval_n=60, seed=3)
DIGITS = get_dataset("digits")


def run(tmp_path, name, metrics="prdc", **options):
    fields = {**SIZES, **options}
    return madbench.evaluate(Honest(), "digits", metrics=metrics, out=tmp_path / name, **fields)


def pool():
    drawn = DIGITS.train_pool(SIZES["n_ini"], seed=SIZES["seed"])
    return drawn.x[: SIZES["n_ini"]], drawn.y[: SIZES["n_ini"]]


def draws(training: np.ndarray, t: int, n: int) -> np.ndarray:
    """What Honest, trained on ``training``, draws at generation t, in the data's domain."""
    model = Honest().fit(training, seed=0)
    raw = model.sample(n, seed=derived_seed(SIZES["seed"], t, TRAIN_SAMPLES))
    return DIGITS.domain.apply(raw)[0]


def confidence(samples: np.ndarray) -> np.ndarray:
    """The confidence reward, fitted here: a logistic regression on generation 1's real set."""
    x, y = pool()
    flat = lambda a: a.reshape(len(a), -1).astype(np.float64)  # noqa: E731
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return model.fit(flat(x), y).predict_proba(flat(samples)).max(axis=1)


def fed(run_dir, t: int, name: str = "samples") -> np.ndarray:
    return np.load(run_dir / f"gen-{t:03d}" / f"{name}.npy")


def rng(t: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng(derived_seed(SIZES["seed"], t, purpose))


def trained_on(run_dir, t: int) -> np.ndarray:
    """Generation t's training set (fully synthetic, previous: generation t-1's samples)."""
    return pool()[0] if t == 1 else fed(run_dir, t - 1)


# -- the options, read ---------------------------------------------------------------------------
def test_options_are_stored_in_one_canonical_spelling():
    a = make_protocol("fully-synthetic", curate="bt:k=3,reward=confidence")
    b = make_protocol("fully-synthetic", curate="bt:reward=confidence,beta=1,k=3")
    assert a.curate == b.curate == "bt:beta=1,k=3,reward=confidence"
    assert a.content_hash() == b.content_hash()
    assert make_protocol("fully-synthetic", correct="mypkg.fix:snap").correct == (
        "mypkg.fix:snap,strength=0.5"
    )
    plain = make_protocol("fully-synthetic")
    assert "curate" not in plain.as_dict() and plain.content_hash() == "bb23146b86a6ad58"
    assert a.content_hash() != plain.content_hash()
    assert parse_option("curate", "top:reward=mymod:score").code_names() == ["mymod:score"]


@pytest.mark.parametrize(
    "kind, text, message",
    [
        ("curate", "bradley", "unknown method 'bradley'"),
        ("curate", "bt:k=1", "k '1': must be at least 2"),
        ("curate", "bt:reward=pretty", "unknown reward 'pretty'"),
        ("curate", "top:keep=0", "keep '0': must lie in \\(0, 1\\]"),
        ("select", "kcentre", "did you mean 'kcenter'"),
        ("select", "random:share=x", "not a float"),
        ("correct", "kmeans,strength=1.5", "must lie in \\[0, 1\\]"),
        ("correct", "nearest,clusters=3", "not one of nearest's key=value options"),
        ("correct", "nearest,strength=0.1,strength=0.2", "given twice"),
    ],
)
def test_a_bad_option_says_what_to_fix(kind, text, message):
    with pytest.raises(InputError, match=message):
        make_protocol("fully-synthetic", **{kind: text})


def test_accumulate_subsample_keeps_one_training_size():
    p = make_protocol("fully-synthetic", source="accumulate-subsample", generations=4)
    assert p.training_sizes() == [1000] * 4 and p.size_warning() is None
    assert p.synthetic_sources(4) == [1, 2, 3]


# -- the choices -------------------------------------------------------------------------------
def test_bradley_terry_chooses_with_the_softmax_probabilities():
    rewards = np.tile([0.0, 1.0, 2.0], 60_000)
    chosen = choice.bradley_terry(rewards, 3, 0.5, np.random.default_rng(0)) % 3
    expected = np.exp(0.5 * np.arange(3)) / np.exp(0.5 * np.arange(3)).sum()
    observed = np.bincount(chosen, minlength=3) / len(chosen)
    assert np.abs(observed - expected).max() < 4 * np.sqrt(0.25 / len(chosen))
    huge = choice.bradley_terry(np.array([0.0, 1e6, 0.0, -1e6]), 2, 1.0, np.random.default_rng(1))
    assert huge.tolist() == [1, 2]  # no overflow: the best of each pair, surely


def test_k_center_picks_the_farthest_points_first():
    line = np.arange(11, dtype=float)[:, None]
    kept = choice.k_center(line, 3, np.random.default_rng(0))
    assert np.random.default_rng(0).integers(11) == 9  # the seeded first point, then 0, then 4
    assert kept.tolist() == [0, 4, 9]  # 4 and 5 are both 4 from the kept: the earlier
    assert choice.top(np.array([3.0, 1.0, 3.0, 2.0]), 2).tolist() == [0, 2]  # ties: earlier
    assert choice.threshold(
        np.array([1.0, 0.2, 1.5]), 1.0, 5, np.random.default_rng(0)
    ).tolist() == [0, 2]


# -- each option's training sets ----------------------------------------------------------------
def test_top_curation_feeds_back_the_best_draws(tmp_path):
    out = run(tmp_path, "top", curate="top:reward=confidence,keep=0.25").path
    for t in (1, 2):
        drawn = draws(trained_on(out, t), t, 400)
        kept = np.sort(np.argsort(-confidence(drawn), kind="stable")[:100])
        assert np.array_equal(fed(out, t, "kept_index"), kept)
        assert np.array_equal(fed(out, t), drawn[kept])
    rows = madbench.load_run(out).rows
    assert [r["n_drawn"] for r in rows] == ["", "400", "400", "400"]
    assert [r["n_train_synth"] for r in rows[1:]] == ["0", "100", "100"]
    evaluation = np.load(out / "gen-002" / "eval_samples.npy")
    assert float(rows[2]["reward"]) == pytest.approx(confidence(evaluation).mean(), abs=1e-9)


def test_bradley_terry_curation_draws_one_of_each_k(tmp_path):
    out = run(tmp_path, "bt", curate="bt:reward=confidence,k=4,beta=3").path
    for t in (1, 2):
        drawn = draws(trained_on(out, t), t, 400)
        weights = np.exp(3 * confidence(drawn)).reshape(100, 4)
        cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        u = rng(t, CURATE).random(100)
        within = [
            int(np.searchsorted(c, x, side="right")) for c, x in zip(cumulative, u, strict=True)
        ]
        kept = 4 * np.arange(100) + np.minimum(within, 3)
        assert np.array_equal(fed(out, t, "kept_index"), kept)
        assert np.array_equal(fed(out, t), drawn[kept])


def test_selection_keeps_n_synth_of_the_draws(tmp_path):
    out = run(tmp_path, "random", select="random:share=0.5").path
    drawn = draws(pool()[0], 1, 200)
    kept = np.sort(rng(1, SELECT).choice(200, size=100, replace=False))
    assert np.array_equal(fed(out, 1), drawn[kept])
    out = run(tmp_path, "kcenter", select="kcenter:share=0.5,features=identity").path
    for t in (1, 2):
        drawn = draws(trained_on(out, t), t, 200)
        x = drawn.reshape(200, -1).astype(np.float64)
        first = int(rng(t, SELECT).integers(200))
        kept, nearest = [first], np.linalg.norm(x - x[first], axis=1)
        while len(kept) < 100:
            kept.append(int(np.argmax(nearest)))
            nearest = np.minimum(nearest, np.linalg.norm(x - x[kept[-1]], axis=1))
        assert np.array_equal(fed(out, t, "kept_index"), np.sort(kept))


def test_correction_replaces_a_share_by_the_nearest_real_sample(tmp_path):
    out = run(tmp_path, "nearest", correct="nearest,strength=0.3").path
    real = pool()[0].reshape(100, -1)
    for t in (1, 2):
        drawn = draws(trained_on(out, t), t, 100)
        which = np.sort(rng(t, CORRECT).permutation(100)[:30])
        assert np.array_equal(fed(out, t, "corrected"), which)
        samples = fed(out, t)
        untouched = np.setdiff1d(np.arange(100), which)
        assert np.array_equal(samples[untouched], drawn[untouched])
        distances = ((drawn[which].reshape(30, 1, -1) - real[None]) ** 2).sum(axis=2)
        assert np.array_equal(samples[which].reshape(30, -1), real[distances.argmin(axis=1)])


def test_kmeans_correction_snaps_to_centres_of_the_real_classes(tmp_path):
    out = run(tmp_path, "kmeans", correct="kmeans,strength=1,clusters=2").path
    samples = fed(out, 1).reshape(100, -1)
    assert len(np.unique(samples, axis=0)) <= 2 * 10  # 2 centres for each of 10 classes
    x, y = pool()
    x = x.reshape(100, -1)
    for row in np.unique(samples, axis=0)[:5]:  # each is (a quantised) centre of a class
        cls = [c for c in range(10) if np.abs(x[y == c].mean(0) - row).max() < 16]
        assert cls


def test_accumulate_subsample_draws_n_synth_of_everything_accumulated(tmp_path):
    out = run(tmp_path, "subsample", source="accumulate-subsample", generations=4).path
    pooled = np.concatenate([fed(out, 1), fed(out, 2)])
    chosen = np.sort(rng(3, SUBSAMPLE).choice(200, size=100, replace=False))
    drawn = draws(pooled[chosen], 3, 100)
    assert np.array_equal(fed(out, 3), drawn)  # generation 3 trained on exactly that draw
    rows = madbench.load_run(out).rows
    assert [r["n_train_synth"] for r in rows[1:]] == ["0", "100", "100", "100"]


def test_resume_feeds_back_the_same_samples(tmp_path):
    options = dict(
        curate="top:reward=confidence,keep=0.5", select="kcenter", correct="nearest",
        source="accumulate-subsample", metrics="prdc,copying",
    )  # fmt: skip
    whole = run(tmp_path, "whole", **options)
    shutil.copytree(whole.path, tmp_path / "cut")
    shutil.rmtree(tmp_path / "cut" / "gen-002")
    shutil.rmtree(tmp_path / "cut" / "gen-003")
    lines = (tmp_path / "cut" / "results.csv").read_text().splitlines(keepends=True)
    (tmp_path / "cut" / "results.csv").write_text("".join(lines[:3]))
    resumed = madbench.resume(tmp_path / "cut")
    timing = ("fit_seconds", "sample_seconds", "metric_seconds")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for r in rows]  # noqa: E731
    assert strip(resumed.rows) == strip(whole.rows)
    for t in (2, 3):
        kept = ("samples", "kept_index", "corrected", *(("reference_samples",) * (t < 3)))
        for name in kept:
            assert np.array_equal(fed(whole.path, t, name), fed(resumed.path, t, name))


# -- what is refused ---------------------------------------------------------------------------
def test_bad_rewards_and_corrections_are_refused_or_fail_the_generation(tmp_path):
    with pytest.raises(InputError, match="gaussian-2 has no labels"):
        madbench.evaluate(Honest(), "gaussian-2", curate="top", out=tmp_path / "a", **SIZES)
    with pytest.raises(InputError, match="cannot import 'nowhere'"):
        run(tmp_path, "b", curate="top:reward=nowhere:score")
    assert not (tmp_path / "b").exists()
    with pytest.raises(AdapterError, match="returned shape \\(3,\\) for 4 samples"):
        run(tmp_path, "c", curate="top:reward=test_feedback:three_rewards")
    with pytest.raises(AdapterError, match="must return finite samples of the same shape"):
        run(tmp_path, "c", correct="test_feedback:three_rewards")
    assert not (tmp_path / "c").exists()
    with pytest.raises(AdapterError, match="feedback\\(\\) raised ValueError\\('too many'"):
        run(tmp_path, "d", curate="top:reward=test_feedback:fails_on_many")
    row = RunDir(tmp_path / "d").rows()[-1]
    assert row["status"] == "failed" and row["generation"] == "1"


def three_rewards(samples):
    return np.ones(3)


def fails_on_many(samples):
    if len(samples) > 100:
        raise ValueError("too many")
    return samples.reshape(len(samples), -1).mean(axis=1)


def test_the_command_line_says_what_to_fix(tmp_path, capsys):
    from madbench.cli import main

    code = main(["evaluate", "--model", "gmm", "--data", "digits", "--curate", "bt:k=x"])
    err = capsys.readouterr().err
    assert code == 2 and "k 'x': not a int" in err and err.count("\n") == 1


def test_resume_imports_a_run_s_own_code_only_when_named_again(tmp_path, capsys):
    from madbench.cli import main

    spec = "top:keep=0.5,reward=test_feedback:mean_pixel"
    run(tmp_path, "own", curate=spec, generations=1)
    shutil.rmtree(tmp_path / "own" / "gen-001")
    lines = (tmp_path / "own" / "results.csv").read_text().splitlines(keepends=True)
    (tmp_path / "own" / "results.csv").write_text("".join(lines[:2]))
    with pytest.raises(InputError, match="name it yourself, --curate top:keep=0.5,reward="):
        madbench.resume(tmp_path / "own")
    assert main(["evaluate", "--resume", str(tmp_path / "own"), "--curate", spec]) == 0
    assert len(madbench.load_run(tmp_path / "own").rows) == 2


def mean_pixel(samples):
    return samples.reshape(len(samples), -1).mean(axis=1)


def test_a_curated_run_is_paired_with_the_plain_one_by_seed(tmp_path):
    plain = run(tmp_path, "plain", reward="confidence").rows
    curated = run(tmp_path, "curated", curate="top:reward=confidence,keep=0.5").rows
    same = ("precision", "recall", "fid", "reward", "n_train")
    assert [plain[t][k] for t in (0, 1) for k in same] == [
        curated[t][k] for t in (0, 1) for k in same
    ]  # generation 1 trains on the same real rows, so it is the same model and row
    assert plain[2]["reward"] != curated[2]["reward"] and plain[1]["n_drawn"] == ""


def test_kmeans_correction_of_a_conditional_model_snaps_within_each_class(tmp_path):
    from toy_adapters import ClassMeans

    fields = {**SIZES, "correct": "kmeans,strength=1,clusters=1"}
    out = madbench.evaluate(ClassMeans(), "digits", metrics="prdc", out=tmp_path / "c", **fields)
    x, y = pool()
    labels = fed(out.path, 1, "labels")
    means = {c: DIGITS.domain.apply(x[y == c].mean(axis=0))[0] for c in np.unique(y)}
    # one cluster per class: its centre is the class's mean, and each sample snaps to its own
    assert all(np.array_equal(s, means[c]) for s, c in zip(fed(out.path, 1), labels, strict=True))


def test_bradley_terry_gives_an_infinite_reward_its_group(tmp_path):
    rewards = np.array([1.0, np.inf, 2.0, np.inf, np.inf, 0.0, 1.0, 2.0, 3.0])
    chosen = choice.bradley_terry(rewards, 3, 1.0, np.random.default_rng(0))
    assert chosen[0] == 1 and chosen[1] in (3, 4) and 6 <= chosen[2] <= 8


def test_threshold_selection_keeps_the_realistic_draws(tmp_path):
    from madbench.metrics.knn import knn_metrics

    out = run(tmp_path, "threshold", select="threshold:realism=0.5,share=0.5,features=identity")
    drawn = draws(pool()[0], 1, 200)
    flat = lambda a: a.reshape(len(a), -1).astype(np.float64)  # noqa: E731
    realism = knn_metrics(flat(pool()[0]), flat(drawn), k=5, realism=True).realism
    passing = np.flatnonzero(realism >= 0.5)
    kept = (
        passing
        if len(passing) <= 100
        else np.sort(rng(1, SELECT).choice(passing, 100, replace=False))
    )
    assert np.array_equal(fed(out.path, 1, "kept_index"), kept)
    assert 0 < len(kept) < 200 and out.rows[2]["n_train_synth"] == str(len(kept))
    with pytest.raises(AdapterError, match="kept none of generation 1's 200 draws"):
        run(tmp_path, "none", select="threshold:realism=1e9,features=identity")
