"""The adapter contract: how any generative model plugs into madbench.

An adapter is any class (it need not import madbench) whose instances offer

- ``fit(X, *, seed) -> self``: train from scratch on ``X``, a numpy array (n, *data_shape);
- ``sample(n, *, bias=1.0, seed) -> np.ndarray``: ``n`` finite float samples shaped
  (n, *data_shape); ``bias`` is the MAD paper's lambda in (0, 1], 1 = unbiased;

and optionally ``save(directory)`` / ``load(directory) -> self`` (checkpoints and resume),
``partial_fit(X, *, seed) -> self`` (warm-start protocols) and ``meta() -> dict``.

A *conditional* adapter sets the class attribute ``conditional = True``; it is then given
``labels`` (int array, one per sample) in ``fit`` / ``partial_fit``, and asked for samples of
given classes in ``sample(n, *, bias, seed, labels)``. The engine draws every class equally
often, so conditional loops keep their class balance.

An adapter that takes only some kinds of data names them in the class attribute
``data_kinds`` (e.g. ``("image",)``; a data set is ``vector``, ``image`` or ``text`` data),
and a loop on another kind is refused before anything is written.

It is constructed as ``Class(**model_args)`` and named on the command line by an alias
(``gaussian``, ``gmm``, ``kde``, ``flow``, ``wgan``, ``ddpm``; ``ngram``, ``transformer`` and
``hf-causal`` for text), by
``package.module:Class``, or by the name of an entry point in the group ``madbench.adapters``.
``model_args`` are plain values (None, booleans, numbers, strings, and lists or string-keyed
dicts of them), so that a run's config.json says exactly which model it ran; an instance
handed to the API is recorded by the arguments read back from it (:func:`instance_args`).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import importlib
import inspect
import json
import math
import tempfile
import warnings
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

import numpy as np

from madbench.errors import AdapterError, InputError, MadbenchError
from madbench.types import Array

ENTRY_POINT_GROUP = "madbench.adapters"
#: Largest sample magnitude accepted: the metrics are exact up to 1e30 (k-NN scale-invariance,
#: FID and KID in float64), and no data set madbench scores lives beyond.
SAMPLE_LIMIT = 1e30
ALIASES = {
    "gaussian": "madbench.generators.gaussian:GaussianGenerator",
    "gmm": "madbench.generators.gmm:GMMGenerator",
    "kde": "madbench.generators.kde:KDEGenerator",
    "flow": "madbench.generators.flow:FlowGenerator",
    "wgan": "madbench.generators.wgan:WGANGenerator",
    "ddpm": "madbench.generators.ddpm:DDPMGenerator",
    "ngram": "madbench.generators.ngram:NgramLM",
    "transformer": "madbench.generators.transformer:TransformerLM",
    "hf-causal": "madbench.generators.hf_causal:HFCausalLM",
}


@runtime_checkable
class GenerativeModel(Protocol):
    """The adapter contract (module docstring), as a type. Required: ``fit`` and ``sample``.

    Optional, used when present, each a runtime-checkable type of its own:
    :class:`SupportsCheckpoint` (``save(directory)`` and ``load(directory) -> self``:
    checkpoints, resume), :class:`SupportsPartialFit` (``partial_fit(X, *, seed) -> self``:
    warm-start protocols), :class:`SupportsMeta` (``meta() -> dict``, recorded in each
    generation's meta.json); and the class attributes ``conditional = True`` (then
    ``labels=`` is passed to fit, partial_fit and sample: :func:`is_conditional`) and
    ``data_kinds = ("image",)`` or ``("vector",)`` (:func:`data_kinds`).
    :func:`check_adapter` checks every part a model has.
    """

    def fit(self, X: np.ndarray, *, seed: int) -> GenerativeModel: ...

    def sample(self, n: int, *, bias: float = 1.0, seed: int) -> np.ndarray: ...


@runtime_checkable
class SupportsCheckpoint(Protocol):
    """Optional part of the contract: a checkpoint of the fitted model, written to each
    generation's ``model/`` folder, and read back (``load`` returns self) to warm-start the
    next generation after ``--resume``."""

    def save(self, directory: str) -> None: ...

    def load(self, directory: str) -> SupportsCheckpoint: ...


@runtime_checkable
class SupportsPartialFit(Protocol):
    """Optional part of the contract: training continued on new data, returning self (the
    ``retrain: warm`` protocols)."""

    def partial_fit(self, X: np.ndarray, *, seed: int) -> SupportsPartialFit: ...


@runtime_checkable
class SupportsMeta(Protocol):
    """Optional part of the contract: a dict recorded as each generation's ``meta.json``."""

    def meta(self) -> dict: ...


