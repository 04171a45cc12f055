"""Fuzzing the readers: whatever bytes a file holds, madbench returns a result or raises its
own error (one line at the CLI), never another exception.

Readers covered: IDX (plain and gzip), .npy / .npz feature and kept-sample files, data-set
manifests, config.json, results.csv and suite YAML. Random bytes exercise the parsers'
front doors; mutations of valid files (one field replaced by any JSON value) reach the
checks behind them.
"""

import gzip
import json
import string

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madbench.data.idx import parse_idx, read_bytes, write_idx
from madbench.errors import MadbenchError
from madbench.loops.config import RunConfig
from madbench.loops.protocol import make_protocol
from madbench.runs.rundir import RunDir, config_sha256

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def madbench_or_result(call):
    """``call()``'s result, or None when it raised a MadbenchError; anything else fails."""
    try:
        return call()
    except MadbenchError as exc:
        assert "\n" not in str(exc).strip(), "errors are one line"
        return None


def mutate(value, path, replacement):
    """``value`` (nested dicts and lists) with the item at ``path`` replaced."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = mutate(value[head], rest, replacement)
    return copy


def paths(value, prefix=()):
    """Every path into nested dicts and lists."""
    yield prefix
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        yield from paths(item, (*prefix, key))


def bytes_or_mutation(data, valid, dump) -> bytes:
    """Random bytes, or ``valid`` with one item (at any depth) replaced by any JSON value,
    written out by ``dump``."""
    if data.draw(st.booleans()):
        return data.draw(st.binary(max_size=200))
    where = data.draw(st.sampled_from(list(paths(valid))))
    return dump(mutate(valid, where, data.draw(JSON))).encode()


# -- IDX ------------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=200))
def test_idx_any_bytes(data):
    madbench_or_result(lambda: parse_idx(data))
    madbench_or_result(lambda: parse_idx(bytes([0, 0, 0x08, len(data) % 5]) + data))


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 300))
def test_gzip_any_bytes(tmp_path, data, limit):
    path = tmp_path / "x.gz"
    path.write_bytes(b"\x1f\x8b" + data)
    madbench_or_result(lambda: read_bytes(path, limit=limit))
    path.write_bytes(gzip.compress(data))
    got = madbench_or_result(lambda: read_bytes(path, limit=limit))
    assert got == (data if len(data) <= limit else None)


def test_idx_round_trip(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array, compress=True)
    assert np.array_equal(parse_idx(read_bytes(tmp_path / "a.gz")), array)


# -- .npy / .npz ------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".npy", ".npz"]))
def test_feature_files_any_bytes(tmp_path, data, suffix):
    from madbench.features.files import load_features

    path = tmp_path / f"x{suffix}"
    path.write_bytes((b"\x93NUMPY" if suffix == ".npy" else b"PK") + data)
    madbench_or_result(lambda: load_features(path))


@FUZZ
@given(st.integers(0, 200), st.binary(min_size=1, max_size=8))
def test_kept_arrays_truncated_or_damaged(tmp_path, cut, noise):
    gen = tmp_path / "gen-001"
    gen.mkdir(exist_ok=True)
    np.save(gen / "samples.npy", np.arange(12.0).reshape(3, 4))
    data = (gen / "samples.npy").read_bytes()
    (gen / "samples.npy").write_bytes(data[:cut] + noise + data[cut + len(noise) :])
    madbench_or_result(lambda: RunDir(tmp_path).load_array(1, "samples"))


# -- manifests ------------------------------------------------------------------------------
MANIFEST = {
    "name": "fuzzed",
    "kind": "image",
    "source": "x",
    "licence": "x",
    "files": {"train-images": {"path": "a.gz", "bytes": 10, "sha256": "ab", "shape": [1, 4, 4]}},
    "splits": {"train": {"images": "train-images"}},
    "shape": [4, 4],
    "classes": 10,
    "domain": {"range": [0, 1], "levels": 256},
}


@FUZZ
@given(st.data())
def test_manifests_any_content(tmp_path, monkeypatch, data):
    from madbench.data.datasets import get_dataset

    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path))
    (tmp_path / "manifests").mkdir(exist_ok=True)
    (tmp_path / "manifests" / "fuzzed.yaml").write_bytes(
        bytes_or_mutation(data, MANIFEST, yaml.safe_dump)
    )
    madbench_or_result(lambda: get_dataset("fuzzed", data_dir=str(tmp_path)))


# -- config.json and results.csv --------------------------------------------------------------
@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    from madbench.loops.engine import Loop

    path = tmp_path_factory.mktemp("fuzz") / "run"
    protocol = make_protocol("fully-synthetic", generations=1, n_ini=50, n_synth=50, eval_n=30)
    config = RunConfig("gaussian", {}, "gaussian-2", protocol)
    Loop(config, RunDir(path), echo=lambda line: None).start()
    return path


@FUZZ
@given(st.data())
def test_config_json_any_content(tmp_path, run_files, data):
    original = json.loads((run_files / "config.json").read_text())
    reseal = data.draw(st.booleans())

    def dump(config):
        if reseal and isinstance(config, dict):  # a consistent edit: the hash recomputed
            config = {**config, "config_sha256": config_sha256(config)}
        return json.dumps(config)

    (tmp_path / "config.json").write_bytes(bytes_or_mutation(data, original, dump))
    run_dir = RunDir(tmp_path)
    madbench_or_result(lambda: RunConfig.from_dict(run_dir.config()))


@FUZZ
@given(st.data())
def test_results_csv_any_content(tmp_path, run_files, data):
    import shutil

    run = tmp_path / "run"
    if not run.exists():
        shutil.copytree(run_files, run)
    text = (run_files / "results.csv").read_text()
    if data.draw(st.booleans()):
        new = data.draw(st.binary(max_size=300))
    else:
        at = data.draw(st.integers(0, len(text)))
        junk = data.draw(st.text(alphabet=string.printable, max_size=10))
        new = (text[:at] + junk + text[at + len(junk) :]).encode()
    (run / "results.csv").write_bytes(new)
    found = madbench_or_result(lambda: RunDir(run).verify())
    if found is not None and found.missing_rows == 0 and found.failed is None:
        assert new.decode() == text  # only the untouched file verifies whole


# -- suites ---------------------------------------------------------------------------------
SUITE = {
    "name": "fuzzed",
    "experiments": [
        {
            "name": "e",
            "model": "gaussian",
            "data": "gaussian-2",
            "protocol": "fully-synthetic",
            "params": {"generations": 2},
            "vary": {"bias": [1.0, 0.5]},
            "seeds": [0, 1],
            "scoring": {"intervals": 0},
        }
    ],
    "claims": [
        {
            "text": "t",
            "test": "trend",
            "metric": "fid",
            "arm": {"data": "gaussian-2", "protocol": "fully-synthetic"},
        }
    ],
}


@FUZZ
@given(st.data())
def test_suite_yaml_any_content(tmp_path, data):
    from madbench.suites import load_suite

    (tmp_path / "s.yaml").write_bytes(bytes_or_mutation(data, SUITE, yaml.safe_dump))
    madbench_or_result(lambda: load_suite(str(tmp_path / "s.yaml")))


def test_deeply_nested_files_are_refused_in_one_line(tmp_path, monkeypatch):
    """Nesting deep enough to exhaust the parsers' recursion is a madbench error too."""
    from madbench.data.manifest import load_manifest
    from madbench.suites import load_suite

    deep = "[" * 100_000
    (tmp_path / "config.json").write_text(deep)
    (tmp_path / "s.yaml").write_text(deep)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "m.yaml").write_text(deep)
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path))
    for call in (
        lambda: RunDir(tmp_path).config(),
        lambda: load_suite(str(tmp_path / "s.yaml")),
        lambda: load_manifest("m"),
    ):
        with pytest.raises(MadbenchError):
            call()


