"""Self-consuming loops on text: the n-gram LM and an outside character model through the
engine, with kept documents, rescoring and resume, on a small text set written here."""

import sys
import textwrap

import numpy as np
import pytest
import yaml

import madbench
from madbench.adapters import check_adapter, check_samples
from madbench.data import manifest as manifests
from madbench.data.text import is_text
from madbench.errors import AdapterError
from madbench.generators.ngram import NgramLM
from madbench.runs.rundir import RunDir

WORDS = "the a one cat dog bird sat ran slept on under near mat log tree and".split()
SMALL = dict(n_ini=240, eval_n=36, generations=2, metrics="prdc,fid,vendi")


@pytest.fixture
def tiny_text(tmp_path, monkeypatch):
    """A fortune-format text set of 360 seeded sentences, as a user's data set."""
    rng = np.random.default_rng(0)
    sentences = [" ".join(rng.choice(WORDS, size=rng.integers(4, 10))) + " ." for _ in range(360)]
    data = "".join(f"{s}\n%\n" for s in sentences).encode()
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "sentences").write_bytes(data)
    raw = yaml.safe_load(manifests.manifest_path("fortunes").read_text())
    raw.update(
        name="tiny-text",
        location=str(folder),
        files={"sentences": manifests.file_entry("sentences", data, (360,))},
        splits={"train": {"n": 324}, "test": {"n": 36}},
    )
    (tmp_path / "home" / "manifests").mkdir(parents=True)
    (tmp_path / "home" / "manifests" / "tiny-text.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    return "tiny-text"


def timeless(rows):
    return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in rows]


def test_an_ngram_loop_keeps_documents_and_rescores_them(tiny_text, tmp_path):
    options = {**SMALL, "metrics": "prdc,fid,vendi,copying"}  # copying: exact and near copies
    run = madbench.evaluate("ngram", tiny_text, model_args={"order": 2}, out=tmp_path, **options)
    assert [r["status"] for r in run.rows] == ["ok"] * 3 and run.rows[1]["features"] == "tfidf"
    kept = RunDir(run.path).load_array(1, "eval_samples")
    assert is_text(kept) and kept.shape == (36,)
    rescored = madbench.rescore(run.path)  # the text statistics too, from the kept documents
    assert rescored.same_settings and rescored.differences == []
    frame = run.results
    assert frame["vocabulary"].notna().all() and frame["distinct_2"].between(0, 1).all()
    assert frame["mauve"].between(0, 1).all()  # in the run's tfidf space, rescored equal
    assert np.isnan(frame["near_copies"][0]) and frame["near_copies"][1:].between(0, 1).all()
    assert (frame["exact_copies"][1:] <= frame["near_copies"][1:]).all()
    assert np.isnan(frame["perplexity"][0]) and (frame["perplexity"][1:] > 1).all()
    assert frame["tail_mass"][1] == pytest.approx(2 / 36)  # above the 95th of 36 documents
    gaussian = madbench.evaluate(
        "gaussian", "gaussian-2", generations=1, n_ini=200, eval_n=100, out=tmp_path / "vectors"
    )
    assert gaussian.results[["vocabulary", "perplexity"]].isna().all().all()


def test_a_failed_text_generation_resumes_to_the_uninterrupted_rows(
    tiny_text, tmp_path, monkeypatch
):
    whole = madbench.evaluate("ngram", tiny_text, out=tmp_path / "whole", **SMALL)
    fit, calls = NgramLM.fit, []

    def interrupted(self, X, *, seed=0):
        calls.append(seed)
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return fit(self, X, seed=seed)

    monkeypatch.setattr(NgramLM, "fit", interrupted)
    with pytest.raises(AdapterError, match="interrupted"):
        madbench.evaluate("ngram", tiny_text, out=tmp_path / "broken", **SMALL)
    monkeypatch.setattr(NgramLM, "fit", fit)
    resumed = madbench.resume(tmp_path / "broken")
    assert timeless(resumed.rows) == timeless(whole.rows)


