"""The adapter contract: loading by alias / module:Class / entry point, and the checker."""

import numpy as np
import pytest

from madbench.adapters import (
    GenerativeModel,
    build_adapter,
    check_adapter,
    check_samples,
    parse_model_args,
    resolve_adapter,
)
from madbench.cli import main
from madbench.errors import AdapterError, InputError
from madbench.generators.gaussian import GaussianGenerator


def test_parse_model_args():
    assert parse_model_args("n_components=5, reg_covar=1e-3,name=abc,flag=True,none=None") == {
        "n_components": 5,
        "reg_covar": 1e-3,
        "name": "abc",
        "flag": True,
        "none": None,
    }
    assert parse_model_args(None) == {} and parse_model_args("") == {}
    for bad in ("n_components", "=3", "a b=1"):
        with pytest.raises(InputError, match="is not key=value"):
            parse_model_args(bad)


def test_resolve_by_alias_module_and_entry_point(monkeypatch):
    assert resolve_adapter("gaussian") is GaussianGenerator
    assert resolve_adapter("madbench.generators.gaussian:GaussianGenerator") is GaussianGenerator

    class FakeEntryPoint:
        name = "outside"

        def load(self):
            return GaussianGenerator

    import madbench.adapters as adapters

    monkeypatch.setattr(adapters, "_entry_points", lambda group: {"outside": FakeEntryPoint()})
    assert resolve_adapter("outside") is GaussianGenerator
    with pytest.raises(AdapterError, match="did you mean 'outside'"):
        resolve_adapter("outsid")


def test_unknown_and_broken_specs():
    with pytest.raises(AdapterError, match="did you mean 'gmm'"):
        resolve_adapter("gm")
    with pytest.raises(AdapterError, match="cannot import 'no_such_pkg'"):
        resolve_adapter("no_such_pkg:Gen")
    with pytest.raises(AdapterError, match="has no 'Nope'"):
        resolve_adapter("toy_adapters:Nope")
    with pytest.raises(AdapterError, match="cannot be built with {'bogus': 1}"):
        build_adapter("gaussian", {"bogus": 1})


def test_outside_class_honours_contract_without_importing_madbench():
    assert check_adapter("toy_adapters:Honest", {"scale": 0.5}) == []
    assert isinstance(build_adapter("toy_adapters:Honest"), GenerativeModel)


def test_the_optional_parts_are_typed_protocols():
    from toy_adapters import Honest, WarmMean

    from madbench.adapters import SupportsCheckpoint, SupportsMeta, SupportsPartialFit

    warm = WarmMean()
    assert isinstance(warm, SupportsCheckpoint) and isinstance(warm, SupportsPartialFit)
    assert not isinstance(Honest(), SupportsCheckpoint | SupportsPartialFit | SupportsMeta)
    assert check_adapter("toy_adapters:WarmMean") == []  # its round trip and partial_fit pass


def test_check_adapter_takes_what_evaluate_takes():
    """A spec, a class or an instance; an instance is rebuilt, never fitted in place."""
    from toy_adapters import Honest

    mine = Honest(scale=0.5)
    assert check_adapter(Honest, {"scale": 0.5}) == [] and check_adapter(mine) == []
    assert not hasattr(mine, "mean")  # the check fitted a copy
    assert check_adapter(mine, {"scale": 2}) == [
        "model_args apply to a model name or class, not to an instance"
    ]
    assert "class dict has no fit or sample() method" in check_adapter(dict)[0]


@pytest.mark.parametrize(
    "cls,expected",
    [
        ("RaisesInFit", "fit(X, seed=0) raised RuntimeError('out of memory')"),
        ("ReturnsNaN", "returned 1 sample with NaN or Inf"),
        ("WrongShape", "returned shape (64, 1), expected (64, 2)"),
        ("WrongCount", "returned shape (65, 2), expected (64, 2)"),
        ("IgnoresSeed", "same seed gave different samples"),
        ("FitReturnsNone", "returned None; it must return self"),
        ("NoSample", "has no sample() method"),
        ("PartialFitReturnsNone", "partial_fit() must return self"),
        ("MetaNotADict", "meta() returned a list; it must return a dict"),
        ("MetaRaises", "meta() raised AttributeError"),
    ],
)
def test_checker_names_each_violation(cls, expected):
    problems = check_adapter(f"toy_adapters:{cls}")
    assert any(expected in p for p in problems), problems


def test_check_samples():
    good = np.zeros((4, 3))
    assert check_samples(good, 4, (3,), "g").shape == (4, 3)
    with pytest.raises(AdapterError, match="not numbers"):
        check_samples(object(), 4, (3,), "g")


def test_cli_check_adapter(capsys):
    assert main(["check-adapter", "kde", "--model-args", "bandwidth=0.3"]) == 0
    assert "honours the adapter contract" in capsys.readouterr().out
    assert main(["check-adapter", "toy_adapters:ReturnsNaN"]) == 1
    out = capsys.readouterr().out
    assert "violation" in out and "NaN" in out
    assert main(["check-adapter", "gmm", "--model-args", "oops"]) == 2
    assert capsys.readouterr().err.startswith("madbench: error: --model-args")


def test_check_adapter_on_a_data_set_lists_once_and_warns_on_bias(capsys):
    assert main(["check-adapter", "toy_adapters:ImagesOnly"]) == 1
    assert "images only" in capsys.readouterr().out
    assert main(["check-adapter", "toy_adapters:ImagesOnly", "--data", "digits"]) == 0
    assert main(["check-adapter", "toy_adapters:IgnoresBias"]) == 0
    assert "lambda changes nothing" in capsys.readouterr().err
    # sample(64) at bias 1 is drawn twice (the seed check): its violation is listed once
    assert check_adapter("toy_adapters:WrongShape") == [
        "bias=1.0: sample(64) returned shape (64, 1), expected (64, 2)",
        "bias=0.5: sample(64) returned shape (64, 1), expected (64, 2)",
        "bias=0.5: sample(3) returned shape (3, 1), expected (3, 2)",
    ]