def is_conditional(model: type | GenerativeModel) -> bool:
    """Whether ``model`` (a class or an instance) declares ``conditional = True``: it is
    then given ``labels=`` in fit, partial_fit and sample."""
    return bool(getattr(model, "conditional", False))


def data_kinds(model: type | GenerativeModel) -> tuple[str, ...] | None:
    """The data kinds ``model`` declares it takes (``data_kinds``), or None for any."""
    kinds = getattr(model, "data_kinds", None)
    return None if kinds is None else tuple(kinds)


def source_digest(model: GenerativeModel) -> str | None:
    """What a model starts from beyond its arguments (pretrained weights), as the adapter's
    optional ``source_digest()`` gives it: a string that changes when the weights do, or None."""
    method = getattr(model, "source_digest", None)
    if method is None:
        return None
    found = method()
    if found is not None and not isinstance(found, str):
        raise AdapterError(f"{type(model).__name__}.source_digest() must return a str or None")
    return found


def parse_model_args(text: str | None) -> dict:
    """``"k=v,k2=v2"`` as a dict; values are Python literals (numbers, True, None...) or strings."""
    args = {}
    for piece in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = piece.partition("=")
        if not sep or not key.strip().isidentifier():
            raise InputError(
                f"--model-args: {piece!r} is not key=value (e.g. n_components=5,seed=0)"
            )
        try:
            args[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            args[key.strip()] = value.strip()
    return args


def _entry_points(group: str = ENTRY_POINT_GROUP) -> dict:
    return {ep.name: ep for ep in entry_points(group=group)}


def resolve_adapter(spec: str) -> type:
    """The adapter class named by an alias, ``package.module:Class`` or an entry point.

    What the spec names must be a class with ``fit`` and ``sample`` methods; anything else (a
    function such as ``os:system``, a module attribute) is refused before it is called.
    Resolving imports the named module, which runs its top-level code: resuming or
    reproducing someone else's run runs the model code its config names.
    """
    return _adapter_class(lookup(spec, aliases=ALIASES), spec)


def _adapter_class(found, spec: str) -> type:
    """``found`` if it is a class with ``fit`` and ``sample`` methods, else AdapterError."""
    if not isinstance(found, type):
        raise AdapterError(
            f"model {spec!r} names a {type(found).__name__}, not an adapter class; "
            "give package.module:Class (see: madbench check-adapter)"
        )
    missing = [m for m in ("fit", "sample") if not callable(getattr(found, m, None))]
    if missing:
        raise AdapterError(
            f"model {spec!r}: class {found.__name__} has no {' or '.join(missing)}() method, "
            "so it is not an adapter (see the adapter contract: madbench check-adapter)"
        )
    return found


def lookup(
    spec: str,
    *,
    aliases: dict | None = None,
    group: str = ENTRY_POINT_GROUP,
    what: str = "model",
    error: type[Exception] = AdapterError,
) -> object:
    """What an alias, ``package.module:attr`` or entry point of ``group`` names, unchecked;
    failures raise ``error`` naming the ``what``."""
    aliases = aliases or {}
    target = aliases.get(spec, spec)
    if ":" in target:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise error(f"cannot import {module_name!r} for {what} {spec!r}: {exc}") from None
        try:
            return getattr(module, attr)
        except AttributeError:
            raise error(f"module {module_name!r} has no {attr!r} ({what} {spec!r})") from None
    points = _entry_points(group)
    if spec in points:
        try:
            return points[spec].load()
        except Exception as exc:  # a broken third-party package: say which
            raise error(f"entry point {spec!r} failed to load: {exc!r}") from None
    known = [*aliases, *points]
    close = difflib.get_close_matches(spec, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    named = f" (known: {', '.join(known)}; or give package.module:Class)" if known else ""
    raise error(f"unknown {what} {spec!r}{hint}{named or ' (give package.module:Class)'}")


def build_adapter(spec: str, model_args: dict | None = None) -> GenerativeModel:
    """Instantiate ``spec`` with ``model_args``, turning constructor failures into one message."""
    return _instantiate(resolve_adapter(spec), spec, model_args)


def _instantiate(cls: type, spec: str, model_args: dict | None):
    try:
        return cls(**(model_args or {}))
    except Exception as exc:
        why = str(exc) if isinstance(exc, MadbenchError) else repr(exc)
        raise AdapterError(
            f"model {spec!r} cannot be built with {model_args or {}}: {why}"
        ) from None


def plain_value(value: object, where: str) -> object:
    """``value`` as JSON would hold it (numpy scalars as Python numbers, tuples as lists), or
    InputError naming ``where`` when it is not a plain value."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{where} is {value}, not a finite number")
        return value
    if isinstance(value, list | tuple):
        return [plain_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: plain_value(v, f"{where}[{key!r}]") for key, v in value.items()}
    raise InputError(f"{where} is a {type(value).__name__}, not a plain value")


def _read_back(model) -> dict:
    """The constructor arguments of ``model``: scikit-learn's ``get_params(deep=False)``, a
    dataclass's init fields, or each ``__init__`` parameter stored as an attribute of its name."""
    kind = type(model)
    if callable(getattr(model, "get_params", None)):
        return dict(model.get_params(deep=False))
    if dataclasses.is_dataclass(model):
        return {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.init}
    if kind.__init__ is object.__init__:
        return {}
    args = {}
    for name, parameter in inspect.signature(kind.__init__).parameters.items():
        if name == "self":
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise InputError(f"its __init__ takes *{name}, which cannot be read back")
        if not hasattr(model, name):
            raise InputError(f"its __init__ parameter {name!r} is not kept as self.{name}")
        args[name] = getattr(model, name)
    return args


def instance_args(model: GenerativeModel) -> dict:
    """The ``model_args`` that rebuild ``model``: its constructor arguments read back
    (:func:`_read_back`), as plain values, checked by building ``type(model)(**args)`` and
    reading the same arguments back from it. AdapterError, naming the class-plus-model_args
    form to use instead, when they cannot be recorded."""
    kind = type(model)
    try:
        args = {k: plain_value(v, f"argument {k!r}") for k, v in _read_back(model).items()}
        rebuilt = kind(**args)
        again = {k: plain_value(v, f"argument {k!r}") for k, v in _read_back(rebuilt).items()}
        if json.dumps(again, sort_keys=True) != json.dumps(args, sort_keys=True):
            raise InputError(f"{kind.__name__}(**{args}) reads back as {again}")
    except Exception as exc:
        raise AdapterError(
            f"cannot record how to rebuild this {kind.__name__} instance ({exc}); pass the "
            f"class and its arguments instead: evaluate({kind.__name__}, data, "
            "model_args={...})"
        ) from None
    return args


def check_samples(samples: Array, n: int, data_shape: tuple[int, ...], where: str) -> np.ndarray:
    """Validate what ``sample`` returned: an array of n finite floats shaped (n, *data_shape),
    or for text (``data_shape`` ``()``) n documents (str), as a 1-D str array, whitespace
    normalised (:func:`madbench.data.text.documents`)."""
    if data_shape == ():
        return _check_documents(samples, n, where)
    try:
        arr = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AdapterError(
            f"{where}: sample() returned {type(samples).__name__}, not numbers ({exc})"
        ) from None
    if arr.shape != (n, *data_shape):
        raise AdapterError(
            f"{where}: sample({n}) returned shape {arr.shape}, expected {(n, *data_shape)}"
        )
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr.reshape(n, -1))).any(axis=1).sum())
        samples_word = "sample" if bad == 1 else "samples"
        raise AdapterError(f"{where}: sample({n}) returned {bad} {samples_word} with NaN or Inf")
    if n and np.abs(arr).max() > SAMPLE_LIMIT:
        raise AdapterError(
            f"{where}: sample({n}) returned values up to {np.abs(arr).max():.3g}; samples "
            f"beyond {SAMPLE_LIMIT:g} in magnitude overflow the metrics"
        )
    return arr


