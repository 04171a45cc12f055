"""The one-call Python API (madbench.api), and README's Python API section, executed."""

import re
from pathlib import Path

import numpy as np
import pytest

import madbench
from madbench.checks.references import knn_reference
from madbench.errors import AdapterError, InputError

README = Path(__file__).resolve().parents[1] / "README.md"


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


class Mean:
    def __init__(self, spread=1.0):
        self.spread = spread

    def fit(self, X, *, seed):
        self.mean, self.std = X.mean(0), X.std(0)
        return self

    def sample(self, n, *, bias=1.0, seed):
        rng = np.random.default_rng(seed)
        return self.mean + self.spread * bias * self.std * rng.standard_normal((n, 2))


@pytest.mark.parametrize("model", ["gaussian", Mean, Mean(spread=1.0)], ids=str)
def test_evaluate_takes_a_name_a_class_or_an_instance(tmp_path, model):
    run = madbench.evaluate(model, "gaussian-2", generations=2, n_ini=200, eval_n=100, out=tmp_path)
    frame = run.results
    assert list(frame["generation"]) == [0, 1, 2] and frame["fid"].dtype == float
    assert list(frame.columns[:2]) == ["generation", "status"]
    assert madbench.load_run(tmp_path).rows == run.rows


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
