"""Hugging Face tokenizers and causal LMs, offline: a tokenizer trained here and a GPT-2 built
from a config, both saved to a local folder as save_pretrained writes them (no download)."""

import numpy as np
import pytest

pytest.importorskip("transformers")
import torch  # noqa: E402

import madbench  # noqa: E402
from madbench.adapters import check_adapter  # noqa: E402
from madbench.data.text import documents, is_text  # noqa: E402
from madbench.errors import InputError  # noqa: E402
from madbench.generators.hf_causal import HFCausalLM  # noqa: E402
from madbench.generators.transformer import TransformerLM  # noqa: E402
from madbench.text.tokenizers import tokenizer  # noqa: E402

CORPUS = documents(
    ["the cat sat on the mat .", "a dog ran to the log .", "time flies like an arrow ."] * 8
)


@pytest.fixture(scope="module")
def local_model(tmp_path_factory):
    """A word-level tokenizer and a one-layer GPT-2, as a local model folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["<pad>", "<unk>", "<|endoftext|>"]
    raw.train_from_iterator(list(CORPUS), trainers.WordLevelTrainer(special_tokens=special))
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", pad_token="<pad>", eos_token="<|endoftext|>"
    )
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tok), n_positions=32, n_embd=16, n_layer=1, n_head=2,
        eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id,
    )  # fmt: skip
    GPT2LMHeadModel(config).save_pretrained(folder)
    return str(folder)


def test_a_hugging_face_tokenizer_by_local_folder_has_a_digest(local_model):
    tok = tokenizer(f"hf:{local_model}")
    assert tok.tokenize("the cat sat .") == ["the", "cat", "sat", "."]
    assert tok.detokenize(["the", "cat"]) == "the cat" and len(tok.digest()) == 64
    with pytest.raises(InputError, match="offline, pass a local folder"):
        tokenizer("hf:/no/such/folder")


def test_the_transformer_trains_on_a_hugging_face_tokenizers_tokens(local_model):
    model = TransformerLM(steps=5, width=16, heads=2, context=16, tokenizer=f"hf:{local_model}")
    model.fit(CORPUS, seed=0)
    assert "cat" in model.vocab_ and is_text(model.sample(4, seed=0))


@pytest.fixture(scope="module")
def tuned(local_model):
    torch.set_num_threads(1)
    return HFCausalLM(local_model, steps=30, batch_size=8, lr=1e-2, context=16).fit(CORPUS)


def test_fine_tuning_lowers_the_loss_and_scores_are_the_models_own(tuned):
    assert np.mean(tuned.losses_[-5:]) < 0.7 * np.mean(tuned.losses_[:5])
    doc = "the cat sat on the mat ."
    seq = tuned._sequences([doc])[0]
    with torch.no_grad():
        logits = tuned.model(input_ids=torch.tensor([seq[:-1]])).logits.double()[0]
    expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(seq[1:])[:, None]).sum()
    ((logp, count),) = tuned.log_likelihood(documents([doc]))
    assert logp == pytest.approx(float(expected), rel=1e-5) and count == 8


def test_samples_reproduce_from_the_seed_and_the_checkpoint(tuned, tmp_path):
    a = tuned.sample(10, seed=3)
    assert is_text(a) and len(a) == 10 and (a == tuned.sample(10, seed=3)).all()
    tuned.save(tmp_path)
    assert (tmp_path / "hf" / "model.safetensors").is_file()
    restored = HFCausalLM(tuned.source, context=16).load(tmp_path)
    assert (restored.sample(10, seed=3) == a).all()
    meta = tuned.meta()
    assert len(meta["source_sha256"]) == 64 and len(meta["tokenizer_sha256"]) == 64


def test_fit_starts_again_from_the_pretrained_weights(tuned, local_model):
    """Each generation fine-tunes the original weights (Shumailov et al.), not the last ones."""
    again = HFCausalLM(local_model, steps=30, batch_size=8, lr=1e-2, context=16).fit(CORPUS)
    assert again.losses_ == tuned.losses_


def add_words(tmp_path, monkeypatch):
    """A text data set ``words`` of 200 six-word documents, in a madbench home of its own."""
    from madbench.cli import main

    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    words = "the a cat dog sat ran on to mat log .".split()
    lines = [" ".join(rng.choice(words, size=6)) for _ in range(200)]
    (tmp_path / "docs.txt").write_text("\n".join(lines) + "\n")
    assert main(["data", "add", "words", "--from", str(tmp_path / "docs.txt")]) == 0


def test_a_hugging_face_lm_runs_the_contract_and_a_loop(local_model, tmp_path, monkeypatch):
    args = {"model": local_model, "steps": 5, "context": 16}
    assert check_adapter("hf-causal", model_args=args) == []
    add_words(tmp_path, monkeypatch)
    run = madbench.evaluate(
        "hf-causal", "words", model_args=args, generations=2, n_ini=100, eval_n=20,
        metrics="prdc,fid", out=tmp_path / "run",
    )  # fmt: skip
    assert [r["status"] for r in run.rows] == ["ok"] * 3
    assert (run.results["perplexity"][1:] > 1).all()
    assert madbench.rescore(run.path).differences == []


def test_the_starting_weights_are_part_of_a_runs_setting(local_model, tmp_path, monkeypatch):
    """Two runs from one folder whose weights changed are two experiments, not two seeds of
    one, and a run does not resume from weights it did not start from."""
    import shutil

    from transformers import GPT2LMHeadModel

    from madbench.errors import DataFileError
    from madbench.leaderboard.build import Run

    add_words(tmp_path, monkeypatch)
    folder = shutil.copytree(local_model, tmp_path / "weights")
    options = dict(
        model_args={"model": str(folder), "steps": 2, "context": 16},
        generations=1, n_ini=50, eval_n=20, metrics="prdc",
    )  # fmt: skip
    first = madbench.evaluate("hf-causal", "words", out=tmp_path / "first", **options)
    recorded = Run.read(first.path)
    assert recorded.provenance["model_source"].startswith("sha256:")
    torch.manual_seed(1)
    other = GPT2LMHeadModel.from_pretrained(folder)
    for weights in other.parameters():
        weights.data.normal_()
    other.save_pretrained(folder)
    with pytest.raises(DataFileError, match="the run's model started from sha256:"):
        madbench.resume(first.path)
    second = madbench.evaluate("hf-causal", "words", out=tmp_path / "second", **options)
    again = Run.read(second.path)
    assert again.config == recorded.config  # the same arguments, seed included
    assert again.setting_hash() != recorded.setting_hash()


def test_offline_hub_names_and_bad_arguments_are_one_line_errors(local_model):
    with pytest.raises(InputError, match="offline, pass a local folder"):
        HFCausalLM("/no/such/model")
    with pytest.raises(InputError, match="context must be an integer >= 2"):
        HFCausalLM(local_model, context=1)
    with pytest.raises(InputError, match="call fit"):
        HFCausalLM(local_model).sample(2)


def test_hub_text_sets_load_from_a_local_copy_and_fail_offline_by_name(tmp_path, monkeypatch):
    """A wikitext-shaped DatasetDict saved here (headings, blank lines) stands for wikitext-2."""
    from datasets import Dataset, DatasetDict

    from madbench.cli import main
    from madbench.data.datasets import get_dataset

    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    lines = [" = Heading = ", "", " The cat sat on the mat . ", " = = Sub = = ", "A dog ran ."]
    DatasetDict(
        train=Dataset.from_dict({"text": lines * 5}),
        validation=Dataset.from_dict({"text": ["val one .", "val two ."]}),
        test=Dataset.from_dict({"text": ["held one .", "", "held two .", "held three ."]}),
    ).save_to_disk(tmp_path / "wiki")
    assert main(["data", "add", "wiki", "--from", f"hf:{tmp_path / 'wiki'}", "--limit", "6"]) == 0
    data = get_dataset("wiki")
    train, test = data.split("train").x, data.split("test").x
    assert train.tolist() == ["The cat sat on the mat .", "A dog ran ."] * 3
    assert test.tolist() == ["held one .", "held two .", "held three ."]
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    code = main(["data", "add", "w2", "--from", "hf:wikitext-2"])
    assert code == 2 and not (tmp_path / "home" / "manifests" / "w2.yaml").exists()
    Dataset.from_dict({"text": ["a", "b", "c"]}).save_to_disk(tmp_path / "single")
    assert main(["data", "add", "w3", "--from", f"hf:{tmp_path / 'single'}"]) == 2
    assert main(["data", "add", "w4", "--from", str(tmp_path / "wiki"), "--limit", "3"]) == 2
    with pytest.raises(InputError, match="madbench data add wikitext-2 --from hf:wikitext-2"):
        get_dataset("wikitext-2")  # the text-paper suite's data, before it is added


def test_the_text_paper_suite_expands_once_wikitext_2_is_added(tmp_path, monkeypatch):
    from datasets import Dataset, DatasetDict

    from madbench.cli import main
    from madbench.suites import load_suite

    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    lines = [f"paragraph {i} of the article ." for i in range(40)]
    DatasetDict(
        train=Dataset.from_dict({"text": lines}), test=Dataset.from_dict({"text": lines[:10]})
    ).save_to_disk(tmp_path / "wiki")
    with pytest.raises(InputError, match="not added yet"):
        load_suite("text-paper")
    assert main(["data", "add", "wikitext-2", "--from", f"hf:{tmp_path / 'wiki'}"]) == 0
    suite = load_suite("text-paper")
    assert len(suite.runs) == 15 and len(suite.claims) == 4
    assert {r.config.model_args["model"] for r in suite.runs} == {"facebook/opt-125m"}


def test_a_frozen_lms_mean_hidden_states_are_a_text_feature_space(local_model):
    """Each document's features equal the mean of the model's last hidden layer over its
    tokens computed alone, with no padding: the batch it is padded in does not matter."""
    from transformers import AutoModel, AutoTokenizer

    from madbench.features.spaces import digest, is_builtin
    from madbench.text.lm_features import HiddenStateFeatures

    docs = documents(["the cat sat on the mat .", "a dog", "time flies like an arrow ."])
    space = HiddenStateFeatures(local_model)
    features = space(docs)
    assert features.shape == (3, 16) and features.dtype == np.float64
    model, tok = (
        AutoModel.from_pretrained(local_model).eval(),
        AutoTokenizer.from_pretrained(local_model),
    )
    for doc, row in zip(docs, features, strict=True):
        ids = torch.tensor([tok(doc, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            alone = model(input_ids=ids).last_hidden_state[0].mean(0).double().numpy()
        np.testing.assert_allclose(row, alone, rtol=1e-5, atol=1e-6)
    assert space.digest().startswith("sha256:") and is_builtin(f"hf-lm:{local_model}")
    assert digest(space) == HiddenStateFeatures(local_model).digest()


def test_a_loop_scores_text_in_a_frozen_lms_space(local_model, tmp_path, monkeypatch):
    add_words(tmp_path, monkeypatch)
    run = madbench.evaluate(
        "ngram", "words", generations=1, n_ini=100, eval_n=40, metrics="prdc,fid",
        features=f"hf-lm:{local_model}", out=tmp_path / "run",
    )  # fmt: skip
    assert run.rows[1]["features"] == f"hf-lm:{local_model}"
    assert 0 <= run.results["mauve"][1] <= 1 and run.results["fid"][1] >= 0
    assert madbench.rescore(run.path).differences == []
    from madbench.errors import FeatureError
    from madbench.features.spaces import feature_space

    with pytest.raises(FeatureError, match="cannot load '/no/such/model'.*local folder"):
        madbench.evaluate("ngram", "words", features="hf-lm:/no/such/model", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    from madbench.data.datasets import get_dataset

    with pytest.raises(FeatureError, match="holds vector data: --features hf-lm"):
        feature_space(f"hf-lm:{local_model}", get_dataset("gaussian-2"))