def _check_documents(samples, n: int, where: str) -> np.ndarray:
    from madbench.data.text import documents

    if isinstance(samples, str) or not isinstance(samples, list | tuple | np.ndarray):
        raise AdapterError(
            f"{where}: sample({n}) returned {type(samples).__name__}; text models return a "
            "list or 1-D array of str, one document each"
        )
    docs = list(samples.tolist() if isinstance(samples, np.ndarray) else samples)
    if len(docs) != n or (isinstance(samples, np.ndarray) and samples.ndim != 1):
        raise AdapterError(f"{where}: sample({n}) returned {len(docs)} documents, expected {n}")
    bad = next((d for d in docs if not isinstance(d, str)), None)
    if bad is not None:
        raise AdapterError(
            f"{where}: sample({n}) returned a {type(bad).__name__} among its documents, not str"
        )
    return documents(docs)


def _tiny_text(n: int) -> np.ndarray:
    """The documents ``check_adapter`` fits a text model on: seeded sentences of a small
    vocabulary."""
    from madbench.data.text import documents

    rng = np.random.default_rng(0)
    words = np.array("the a cat dog sat ran on under mat log and . ,".split())
    return documents(" ".join(rng.choice(words, size=rng.integers(3, 12))) for _ in range(n))


def fresh_adapter(
    model: str | type | GenerativeModel, model_args: dict | None = None
) -> GenerativeModel:
    """A new adapter from what ``evaluate`` takes as a model: a spec (an alias,
    ``package.module:Class`` or an entry point), an adapter class, or an instance (rebuilt from
    its class and the arguments read back from it, :func:`instance_args`, so that the caller's
    object is never fitted)."""
    if isinstance(model, str):
        return build_adapter(model, model_args)
    if not isinstance(model, type):
        if model_args:
            raise AdapterError("model_args apply to a model name or class, not to an instance")
        _adapter_class(type(model), type(model).__qualname__)
        model_args, model = instance_args(model), type(model)
    spec = f"{model.__module__}:{model.__qualname__}"
    return _instantiate(_adapter_class(model, spec), spec, model_args)


