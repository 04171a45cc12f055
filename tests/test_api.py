"""The one-call Python API (madbench.api), and README's Python API section, executed."""

import re
from pathlib import Path

import numpy as np
import pytest

import madbench
from madbench.checks.references import knn_reference
from madbench.errors import AdapterError, DataFileError, InputError

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow  # about 8 s: every Python block of README, loops included
def test_readme_python_blocks_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    section = README.read_text().split("## Python API")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2
    namespace = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "runs" / "api-demo" / "results.csv").exists()
    assert list(namespace["run"].results["generation"]) == [0, 1, 2, 3]
    assert set(namespace["prdc"]) >= {"precision", "recall"} and "fid" not in namespace["prdc"]
    assert len(namespace["board"]) == 1


def test_compute_metrics_equals_the_reference_and_selects(tmp_path):
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((300, 5)), 1.3 * rng.standard_normal((250, 5))
    expected = knn_reference(real, fake, 5)
    got = madbench.compute_metrics(real, fake, metrics="prdc")
    assert {key: got[key] for key in expected} == pytest.approx(expected, abs=1e-12)
    assert "fid" not in got and "kid" not in got
    np.save(tmp_path / "fake.npy", fake)
    both = madbench.compute_metrics(real, tmp_path / "fake.npy")
    assert both["precision"] == got["precision"] and {"fid", "kid", "kid_std"} <= set(both)
    with pytest.raises(InputError, match="unknown metrics"):
        madbench.compute_metrics(real, fake, metrics="prdc,is")
    with pytest.raises(InputError, match="kid_scale must be one of real-norm, none, got 'l2'"):
        madbench.compute_metrics(real, fake, metrics="kid", kid_scale="l2")
    from madbench.metrics.kid import kid, real_norm_scale

    scaled = madbench.compute_metrics(real, fake, metrics="kid", kid_scale="real-norm")
    assert scaled["kid"] == kid(real, fake, feature_scale=real_norm_scale(real)).mean


class Mean:
    def __init__(self, spread=1.0):
        self.spread = spread

    def fit(self, X, *, seed):
        self.mean, self.std = X.mean(0), X.std(0)
        return self

    def sample(self, n, *, bias=1.0, seed):
        rng = np.random.default_rng(seed)
        return self.mean + self.spread * bias * self.std * rng.standard_normal((n, 2))


@pytest.mark.parametrize(
    "model", ["gaussian", Mean, Mean(spread=1.0)], ids=["name", "class", "instance"]
)
def test_evaluate_takes_a_name_a_class_or_an_instance(tmp_path, model):
    run = madbench.evaluate(model, "gaussian-2", generations=2, n_ini=200, eval_n=100, out=tmp_path)
    frame = run.results
    assert list(frame["generation"]) == [0, 1, 2] and frame["fid"].dtype == float
    assert list(frame.columns[:2]) == ["generation", "status"]


def test_a_class_and_an_instance_of_it_run_the_same_loop(tmp_path):
    """An instance is recorded by its constructor arguments and rebuilt from them: the same
    numbers as the class built with those arguments (wall-clock timings aside)."""
    params = dict(generations=2, n_ini=200, eval_n=100)
    by_class = madbench.evaluate(
        Mean, "gaussian-2", model_args={"spread": 0.8}, out=tmp_path / "c", **params
    )
    by_instance = madbench.evaluate(Mean(spread=0.8), "gaussian-2", out=tmp_path / "i", **params)
    timing = ("fit_seconds", "sample_seconds", "metric_seconds")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for r in rows]  # noqa: E731
    assert strip(by_class.rows) == strip(by_instance.rows)
    assert by_class.config["model_args"] == by_instance.config["model_args"] == {"spread": 0.8}


