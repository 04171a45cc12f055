"""Text data sets: fortune files parsed, verified against their manifest, split and pooled."""

import hashlib
import json

import numpy as np
import pytest
import yaml

from madbench.data import manifest as manifests
from madbench.data.datasets import catalogue, get_dataset
from madbench.data.text import MAX_CHARS, documents, is_text, parse_fortunes
from madbench.errors import DataFileError

FORTUNE_FILE = (
    b"""First  fortune,
\tover two lines.
%
%
Second: -- Somebody
% \t
"""
    + b"long " * 40
    + b"""
%
Third
"""
)


def test_fortunes_split_on_percent_lines_and_normalise_whitespace():
    docs = parse_fortunes(FORTUNE_FILE, "f")
    assert docs[:2] == ["First fortune, over two lines.", "Second: -- Somebody"]
    assert docs[3] == "Third" and len(docs) == 4  # the empty fortune between two % is dropped
    assert len(docs[2]) > MAX_CHARS


def test_a_file_that_is_not_utf8_is_refused_naming_it():
    with pytest.raises(DataFileError, match=r"cookie: not UTF-8 text .* at byte 3"):
        parse_fortunes(b"abc\xff%\n", "cookie")


def test_documents_are_a_one_dimensional_str_array():
    docs = documents(["  a \n b", "c"])
    assert is_text(docs) and docs.tolist() == ["a b", "c"]
    assert is_text(documents([])) and documents([]).shape == (0,)
    assert not is_text(np.zeros(3)) and not is_text(np.array([["a"]]))


@pytest.fixture
def tiny_fortunes(tmp_path, monkeypatch):
    """Two small fortune files and a manifest for them (format fortunes), as a user's set."""
    folder = tmp_path / "files"
    folder.mkdir()
    texts = {
        "wisdom": b"".join(b"wise saying %d\n%%\n" % i for i in range(15)),
        "zippy": FORTUNE_FILE,
    }
    files = {}
    for name, data in texts.items():
        (folder / name).write_bytes(data)
        files[name] = manifests.file_entry(name, data, (len(parse_fortunes(data, name)),))
    raw = yaml.safe_load(manifests.manifest_path("fortunes").read_text())
    raw.update(name="tiny-fortunes", files=files, location=str(folder))
    (tmp_path / "home" / "manifests").mkdir(parents=True)
    (tmp_path / "home" / "manifests" / "tiny-fortunes.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    return folder


def test_the_reader_keeps_short_fortunes_and_holds_every_tenth_out(tiny_fortunes):
    data = get_dataset("tiny-fortunes")
    assert data.kind == "text" and data.shape == ()
    kept = [f"wise saying {i}" for i in range(15)] + ["First fortune, over two lines."]
    kept += ["Second: -- Somebody", "Third"]  # the long one is dropped
    train, test = data.split("train"), data.split("test")
    assert test.x.tolist() == [kept[0], kept[10]]
    assert train.x.tolist() == [d for i, d in enumerate(kept) if i % 10]
    assert train.y is None and is_text(train.x)
    pool = data.train_pool(5, seed=3).x.tolist()
    assert data.train_pool(9, seed=3).x.tolist()[:5] == pool  # a smaller pool is a prefix


def test_an_edited_fortune_file_is_refused_before_use(tiny_fortunes):
    (tiny_fortunes / "zippy").write_bytes(FORTUNE_FILE.replace(b"Third", b"Fifth"))
    with pytest.raises(manifests.VerificationError, match=r"zippy does not match its manifest"):
        get_dataset("tiny-fortunes").split("train")


def test_without_the_package_the_error_says_how_to_install_it(tmp_path):
    with pytest.raises(manifests.NotInstalledError, match="sudo apt-get install fortunes"):
        get_dataset("fortunes", data_dir=str(tmp_path)).split("train")


def test_fortunes_is_a_reserved_name():
    with pytest.raises(DataFileError, match="no built-in name"):
        manifests.check_new_name("fortunes")


@pytest.mark.needs_fortunes
def test_the_debian_fortunes_verify_and_match_the_manifest_counts():
    data = get_dataset("fortunes")
    manifest = data.manifest
    train, test = data.split("train"), data.split("test")
    assert (len(train.x), len(test.x)) == (manifest.splits["train"]["n"], 1120)
    assert max(map(len, train.x)) <= MAX_CHARS and min(map(len, train.x)) > 0
    row = next(r for r in catalogue() if r["name"] == "fortunes")
    assert row["kind"] == "text" and row["shape"] == "document"
    first = sorted(manifest.files.values(), key=lambda e: e.key)[0]
    digest = hashlib.sha256((data.directory / first.path).read_bytes()).hexdigest()
    assert digest == first.sha256


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path / "home"))
    return tmp_path


def test_data_add_reads_text_files_jsonl_and_folders(home):
    from madbench.data.imports import add_dataset

    (home / "lines.txt").write_text("".join(f"line {i}  of text\n\n" for i in range(20)))
    records = [json.dumps({"text": f"record {i}\nover lines", "id": i}) for i in range(20)]
    (home / "records.jsonl").write_text("\n".join(records) + "\n")
    (home / "docs").mkdir()
    for i in range(20):
        (home / "docs" / f"{i:02d}.txt").write_text(f"document {i}\nwhole")
    expected = {
        "lines.txt": [f"line {i} of text" for i in range(20)],
        "records.jsonl": [f"record {i} over lines" for i in range(20)],
        "docs": [f"document {i} whole" for i in range(20)],
    }
    for number, (source, docs) in enumerate(expected.items()):
        name = f"mine-{number}"
        add_dataset(name, home / source, test_fraction=0.2, seed=1)
        data = get_dataset(name)
        train, test = data.split("train").x, data.split("test").x
        assert data.kind == "text" and (len(train), len(test)) == (16, 4)
        assert sorted([*train.tolist(), *test.tolist()]) == sorted(docs)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", b"caf\xe9\nok\nok\n", r"bad.txt: not UTF-8 text"),
        ("bad.jsonl", b'{"text": "a"}\n{oops\n', r"bad.jsonl:2: not JSON"),
        ("bad.jsonl", b'{"text": "a"}\n{"body": "b"}\n', r"bad.jsonl:2: expected an object with"),
        ("few.txt", b"one\n\ntwo\n", "2 documents found; a text set needs at least 3"),
    ],
)
def test_bad_text_sources_are_refused_and_nothing_is_written(home, name, content, message):
    from madbench.data.imports import add_dataset
    from madbench.errors import InputError

    (home / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        add_dataset("mine", home / name)
    assert not (home / "home" / "manifests" / "mine.yaml").exists()


def test_data_add_of_text_from_the_command_line(home, capsys):
    from madbench.cli import main

    (home / "lines.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    assert main(["data", "add", "mine", "--from", str(home / "lines.txt")]) == 0
    out, _ = capsys.readouterr()
    assert "added mine: text document, no labels, train: 9, test: 1" in out
    code = main(["data", "add", "other", "--from", str(home / "lines.txt"), "--size", "8"])
    _, err = capsys.readouterr()
    assert code == 2 and err == "madbench: error: --size resizes image folders only\n"