def check_adapter(
    model: str | type | GenerativeModel,
    model_args: dict | None = None,
    *,
    data_shape: tuple[int, ...] = (2,),
    n: int = 64,
    data: Array | None = None,
    labels: Array | None = None,
) -> list[str]:
    """Run the contract on tiny data; return every violation found, each once (empty: the
    adapter passes). ``model``: a spec, an adapter class or an instance, as ``evaluate`` takes
    (:func:`fresh_adapter`). ``data``: the samples to fit on (e.g. a data set's images, for an
    image-only adapter), else ``n`` standard normal samples shaped ``data_shape`` (``n`` short
    seeded documents for a model whose ``data_kinds`` is ``("text",)``); ``labels``
    for a conditional adapter, else every third class. Warns (does not fail) when the bias
    lambda changes nothing."""
    problems: list[str] = []
    given = model
    try:
        model = fresh_adapter(given, model_args)
    except AdapterError as exc:
        return [str(exc)]
    spec = given if isinstance(given, str) else type(model).__qualname__
    if data is None and data_kinds(model) == ("text",):
        x, data_shape = _tiny_text(n), ()
    elif data is None:
        x = np.random.default_rng(0).standard_normal((n, *data_shape))
    else:
        x = np.asarray(data)
        n, data_shape = len(x), x.shape[1:]
    conditional = is_conditional(model)

    def labelled(count):  # the keyword a conditional adapter takes
        if not conditional:
            return {}
        return {"labels": labels[:count] if labels is not None else np.arange(count) % 3}

    def attempt(what, fn):
        try:
            return fn()
        except AdapterError as exc:
            problems.append(str(exc))
        except Exception as exc:
            problems.append(f"{what} raised {exc!r}")
        return None

    def draw(source, count, bias, seed):
        out = source.sample(count, bias=bias, seed=seed, **labelled(count))
        return check_samples(out, count, data_shape, f"bias={bias}")

    fitted = attempt("fit(X, seed=0)", lambda: model.fit(x, seed=0, **labelled(n)))
    if fitted is None:
        return problems or ["fit(X, seed=0) returned None; it must return self"]
    if fitted is not model:
        problems.append("fit() must return self")
    first = attempt("sample", lambda: draw(model, n, 1.0, 1))
    again = attempt("sample", lambda: draw(model, n, 1.0, 1))
    if first is not None and again is not None and not np.array_equal(first, again):
        problems.append("sample() with the same seed gave different samples; draw from the seed")
    biased = attempt("sample", lambda: draw(model, n, 0.5, 1))
    if first is not None and biased is not None and np.array_equal(first, biased):
        warnings.warn(
            f"{spec}: sample(bias=0.5) equals sample(bias=1.0) with the same seed: lambda "
            "changes nothing, so the sampling-bias protocols will not bias this model",
            stacklevel=2,
        )
    attempt("sample", lambda: draw(model, 3, 0.5, 2))
    if isinstance(model, SupportsMeta):
        meta = attempt("meta()", model.meta)
        if meta is not None and not isinstance(meta, dict):
            problems.append(f"meta() returned a {type(meta).__name__}; it must return a dict")
    if isinstance(model, SupportsCheckpoint) and first is not None:
        with tempfile.TemporaryDirectory() as tmp:
            attempt("save()", lambda: model.save(tmp))
            fresh = attempt("build", lambda: fresh_adapter(given, model_args))
            loaded = attempt("load()", lambda: fresh.load(tmp)) if fresh is not None else None
            if loaded is None and fresh is not None and not problems:
                problems.append("load() returned None; it must return self")
            elif loaded is not None:
                restored = attempt("sample after load()", lambda: draw(loaded, n, 1.0, 1))
                if restored is not None and not np.array_equal(restored, first):
                    problems.append(
                        "save() then load() changed the samples drawn with the same seed"
                    )
    if isinstance(model, SupportsPartialFit):  # last: it changes the model
        warm = lambda: (model.partial_fit(x, seed=1, **labelled(n)),)  # noqa: E731
        warmed = attempt("partial_fit(X, seed=1)", warm)  # a 1-tuple: None is a result too
        if warmed is not None and warmed[0] is not model:
            problems.append("partial_fit() must return self")
        attempt("sample after partial_fit()", lambda: draw(model, n, 1.0, 3))
    return list(dict.fromkeys(problems))  # each violation once, in the order found