def test_evaluate_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(AdapterError, match="needs fit\\(\\) and sample\\(\\)"):
        madbench.evaluate(object(), "gaussian-2", out=tmp_path / "a")
    with pytest.raises(AdapterError, match="cannot be built with"):
        madbench.evaluate(Mean, "gaussian-2", model_args={"depth": 2}, out=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_loop_computes_only_the_metrics_asked_for(tmp_path, capsys):
    from madbench.cli import main
    from madbench.loops.rescore import differences, rescore

    run = madbench.evaluate(
        "gaussian", "gaussian-2", generations=2, n_ini=200, eval_n=100, metrics="prdc", out=tmp_path
    )
    frame = run.results
    assert frame["precision"].notna().all() and frame["precision_ci_low"].notna().all()
    assert frame[["fid", "kid", "fid_ci_low"]].isna().all().all()
    assert run.config["scoring"]["metrics"] == ["prdc"]
    recorded, rows, same = rescore(tmp_path)
    assert same and differences(recorded, rows) == []
    whole = madbench.evaluate("gaussian", "gaussian-2", generations=1, out=tmp_path / "all")
    assert "metrics" not in whole.config["scoring"]  # all: recorded as before, same hash
    assert main(["evaluate", "--resume", str(tmp_path)]) == 0
    assert "fid" not in capsys.readouterr().out.splitlines()[-4]


def test_an_instance_is_recorded_by_its_arguments_and_resumes_to_the_same_rows(tmp_path, capsys):
    """The instance's constructor arguments go to config.json; the command line's --resume,
    after the last generation is removed, rebuilds that model and gives the same rows."""
    import shutil

    from toy_adapters import ShrunkMixture

    from madbench.cli import main

    run = madbench.evaluate(
        ShrunkMixture(n_components=2, shrink=0.5), "digits", generations=3, n_ini=300,
        eval_n=200, metrics="prdc,fid", out=tmp_path / "run",
    )  # fmt: skip
    assert run.config["model"] == "toy_adapters:ShrunkMixture"
    assert run.config["model_args"] == {"n_components": 2, "shrink": 0.5}
    shutil.rmtree(tmp_path / "run" / "gen-003")
    lines = (tmp_path / "run" / "results.csv").read_text().splitlines(keepends=True)
    (tmp_path / "run" / "results.csv").write_text("".join(lines[:-1]))
    assert main(["evaluate", "--resume", str(tmp_path / "run")]) == 0
    timing = {"fit_seconds", "sample_seconds", "metric_seconds"}
    untimed = [[{k: v for k, v in row.items() if k not in timing} for row in rows] for rows in
               (madbench.load_run(tmp_path / "run").rows, run.rows)]  # fmt: skip
    assert untimed[0] == untimed[1]
    default = madbench.evaluate(
        ShrunkMixture(), "digits", generations=1, n_ini=300, eval_n=200, metrics="prdc,fid",
        out=tmp_path / "default",
    )  # fmt: skip
    assert default.rows[1]["fid"] != run.rows[1]["fid"]  # the arguments matter


@pytest.mark.parametrize(
    "instance,reason",
    [("HidesItsArguments", "parameter 'scale' is not kept as self.scale"),
     ("TakesAFunction", "argument 'transform' is a ufunc, not a plain value")],
)  # fmt: skip
def test_an_instance_whose_arguments_cannot_be_recorded_is_refused(tmp_path, instance, reason):
    import toy_adapters

    with pytest.raises(AdapterError) as info:
        madbench.evaluate(getattr(toy_adapters, instance)(), "gaussian-2", out=tmp_path / "r")
    message = str(info.value)
    assert reason in message and f"evaluate({instance}, data, model_args=" in message
    assert not (tmp_path / "r").exists()


def test_instances_read_back_through_get_params_and_dataclass_fields():
    from dataclasses import dataclass

    from madbench.adapters import instance_args
    from madbench.generators.gmm import GMMGenerator

    @dataclass
    class Spread:
        width: float = 1.0
        tags: tuple = ("a", "b")

    assert instance_args(Spread(width=np.float64(2.5))) == {"width": 2.5, "tags": ["a", "b"]}

    class SklearnStyle:
        def __init__(self, alpha=0.1):
            self.a = alpha

        def get_params(self, deep=True):
            return {"alpha": self.a}

    assert instance_args(SklearnStyle(alpha=3)) == {"alpha": 3}
    assert instance_args(GMMGenerator(n_components=3)) == {
        "n_components": 3, "reg_covar": 1e-4, "max_iter": 200
    }  # fmt: skip


def test_resume_continues_a_run_and_evaluate_warns_of_confounded_sizes(tmp_path, monkeypatch):
    """madbench.resume finishes an interrupted run to what an uninterrupted one gives;
    evaluate warns (as the CLI does) when generation 1 trains on another size than later ones,
    and refuses a directory that already holds a run."""
    from madbench.runs.rundir import RunDir

    params = dict(generations=3, n_ini=200, eval_n=100)
    whole = madbench.evaluate("gaussian", "gaussian-2", out=tmp_path / "whole", **params)
    original = RunDir.write_rows

    def crash(self, rows):
        if len(rows) == 3:
            raise KeyboardInterrupt
        original(self, rows)

    with monkeypatch.context() as patch:
        patch.setattr(RunDir, "write_rows", crash)
        with pytest.raises(KeyboardInterrupt):
            madbench.evaluate("gaussian", "gaussian-2", out=tmp_path / "cut", **params)
    resumed = madbench.resume(tmp_path / "cut")
    timing = ("fit_seconds", "sample_seconds", "metric_seconds")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for r in rows]  # noqa: E731
    assert len(resumed.rows) == 4 and strip(resumed.rows) == strip(whole.rows)
    with pytest.warns(UserWarning, match="size and generation effects are confounded"):
        madbench.evaluate("gaussian", "gaussian-2", out=tmp_path / "w", n_synth=100, **params)
    with pytest.raises(DataFileError, match="already holds a run"):
        madbench.evaluate("gaussian", "gaussian-2", out=tmp_path / "whole", **params)


