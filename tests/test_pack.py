"""Leaderboard packs: a board's runs in one archive that anyone can verify the board against,
unpacked safely (madbench.leaderboard.pack)."""

import io
import tarfile

import pytest

from madbench.cli import main

LOOP = ["--data", "gaussian-2", "--generations", "2", "--n-ini", "60", "--eval-n", "60"]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    runs = []
    for seed in (0, 1):
        out = root / "runs" / f"s{seed}"
        assert (
            main(["evaluate", "--model", "gaussian", *LOOP, "--seed", str(seed), "--out", str(out)])
            == 0
        )
        runs.append(str(out))
    assert main(["leaderboard", "build", *runs, "--out", str(root / "leaderboards" / "b")]) == 0
    return root / "leaderboards" / "b"


def test_a_pack_verifies_the_board_without_the_runs(board, tmp_path, monkeypatch, capsys):
    archive = tmp_path / "b.tar.gz"
    assert main(["leaderboard", "pack", str(board), "--out", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "packed 2 of 2 runs" in out and "sha256" in out
    assert (tmp_path / "b.tar.gz.sha256").read_text().split()[1] == "b.tar.gz"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "leaderboards/b/leaderboard.csv" in names and "runs/s0/config.json" in names
    assert "runs/s0/gen-001/eval_samples.npy" in names
    assert not any("/model/" in name for name in names)  # checkpoints only with --models
    elsewhere = tmp_path / "elsewhere" / "b"  # a reader's copy of the board, runs absent
    elsewhere.mkdir(parents=True)
    for name in ("leaderboard.csv", "per_seed.csv"):
        (elsewhere / name).write_bytes((board / name).read_bytes())
    monkeypatch.chdir(tmp_path / "elsewhere")
    csv_file = str(elsewhere / "leaderboard.csv")
    assert main(["leaderboard", "verify", csv_file, "--runs", str(archive)]) == 0
    assert "match their runs" in capsys.readouterr().out
    assert main(["leaderboard", "verify", csv_file]) != 0  # without the pack: no runs here

    again = tmp_path / "again.tar.gz"
    assert main(["leaderboard", "pack", str(board), "--out", str(again)]) == 0
    assert again.read_bytes() == archive.read_bytes()  # deterministic


def test_an_edited_pack_fails_verification(board, tmp_path, capsys):
    archive = tmp_path / "b.tar.gz"
    assert main(["leaderboard", "pack", str(board), "--out", str(archive)]) == 0
    edited = tmp_path / "edited.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(edited, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "runs/s1/gen-001/eval_samples.npy":
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit of one kept sample
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    capsys.readouterr()
    assert (
        main(["leaderboard", "verify", str(board / "leaderboard.csv"), "--runs", str(edited)]) == 1
    )
    assert (
        "gen-001/eval_samples.npy differs from the file generation 1 wrote"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("kind", ["symlink", "parent", "absolute"])
def test_a_hostile_archive_is_refused_in_one_line(board, tmp_path, capsys, kind):
    archive = tmp_path / "hostile.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(
            {"symlink": "runs/link", "parent": "../x", "absolute": "/tmp/x"}[kind]
        )
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    assert (
        main(["leaderboard", "verify", str(board / "leaderboard.csv"), "--runs", str(archive)]) == 2
    )
    err = capsys.readouterr().err
    assert (
        "is not a plain file or folder inside the pack; refused" in err
        and len(err.splitlines()) == 1
    )
    assert not (tmp_path.parent / "x").exists()


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_the_committed_ci_pack_is_the_one_its_sha256_names():
    import hashlib

    archive = ROOT / "leaderboards" / "ci-runs.tar.gz"
    digest, name = (ROOT / "leaderboards" / "ci-runs.tar.gz.sha256").read_text().split()
    assert name == archive.name and hashlib.sha256(archive.read_bytes()).hexdigest() == digest


@pytest.mark.slow  # reads and re-derives 30 runs
def test_the_committed_ci_board_verifies_against_its_committed_pack(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no runs here: only the pack holds them
    board = ROOT / "leaderboards" / "ci" / "leaderboard.csv"
    archive = ROOT / "leaderboards" / "ci-runs.tar.gz"
    assert main(["leaderboard", "verify", str(board), "--runs", str(archive)]) == 0
    assert "all 6 rows match their runs" in capsys.readouterr().out