CHAR_LM = '''
    """A character bigram LM that knows nothing of madbench."""
    import numpy as np


    class CharLM:
        data_kinds = ("text",)

        def __init__(self, smoothing=0.5):
            self.smoothing = smoothing

        def fit(self, X, *, seed=0):
            text = "".join("\\x02" + d + "\\x03" for d in X)
            self.chars = sorted(set(text))
            index = {c: i for i, c in enumerate(self.chars)}
            ids = np.array([index[c] for c in text])
            counts = np.full((len(self.chars),) * 2, self.smoothing)
            np.add.at(counts, (ids[:-1], ids[1:]), 1)
            self.p = counts / counts.sum(axis=1, keepdims=True)
            self.start, self.stop = index["\\x02"], index["\\x03"]
            return self

        def sample(self, n, *, bias=1.0, seed=0):
            rng = np.random.default_rng(seed)
            p = self.p ** (1 / bias)
            p /= p.sum(axis=1, keepdims=True)
            out = []
            for _ in range(n):
                c, doc = self.start, []
                while len(doc) < 200:
                    c = rng.choice(len(self.chars), p=p[c])
                    if c in (self.stop, self.start):
                        break
                    doc.append(self.chars[c])
                out.append("".join(doc))
            return out
'''


def test_an_outside_text_model_runs_through_check_adapter_and_a_loop(
    tiny_text, tmp_path, monkeypatch
):
    package = tmp_path / "pkgs" / "mypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lm.py").write_text(textwrap.dedent(CHAR_LM))
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    monkeypatch.delitem(sys.modules, "mypkg", raising=False)
    assert check_adapter("mypkg.lm:CharLM") == []
    run = madbench.evaluate("mypkg.lm:CharLM", tiny_text, out=tmp_path / "run", **SMALL)
    assert [r["status"] for r in run.rows] == ["ok"] * 3
    assert float(run.rows[2]["fid"]) > float(run.rows[0]["fid"])


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("one string", "returned str; text models return a list or 1-D array of str"),
        (["a", "b"], "returned 2 documents, expected 3"),
        (["a", 2, "c"], "returned a int among its documents, not str"),
        (np.array([["a"], ["b"], ["c"]]), "returned 3 documents, expected 3"),
    ],
)
def test_text_samples_are_checked(returned, message):
    with pytest.raises(AdapterError, match=message):
        check_samples(returned, 3, (), "the adapter")


def test_text_samples_come_back_normalised():
    docs = check_samples(["  two\n lines ", "x"], 2, (), "the adapter")
    assert is_text(docs) and docs.tolist() == ["two lines", "x"]


def test_a_text_leaderboard_summarises_the_text_statistics_and_shows_sample_texts(
    tiny_text, tmp_path
):
    from madbench.leaderboard.build import SEED_COLUMNS
    from madbench.leaderboard.claims import Claim, evaluate_all
    from madbench.leaderboard.publish import build, read_csv

    runs = [
        madbench.evaluate("ngram", tiny_text, seed=s, out=tmp_path / f"s{s}", **SMALL).path
        for s in (0, 1, 2)
    ]
    (row,) = build(runs, tmp_path / "board")
    per_seed = read_csv(tmp_path / "board" / "per_seed.csv", SEED_COLUMNS)
    last = [r for r in per_seed if r["generation"] == "2"]
    summarised = ("perplexity", "tail_mass", "distinct_2", "self_bleu", "vocabulary")
    for metric in (*summarised, "mauve"):
        values = [float(r[metric]) for r in last]
        assert float(row[f"{metric}_last_mean"]) == pytest.approx(np.mean(values))
    assert {"perplexity_q95", "zipf_slope", "ngram2_precision"} <= set(per_seed[0])
    page = (tmp_path / "board" / "index.html").read_text()
    first = RunDir(runs[0]).load_array(2, "eval_samples")[0]
    assert "<th>perplexity last</th>" in page and f"<li>{first}</li>" in page
    assert "tiny-text: sample texts, fully-synthetic" in page
    assert "perplexity last" in (tmp_path / "board" / "leaderboard.md").read_text()
    spec = {
        "text": "t",
        "test": "trend",
        "metric": "perplexity",
        "arm": {"data": tiny_text, "protocol": "fully-synthetic"},
    }
    (result,) = evaluate_all([Claim.from_spec(spec, "test")], tmp_path / "board", 0.05)
    assert result.result is not None and result.missing == ""  # claims read text columns


def test_a_transformer_loop_runs_checks_and_resumes_its_kept_model(tiny_text, tmp_path):
    args = {"steps": 20, "width": 32, "heads": 2, "context": 48}
    assert check_adapter("transformer", model_args=args) == []
    run = madbench.evaluate("transformer", tiny_text, model_args=args, out=tmp_path, **SMALL)
    assert [r["status"] for r in run.rows] == ["ok"] * 3
    assert (run.results["perplexity"][1:] > 1).all() and run.results["distinct_2"].notna().all()
    assert madbench.rescore(run.path).differences == []