def test_rescore_compares_with_the_run_or_writes_new_rows(tmp_path):
    """madbench.rescore: with the run's own settings every metric re-derives (no
    differences; a cell that differs is named); other settings write their rows to ``out`` and
    compare nothing; ``out`` inside the run directory is refused."""
    run = madbench.evaluate(
        "gaussian", "gaussian-2", out=tmp_path / "run", generations=2, n_ini=100, eval_n=64
    )
    again = madbench.rescore(run.path)
    assert again.same_settings and again.differences == [] and len(again.rows) == 3
    recorded = [dict(r) for r in again.recorded]
    recorded[1]["precision"] = "0.123"  # (an edited results.csv is refused by verification)
    edited = madbench.Rescored(run.path, recorded, again.rows, True)
    assert len(edited.differences) == 1 and "precision" in edited.differences[0]
    other = madbench.rescore(run.path, k=3, intervals=0, out=tmp_path / "k3.csv")
    assert not other.same_settings and other.differences == []
    assert (tmp_path / "k3.csv").read_text().count("\n") == 4  # header and 3 rows
    assert {r["k"] for r in other.rows} == {3}
    with pytest.raises(InputError, match="outside the run directory"):
        madbench.rescore(run.path, k=3, out=tmp_path / "run" / "mine.csv")


def test_reproduce_runs_a_suite_builds_its_board_and_tests_its_claims(tmp_path, without_plots):
    """madbench.reproduce, the library call behind ``madbench reproduce``: runs, a board,
    the claims tested and written, a second call keeps the complete runs, and ``check``
    compares a board with a published one (a fresh re-run's: the slow CLI test in
    test_leaderboard.py)."""
    suite = tmp_path / "mini.yaml"
    suite.write_text(
        "name: mini\nexperiments:\n"
        "  - {name: g, model: gaussian, data: gaussian-3, protocol: fully-synthetic,\n"
        "     params: {generations: 2, n_ini: 40, eval_n: 40}, seeds: [0, 1],\n"
        "     scoring: {intervals: 0}}\n"
        "claims:\n"
        "  - {text: the variance shrinks, test: trend, metric: trace_cov, direction: down,\n"
        "     arm: {data: gaussian-3, protocol: fully-synthetic}}\n"
    )
    with without_plots():  # the board's tables are what this test reads
        lines = []
        done = madbench.reproduce(
            str(suite), runs_dir=tmp_path / "runs", out=tmp_path / "lb", echo=lines.append
        )
        assert len(done.run_dirs) == 2 and len(done.rows) == 1 and done.comparison is None
        assert [c.claim.text for c in done.claims] == ["the variance shrinks"]
        assert (tmp_path / "lb" / "claims.csv").is_file() and any("running" in x for x in lines)
        lines.clear()
        madbench.reproduce(
            str(suite), runs_dir=tmp_path / "runs", out=tmp_path / "lb", echo=lines.append
        )
        assert not any("running" in x for x in lines)
        checked = madbench.reproduce(  # built from the kept runs, compared with the first board
            str(suite),
            check=True,
            build_only=True,
            against=str(tmp_path / "lb" / "leaderboard.csv"),
            runs_dir=tmp_path / "runs",
            out=tmp_path / "again",
        )
        assert checked.agrees and checked.comparison and checked.out == tmp_path / "again"
    with pytest.raises(InputError, match="--shard runs part of a suite"):
        madbench.reproduce(str(suite), shard="1/2", build_only=True)