# -- data add sources -----------------------------------------------------------------------------
SMALL_FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SMALL_FUZZ
@given(st.binary(max_size=300), st.sampled_from(["idx-gz", "idx", "npz", "npy", "png"]))
def test_data_add_sources_any_bytes(tmp_path, data, kind):
    """IDX (plain and gzip), .npz, .npy and image files of any bytes: read, or one line."""
    from madbench.data.idx import read_idx
    from madbench.data.imports import read_source

    folder = tmp_path / kind
    folder.mkdir(exist_ok=True)
    if kind.startswith("idx"):
        header = bytes([0, 0, 0x08, 3]) + data[:12]
        raw = header + data[12:]
        path = folder / "x-idx3-ubyte"
        path.write_bytes(gzip.compress(raw) if kind == "idx-gz" else raw)
        madbench_or_result(lambda: read_idx(path))
        return
    if kind == "png":
        (folder / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + data)
        madbench_or_result(lambda: read_source(folder))
        return
    path = tmp_path / f"x.{kind}"
    path.write_bytes((b"PK\x03\x04" if kind == "npz" else b"\x93NUMPY") + data)
    madbench_or_result(lambda: read_source(path))


# -- suites with aliases and grids ---------------------------------------------------------------
@SMALL_FUZZ
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 40))
def test_suite_aliases_and_grids_are_read_or_refused_fast(tmp_path, depth, width, values):
    """Nested aliases (width^depth nodes) and vary grids (values^2 runs): a suite, or one line,
    in well under a second: nothing is expanded before it is counted."""
    import time

    from madbench.suites import load_suite

    lines = ["name: s", 'l0: &l0 ["x"]']
    for level in range(1, depth + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    grid = "[" + ", ".join(str(0.5 + v / 100) for v in range(values)) + "]"
    lines += [
        "experiments:",
        "  - {model: gaussian, data: gaussian-2, protocol: fully-synthetic,",
        f"     vary: {{bias: {grid}, n_ini: [{', '.join(str(10 + v) for v in range(values))}]}},",
        f"     scoring: {{metrics: [fid]}}, params: {{note: *l{depth}}}}}",
    ]
    (tmp_path / "s.yaml").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    madbench_or_result(lambda: load_suite(str(tmp_path / "s.yaml")))
    assert time.perf_counter() - started < 5


# -- lock and temporary-file names --------------------------------------------------------------
@SMALL_FUZZ
@given(
    st.sampled_from(["file", "link-file", "link-folder", "folder", "fifo", "hardlink"]),
    st.binary(max_size=40),
)
def test_lock_and_temporary_names_of_any_kind(tmp_path, kind, data):
    """Whatever sits at a lock's name or a temporary name (a file of any bytes, a link to a
    file or a folder, a folder, a FIFO, a hard link): the lock is taken or refused in one line,
    clean-up removes only the run's own entries, and nothing outside is changed."""
    import os
    import shutil

    from madbench.runs.lock import locked

    outside = tmp_path / "outside"
    shutil.rmtree(outside, ignore_errors=True)
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"keep")
    run = tmp_path / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    for name in (".lock", ".gen-001.tmp-7"):
        path = run / name
        if kind == "file":
            path.write_bytes(data)
        elif kind == "link-file":
            path.symlink_to(outside / "keep.txt")
        elif kind == "link-folder":
            path.symlink_to(outside)
        elif kind == "folder":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            os.link(outside / "keep.txt", path)

    def take_the_lock():
        with locked(run):
            pass

    madbench_or_result(take_the_lock)
    madbench_or_result(lambda: RunDir(run).clean_temporary())
    assert (outside / "keep.txt").read_bytes() == b"keep" and os.listdir(outside) == ["keep.txt"]


def test_a_suite_field_named_by_a_newline_is_one_line(tmp_path):
    """Found by fuzzing: an unknown protocol field whose name holds a newline put a line break
    into the error (Python's TypeError quotes the name as it is)."""
    from madbench.suites import load_suite

    spec = {**SUITE, "experiments": [{**SUITE["experiments"][0], "params": {"\n": False}}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(MadbenchError) as info:
        load_suite(str(tmp_path / "s.yaml"))
    assert "\n" not in str(info.value)
