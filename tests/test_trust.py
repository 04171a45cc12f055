"""Run directories and inputs probed as an attacker and as a careless user would.

Each test reproduces one reported attack or fault and checks that it is now refused by name,
with one line and a non-zero exit, and that nothing is executed, deleted or half-written.
"""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from madbench.cli import main
from madbench.errors import DataFileError
from madbench.loops.config import RunConfig
from madbench.loops.engine import Loop
from madbench.loops.protocol import make_protocol
from madbench.runs.lock import locked
from madbench.runs.rundir import RunDir, config_sha256

SMALL = {"n_ini": 200, "n_synth": 200, "eval_n": 100}


def start(path, generations=5, model="gaussian", model_args=None, data="gaussian-2", **params):
    config = RunConfig(
        model,
        model_args or {},
        data,
        make_protocol("fully-synthetic", generations=generations, **{**SMALL, **params}),
    )
    Loop(config, RunDir(path), echo=lambda line: None).start()
    return Path(path)


def cut_to(run: Path, generations: int) -> None:
    """Make a finished run look interrupted after ``generations`` (as a kill would leave it)."""
    for gen in sorted(run.glob("gen-*")):
        if gen.is_dir() and int(gen.name[4:]) > generations:
            shutil.rmtree(gen)
    lines = (run / "results.csv").read_text().splitlines(keepends=True)
    (run / "results.csv").write_text("".join(lines[: generations + 2]))


def reseal(run: Path, t: int, name: str) -> None:
    """What a forger does after editing gen-t/name: put its new sha256 in the manifest."""
    manifest = run / f"gen-{t:03d}" / "manifest.json"
    entry = json.loads(manifest.read_text())
    entry["files"][name] = hashlib.sha256((run / f"gen-{t:03d}" / name).read_bytes()).hexdigest()
    manifest.write_text(json.dumps(entry))


def tree(path: Path) -> dict:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def resume(run, capsys) -> tuple[int, str]:
    code = main(["evaluate", "--resume", str(run)])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return start(tmp_path_factory.mktemp("trust") / "run")


@pytest.fixture
def half(finished, tmp_path):
    """A copy of a 5-generation run cut back to generation 3."""
    run = shutil.copytree(finished, tmp_path / "half")
    cut_to(run, 3)
    return run


# -- no code from data ----------------------------------------------------------------------
class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_checkpoint_never_runs(tmp_path, capsys):
    """The reported attack: a checkpoint whose pickle calls os.system."""
    from madbench.errors import DataFileError
    from madbench.generators.flow import FlowGenerator

    marker = tmp_path / "pwned"
    flow = FlowGenerator(steps=5).fit(np.random.default_rng(0).standard_normal((50, 2)), seed=0)
    flow.save(tmp_path)
    saved = torch.load(tmp_path / "flow.pt", weights_only=True)
    torch.save({**saved, "state": Payload(marker)}, tmp_path / "flow.pt")
    with pytest.raises(DataFileError, match="not a plain checkpoint of tensors and values"):
        FlowGenerator().load(tmp_path)
    assert not marker.exists()


def test_crafted_checkpoint_in_a_run_never_runs_on_resume(tmp_path, capsys):
    args = {"steps": 5, "T": 10, "sample_steps": 5, "width": 8}
    run = start(
        tmp_path / "ddpm", 2, "ddpm", args, "digits", retrain="warm", n_ini=100, n_synth=100
    )
    cut_to(run, 1)
    marker = tmp_path / "pwned"
    checkpoint = run / "gen-001" / "model" / "ddpm.pt"
    saved = torch.load(checkpoint, weights_only=True)
    torch.save({**saved, "net": Payload(marker)}, checkpoint)
    code, err = resume(run, capsys)
    assert code == 2 and "gen-001/model/ddpm.pt differs from the file" in err
    reseal(run, 1, "model/ddpm.pt")  # the forger updates the manifest too
    code, err = resume(run, capsys)
    assert code == 2 and "not a plain checkpoint of tensors and values, refused" in err
    assert not marker.exists()


def test_model_spec_must_name_an_adapter_class(half, tmp_path, capsys):
    marker = tmp_path / "pwned"
    config = json.loads((half / "config.json").read_text())
    config.update(model="os:system", model_args={"command": f"touch {marker}"})
    config["config_sha256"] = config_sha256(config)  # a consistent forgery
    (half / "config.json").write_text(json.dumps(config))
    code, err = resume(half, capsys)  # refused by verification, before anything is imported
    assert code == 2 and "its row has model 'gaussian', but config.json says 'os:system'" in err
    assert main(["evaluate", "--model", "os:system", "--data", "gaussian-2"]) == 2
    assert "names a builtin_function_or_method, not an adapter class" in capsys.readouterr().err
    assert not marker.exists()


# -- verified resume --------------------------------------------------------------------------
def test_a_resealed_protocol_is_refused_by_every_reader(finished, tmp_path, capsys):
    """bias edited to 0.5 (or NaN) and config.json resealed: build, verify, rescore and resume
    all refuse it (its protocol_hash no longer fits), where build once published lambda 0.5."""
    for bias in (0.5, float("nan")):
        run = shutil.copytree(finished, tmp_path / f"run-{bias}")
        config = json.loads((run / "config.json").read_text())
        config["protocol"]["bias"] = bias
        config["config_sha256"] = config_sha256(config)
        (run / "config.json").write_text(json.dumps(config))
        for command in (
            ["leaderboard", "build", str(run), "--out", str(tmp_path / "lb")],
            ["rescore", str(run)],
            ["evaluate", "--resume", str(run)],
        ):
            assert main(command) == 2, command
            err = capsys.readouterr().err
            assert any(
                why in err
                for why in ("does not fit its protocol", "does not match the", "must be in (0, 1]")
            ), err
            assert err.count("\n") == 1
        assert not (tmp_path / "lb").exists()


def test_edited_config_is_refused(half, capsys):
    before = tree(half)
    config = json.loads((half / "config.json").read_text())
    config["protocol"]["k"], config["protocol"]["bias"] = 3, 0.5
    (half / "config.json").write_text(json.dumps(config))
    code, err = resume(half, capsys)
    assert code == 2 and "config.json was edited after the run started" in err
    config["config_sha256"] = config_sha256(config)  # hash recomputed: the rows still differ
    (half / "config.json").write_text(json.dumps(config))
    code, err = resume(half, capsys)
    assert code == 2 and "config.json does not match the configuration" in err
    (half / "config.json").write_bytes(before["config.json"])
    assert {k: v for k, v in tree(half).items() if k != "config.json"} == {
        k: v for k, v in before.items() if k != "config.json"
    }


def test_altered_samples_are_refused(finished, tmp_path, capsys):
    run = shutil.copytree(finished, tmp_path / "r")
    cut_to(run, 5)
    samples = np.load(run / "gen-003" / "samples.npy")
    np.save(run / "gen-003" / "samples.npy", samples + 1e-6)
    code, err = resume(run, capsys)
    assert code == 2 and "gen-003/samples.npy differs from the file generation 3 wrote" in err
    (run / "gen-003" / "notes.txt").write_text("x")
    np.save(run / "gen-003" / "samples.npy", samples)
    code, err = resume(run, capsys)
    assert code == 2 and "notes.txt is not in its manifest" in err


def test_edited_row_is_refused(half, capsys):
    text = (half / "results.csv").read_text()
    rows = text.splitlines()
    cells = rows[3].split(",")
    cells[2] = "0.999"  # precision of generation 2
    (half / "results.csv").write_text("\n".join([*rows[:3], ",".join(cells), *rows[4:]]) + "\n")
    code, err = resume(half, capsys)
    assert code == 2 and "generation 2's precision is '0.999'" in err


def test_garbage_results_stop_the_resume_and_delete_nothing(half, capsys):
    (half / "results.csv").write_bytes(os.urandom(3000))
    before = tree(half)
    code, err = resume(half, capsys)
    assert code == 2 and "results.csv" in err and "nothing was deleted" in err
    assert tree(half) == before  # every checkpoint is still there
    (half / "results.csv").rename(half / "results.csv.broken")
    assert main(["evaluate", "--resume", str(half)]) == 0
    out = capsys.readouterr().out
    assert "4 rows restored from the manifests" in out and "resuming after generation 3" in out


def test_stray_folder_does_not_break_resume(half, capsys):
    shutil.copytree(half / "gen-002", half / "gen-002.bak")
    (half / ".gen-004.tmp-99999999").mkdir()  # a dead writer's leftover
    assert main(["evaluate", "--resume", str(half)]) == 0
    assert (half / "gen-002.bak").is_dir() and not (half / ".gen-004.tmp-99999999").exists()


def test_resumed_run_equals_the_uninterrupted_one(finished, half):
    Loop(RunConfig.from_dict(RunDir(half).config()), RunDir(half), echo=lambda line: None).resume()
    timing = ("fit_seconds", "sample_seconds", "metric_seconds")
    strip = [{k: v for k, v in r.items() if k not in timing} for r in RunDir(half).rows()]
    whole = [{k: v for k, v in r.items() if k not in timing} for r in RunDir(finished).rows()]
    assert strip == whole


# -- one writer -------------------------------------------------------------------------------
def test_second_writer_is_refused_until_the_first_dies(half, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from madbench.runs.lock import locked\n"
            "with locked(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
            str(half),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for command in (["evaluate", "--resume", str(half)], ["rescore", str(half)]):
            assert main(command) == 2
            assert f"is in use by process {holder.pid}" in capsys.readouterr().err
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert main(["evaluate", "--resume", str(half)]) == 0  # the kernel released the lock


def test_lock_is_shared_by_readers_and_exclusive_for_writers(tmp_path):
    with locked(tmp_path, shared=True), locked(tmp_path, shared=True):
        pass
    with locked(tmp_path):
        with pytest.raises(Exception, match="in use by process"):
            with locked(tmp_path, shared=True):
                pass


def test_a_planted_lock_link_leaves_its_target_untouched(finished, half, tmp_path, capsys):
    """A .lock that is a symbolic link (or a hard link) is refused by name, by a writer
    (--resume), a reader and leaderboard build's own lock: the file it points to keeps its
    bytes."""
    target = tmp_path / "precious.txt"
    target.write_bytes(b"keep me\n")
    (half / ".lock").unlink(missing_ok=True)
    (half / ".lock").symlink_to(target)
    code, err = resume(half, capsys)
    assert code == 2 and ".lock is a symbolic link" in err and "Traceback" not in err
    with pytest.raises(DataFileError, match="symbolic link"):
        with locked(half, shared=True):
            pass
    (half / ".lock").unlink()
    board = tmp_path / "boards"
    board.mkdir()
    (board / ".lb.lock").symlink_to(target)
    assert main(["leaderboard", "build", str(finished), "--out", str(board / "lb")]) == 2
    assert ".lb.lock is a symbolic link" in capsys.readouterr().err
    os.link(target, half / ".lock")
    code, err = resume(half, capsys)
    assert code == 2 and "a hard link to another file" in err
    assert target.read_bytes() == b"keep me\n"


# -- adapters that fail -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, message",
    [
        ("SaveRaises", "save() raised OSError('disk quota exceeded')"),
        ("MetaRaises", "meta() raised AttributeError"),
        ("Huge", "samples beyond 1e+30 in magnitude overflow the metrics"),
    ],
)
def test_adapter_failures_are_failed_rows_with_a_traceback_log(tmp_path, capsys, cls, message):
    out = tmp_path / "r"
    args = ["--generations", "2", "--n-ini", "200", "--n-synth", "200", "--eval-n", "100"]
    code = main(
        ["evaluate", "--model", f"toy_adapters:{cls}", "--data", "gaussian-2", "--out", str(out)]
        + args
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and f"traceback: {out}/gen-001.error.log" in err
    assert len(err.strip().splitlines()) == 1
    rows = RunDir(out).rows()
    assert [r["status"] for r in rows] == ["ok", "failed"] and message in rows[1]["error"]
    log = (out / "gen-001.error.log").read_text()
    assert message in log and ("toy_adapters.py" in log) == (cls != "Huge")  # its own frames
    assert not (out / "gen-001").exists() and not list(out.glob(".gen-*"))


def test_madbench_own_errors_are_not_adapter_failures(tmp_path, monkeypatch, capsys):
    from madbench.loops.scoring import Scorer

    def broken(self, generated, seed, train=None):
        raise ZeroDivisionError("a bug in madbench")

    monkeypatch.setattr(Scorer, "score", broken)
    with pytest.raises(ZeroDivisionError):
        start(tmp_path / "r", generations=2)
    assert RunDir(tmp_path / "r").rows() is None  # no row blames the adapter

    def no_memory(self, generated, seed, train=None):
        raise MemoryError

    monkeypatch.setattr(Scorer, "score", no_memory)
    out = str(tmp_path / "x")
    assert main(["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--out", out]) == 2
    assert "out of memory" in capsys.readouterr().err


def test_bad_model_args_refused_before_the_run_directory_exists(tmp_path, capsys):
    out = tmp_path / "r"
    command = ["evaluate", "--model", "flow", "--data", "gaussian-2", "--out", str(out)]
    assert main([*command, "--model-args", "depth=3"]) == 2
    assert "unknown flow options ['depth']" in capsys.readouterr().err and not out.exists()
    assert main([*command, "--k", "150", "--eval-n", "100"]) == 2
    assert "too few for k = 150" in capsys.readouterr().err and not out.exists()


def test_default_run_directory_names_the_model_args(tmp_path, monkeypatch):
    from madbench.runs.rundir import default_run_dir

    def config(args):
        return RunConfig("gmm", args, "gaussian-2", make_protocol("fully-synthetic"))

    plain, two, three = (default_run_dir(config(a)) for a in ({}, {"k": 2}, {"k": 3}))
    assert plain.startswith("runs/gaussian-2-gmm-fully-synthetic-")
    assert len({plain, two, three}) == 3 and two.startswith(plain + "-")


# -- leaderboards ---------------------------------------------------------------------------
def test_leaderboard_inputs_that_escape_or_hold_nothing(finished, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    header = "data,model\n"
    (tmp_path / "empty.csv").write_text(header)
    assert main(["leaderboard", "verify", str(tmp_path / "empty.csv")]) == 2
    assert "holds no rows" in capsys.readouterr().err
    assert main(["leaderboard", "build", str(finished), "--out", "."]) == 2
    assert "name a leaderboard folder" in capsys.readouterr().err
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    assert main(["leaderboard", "build", str(finished), "--out", str(precious)]) == 2
    assert "is not a leaderboard" in capsys.readouterr().err
    assert (precious / "thesis.tex").exists()
    board = tmp_path / "boards" / "b"
    assert main(["leaderboard", "build", str(finished), "--out", str(board)]) == 0
    # The finished run lies outside the working folder: verify will not read it.
    assert main(["leaderboard", "verify", str(board / "leaderboard.csv")]) == 1
    assert "lies outside" in capsys.readouterr().out
    root = str(finished.parent.parent)
    assert main(["leaderboard", "verify", str(board / "leaderboard.csv"), "--runs-root", root]) == 0


@pytest.mark.slow
def test_killed_leaderboard_build_keeps_the_old_folder(finished, tmp_path):
    board = tmp_path / "board"
    assert main(["leaderboard", "build", str(finished), "--out", str(board)]) == 0
    before = tree(board)
    script = (
        "import sys, time\n"
        "import madbench.leaderboard.publish as p\n"
        "slow = p.markdown\n"
        "def stall(rows):\n"
        "    print('writing', flush=True); time.sleep(60); return slow(rows)\n"
        "p.markdown = stall\n"
        "p.build([sys.argv[1]], sys.argv[2])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(finished), str(board)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"  # the temporary folder is half-written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tree(board) == before
    assert [p.name for p in tmp_path.glob(".board.tmp-*")] == [f".board.tmp-{proc.pid}"]
    time.sleep(0.01)
    assert main(["leaderboard", "build", str(finished), "--out", str(board)]) == 0
    assert not list(tmp_path.glob(".board.*-*")) and tree(board) == before


def test_suite_names_cannot_escape_the_runs_folder(tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    for experiments, message in [
        (
            "[{name: ../../x, model: gaussian, data: gaussian-2, protocol: fully-synthetic}]",
            "no paths",
        ),
        ("[just-a-string]", "expected a mapping"),
        (
            "[{model: gaussian, data: gaussian-2, protocol: fully-synthetic, seeds: 3}]",
            "seeds must",
        ),
    ]:
        suite.write_text(f"name: s\nexperiments: {experiments}\n")
        assert main(["reproduce", str(suite), "--runs", str(tmp_path / "runs")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path.parent / "x").exists()


# -- data files -----------------------------------------------------------------------------
def test_gzip_bomb_is_refused_with_bounded_memory(tmp_path):
    import gzip
    import tracemalloc

    from madbench.data.idx import read_bytes
    from madbench.errors import DataFileError

    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        block = bytes(2**20)
        for _ in range(256):  # 256 MiB of zeros in about 256 KB
            handle.write(block)
    tracemalloc.start()
    with pytest.raises(DataFileError, match="holds more than the 1000 bytes"):
        read_bytes(bomb, limit=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 2**20


def _zeros_npz(path, shape):
    """A .npz whose member x declares ``shape`` float64 zeros, written in chunks (never held)."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(int(np.prod(shape)) * 8 // 2**24):
                member.write(bytes(2**24))


def test_small_files_that_declare_huge_arrays_are_refused_before_reading(tmp_path, capsys):
    """A .npz of 256 MiB of zeros in about 256 KB and a gzip IDX likewise: one line, exit 2,
    refused from their headers (a ratio of 200:1 is a bomb) with nothing decompressed, and
    nothing added."""
    import gzip
    import struct
    import tracemalloc

    from madbench.data.idx import write_idx

    _zeros_npz(tmp_path / "bomb.npz", (2**25,))
    assert (tmp_path / "bomb.npz").stat().st_size < 2**20
    idx = tmp_path / "idx"
    idx.mkdir()
    with gzip.open(idx / "train-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**18, 32, 32))
        for _ in range(16):
            handle.write(bytes(2**24))
    write_idx(idx / "train-labels-idx1-ubyte.gz", np.zeros(2**18, np.uint8), compress=True)
    write_idx(idx / "t10k-images-idx3-ubyte.gz", np.zeros((10, 28, 28), np.uint8), compress=True)
    write_idx(idx / "t10k-labels-idx1-ubyte.gz", np.zeros(10, np.uint8), compress=True)
    tracemalloc.start()
    for source in (tmp_path / "bomb.npz", idx):
        assert main(["data", "add", "bomb", "--from", str(source)]) == 2
        err = capsys.readouterr().err
        assert "compression ratio beyond 200:1" in err and err.count("\n") == 1
    assert main(["metrics", str(tmp_path / "bomb.npz"), str(tmp_path / "bomb.npz")]) == 2
    assert "compression ratio beyond 200:1" in capsys.readouterr().err
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 2**20, peak  # far below the 256 MiB declared
    assert main(["data", "list"]) == 0 and "bomb" not in capsys.readouterr().out


def test_images_beyond_pils_pixel_limit_are_one_line(tmp_path, monkeypatch, capsys):
    """PIL refuses an image whose header declares more pixels than its decompression-bomb
    limit; data add says so in one line (the limit lowered here so a small image trips it)."""
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((64, 64), 40 * i, np.uint8)).save(folder / f"{i}.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert main(["data", "add", "big", "--from", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "not a readable image" in err and "decompression bomb" in err.lower()
    assert err.count("\n") == 1


def test_manifest_paths_cannot_leave_the_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MADBENCH_HOME", str(tmp_path))
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "evil.yaml").write_text(
        "name: evil\nkind: image\nsource: x\nlicence: x\nfiles:\n"
        "  train-images: {path: ../../../../etc/passwd, bytes: 10, sha256: ab, shape: [1]}\n"
    )
    assert main(["data", "verify", "evil"]) == 2
    assert "must be a plain file name inside the data folder" in capsys.readouterr().err


def test_idx_sizes_that_overflow_int64_are_refused():
    from madbench.data.idx import parse_idx
    from madbench.errors import DataFileError

    header = bytes([0, 0, 0x08, 4]) + (2**31).to_bytes(4, "big") * 4  # 2^124 values
    with pytest.raises(DataFileError, match="needs .* bytes but the file has"):
        parse_idx(header + bytes(16))


def test_unknown_device_is_one_line(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.random.default_rng(0).standard_normal((30, 2)))
    assert (
        main(["metrics", str(tmp_path / "a.npy"), str(tmp_path / "a.npy"), "--device", "foo"]) == 2
    )
    assert "unknown torch device 'foo'" in capsys.readouterr().err


def test_corrupt_image_in_a_folder_is_one_line(tmp_path):
    from PIL import Image

    from madbench.errors import FeatureError
    from madbench.features.extractors import InceptionFeatures

    class Stub(torch.nn.Module):  # stands in for Inception (no weights offline)
        def forward(self, x):
            return torch.zeros(x.shape[0], 2048)

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "ok.png")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    features = InceptionFeatures(device="cpu")
    features.model = Stub
    with pytest.raises(FeatureError, match="broken.png'\\); fix or remove it"):
        features.folder(tmp_path)


def test_edited_provenance_is_refused_by_the_build(finished, tmp_path, capsys):
    run = shutil.copytree(finished, tmp_path / "r")
    prov = json.loads((run / "provenance.json").read_text())
    prov["data_sha256"] = {"digits": "0" * 64}
    (run / "provenance.json").write_text(json.dumps(prov))
    assert main(["leaderboard", "build", str(run), "--out", str(tmp_path / "b")]) == 2
    assert "provenance.json differs from the one the run wrote" in capsys.readouterr().err


def test_suite_with_bad_model_args_fails_before_any_run(tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\nexperiments:\n"
        "  - {name: good, model: gaussian, data: gaussian-2, protocol: fully-synthetic}\n"
        "  - {name: bad, model: gmm, model_args: {colours: 3}, data: gaussian-2,"
        " protocol: fully-synthetic}\n"
    )
    assert main(["reproduce", str(suite), "--runs", str(tmp_path / "runs")]) == 2
    assert "model 'gmm' cannot be built" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_suite_with_a_missing_data_set_fails_before_any_run(tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\nexperiments:\n"
        "  - {name: a, model: gaussian, data: gaussian-2, protocol: fully-synthetic}\n"
        "  - {name: b, model: gmm, data: fashion-mnist, protocol: fully-synthetic}\n"
    )
    monkey_dir = tmp_path / "empty"
    monkey_dir.mkdir()
    from madbench.suites import load_suite, run_suite

    runs = load_suite(str(suite)).runs
    for planned in runs:  # point fashion-mnist at an empty folder: not installed
        object.__setattr__(planned.config, "data_dir", str(monkey_dir))
    with pytest.raises(Exception, match="fashion-mnist is not installed"):
        run_suite(runs, tmp_path / "runs", echo=lambda line: None)
    assert not (tmp_path / "runs").exists()


def test_resuming_a_finished_run_says_so(finished, tmp_path, capsys):
    run = shutil.copytree(finished, tmp_path / "r")
    assert main(["evaluate", "--resume", str(run)]) == 0
    assert "the run is complete (generations 0 to 5); nothing to do" in capsys.readouterr().out


def test_a_run_from_a_newer_madbench_is_refused_by_name(half, capsys):
    config = json.loads((half / "config.json").read_text())
    config["format"] = 99
    config["config_sha256"] = config_sha256(config)
    (half / "config.json").write_text(json.dumps(config))
    code, err = resume(half, capsys)
    assert code == 2 and "written by a newer madbench (run format 99" in err


def test_results_csv_columns_are_versioned_by_the_run_format():
    from madbench.loops.config import RUN_FORMAT
    from madbench.runs.schema import COLUMNS, COLUMNS_BY_FORMAT

    assert COLUMNS_BY_FORMAT[RUN_FORMAT] == tuple(COLUMNS)


# -- the data is what the run used -------------------------------------------------------------
def test_data_replaced_under_its_name_is_refused_by_resume_rescore_and_leaderboards(
    tmp_path, capsys
):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "first.npy", rng.standard_normal((400, 3)))
    np.save(tmp_path / "second.npy", rng.standard_normal((400, 3)) + 0.5)
    assert main(["data", "add", "mine", "--from", str(tmp_path / "first.npy")]) == 0
    run = start(tmp_path / "run", generations=2, data="mine", n_ini=150, n_synth=150, eval_n=40)
    finished = shutil.copytree(run, tmp_path / "finished")
    cut_to(run, 1)
    assert main(["data", "remove", "mine"]) == 0
    assert main(["data", "add", "mine", "--from", str(tmp_path / "second.npy")]) == 0
    capsys.readouterr()
    before = tree(run)
    for command in (
        ["evaluate", "--resume", str(run)],
        ["rescore", str(finished)],
        ["leaderboard", "build", str(finished), "--out", str(tmp_path / "board")],
    ):
        assert main(command) == 2, command
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "data set 'mine' is not the data this run used" in err
        assert "the run used sha256" in err and "the data set now has" in err
    assert tree(run) == before and not (tmp_path / "board").exists()
    # The old files back under the name: everything goes through again.
    assert main(["data", "remove", "mine"]) == 0
    assert main(["data", "add", "mine", "--from", str(tmp_path / "first.npy")]) == 0
    assert main(["evaluate", "--resume", str(run)]) == 0
    assert main(["rescore", str(finished)]) == 0


def test_runs_that_differ_only_in_their_threads_are_not_pooled(tmp_path):
    from madbench.leaderboard.build import group_runs

    one = start(tmp_path / "one", generations=1)
    two = tmp_path / "two"
    config = RunConfig(
        "gaussian", {}, "gaussian-2", make_protocol("fully-synthetic", generations=1, **SMALL),
        threads=2,
    )  # fmt: skip
    Loop(config, RunDir(two), echo=lambda line: None).start()
    groups = group_runs([one, two])
    assert sorted(len(g) for g in groups) == [1, 1]
    assert {g[0].setting()["threads"] for g in groups} == {1, 2}


# -- sizes bounded before anything is allocated or written -------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--eval-n", "1000000000000"], "eval_n must be at most 10,000,000"),
        (["--generations", "1000000000000"], "generations must be at most 10,000"),
        (["--n-ini", "9000000", "--data", "gaussian-3000"], "GiB for their arrays"),
        (["--seed", "-1"], "seed must lie in 0 to 4294967295"),
        (["--seed", "99999999999999999999999999"], "seed must lie in 0 to 4294967295"),
        (["--threads", "100000"], "threads must lie in 1 to this machine's"),
        (["--eval-n", "3", "--k", "1"], "KID needs at least 2 samples per set"),
    ],
)
def test_sizes_beyond_what_can_run_are_one_line_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    base = ["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--out", str(out)]
    assert main([*base, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_suites_with_alias_bombs_or_huge_grids_are_refused_before_expanding(tmp_path, capsys):
    bomb = ["name: bomb", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level, previous in zip("bcdefghi", "abcdefgh", strict=True):
        bomb.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join([*bomb, "experiments: *i"]) + "\n")
    started = time.perf_counter()
    assert main(["reproduce", str(tmp_path / "bomb.yaml"), "--list"]) == 2
    assert "more than 100,000 YAML nodes" in capsys.readouterr().err
    values = "[" + ", ".join(str(v) for v in range(1, 11)) + "]"
    (tmp_path / "grid.yaml").write_text(
        "name: grid\nexperiments:\n  - {model: gaussian, data: gaussian-2, protocol: "
        f"fully-synthetic, seeds: {values},\n     vary: {{n_ini: {values}, n_synth: {values}, "
        f"eval_n: {values}, k: {values}, generations: {values}}}}}\n"
    )
    assert main(["reproduce", str(tmp_path / "grid.yaml"), "--list"]) == 2
    assert "make 1,000,000 runs, more than a suite may plan" in capsys.readouterr().err
    assert time.perf_counter() - started < 20


# -- numbers stay valid JSON and scale-invariant ------------------------------------------------
def test_overflowing_kid_is_refused_and_json_never_holds_infinity(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((100, 4)) * 1e30)
    np.save(tmp_path / "b.npy", rng.standard_normal((100, 4)) * 1.1e30)
    assert main(["metrics", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "KID's spread over subsets overflows float64" in err and err.count("\n") == 1
    np.save(tmp_path / "c.npy", rng.standard_normal((100, 4)))
    np.save(tmp_path / "d.npy", rng.standard_normal((100, 4)))
    assert main(["metrics", str(tmp_path / "c.npy"), str(tmp_path / "d.npy"), "--json"]) == 0
    json.loads(capsys.readouterr().out)  # strict JSON


def test_vendi_does_not_depend_on_the_features_scale():
    from madbench.metrics.vendi import vendi_score

    x = np.random.default_rng(1).standard_normal((50, 6))
    for scale in (1e-170, 1e-30, 1e30, 1e170):
        assert np.isclose(vendi_score(x * scale), vendi_score(x), rtol=1e-12), scale


def test_labels_are_class_indices_within_a_limit(tmp_path, capsys):
    x = np.random.default_rng(2).random((20, 3))
    np.savez(tmp_path / "labels.npz", x=x, y=np.array([2**62] + [0] * 19))
    assert main(["data", "add", "huge-labels", "--from", str(tmp_path / "labels.npz")]) == 2
    assert "labels must be class indices 0 to 99,999" in capsys.readouterr().err


# -- a run holds only its own files ---------------------------------------------------------------
def test_links_inside_a_run_are_refused_and_never_followed(finished, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    cases = {
        "a file": lambda run: (run / "gen-002" / "extra.npy").symlink_to(outside / "keep.txt"),
        "a folder": lambda run: (run / "gen-002" / "more").symlink_to(outside),
        "a generation": lambda run: (
            shutil.move(run / "gen-005", tmp_path / "gen-005-moved"),
            (run / "gen-005").symlink_to(tmp_path / "gen-005-moved"),
        ),
    }
    for what, plant in cases.items():
        run = shutil.copytree(finished, tmp_path / what.replace(" ", "-"))
        plant(run)
        code, err = resume(run, capsys)
        assert code == 2 and "is a symbolic link" in err, what
        assert main(["leaderboard", "build", str(run), "--out", str(tmp_path / "lb")]) == 2
        assert "is a symbolic link" in capsys.readouterr().err, what
    stale = shutil.copytree(finished, tmp_path / "stale")
    cut_to(stale, 3)
    (stale / ".gen-004.tmp-1").symlink_to(outside)  # a dead writer's temporary name, as a link
    assert resume(stale, capsys)[0] == 0  # the link removed, its target untouched
    assert (outside / "keep.txt").read_text() == "keep" and not (stale / ".gen-004.tmp-1").exists()


def test_a_failed_row_past_the_last_generation_is_refused(finished, tmp_path, capsys):
    run = shutil.copytree(finished, tmp_path / "run")
    lines = (run / "results.csv").read_text().splitlines()
    header = lines[0].split(",")
    extra = dict.fromkeys(header, "")
    extra.update(generation="6", status="failed", error="made up")
    (run / "results.csv").write_text("\n".join([*lines, ",".join(extra[c] for c in header)]) + "\n")
    assert main(["leaderboard", "build", str(run), "--out", str(tmp_path / "lb")]) == 2
    assert "no finished generation backs" in capsys.readouterr().err


def test_a_manifest_location_never_imports_a_module(tmp_path, monkeypatch, capsys):
    """A package location is found without importing it (its code never runs); a name that is
    not an installed package is one line."""
    home = tmp_path / "home"
    monkeypatch.setenv("MADBENCH_HOME", str(home))
    (home / "manifests").mkdir(parents=True)
    shipped = Path(__file__).resolve().parent.parent / "madbench/resources/manifests/digits.yaml"
    text = shipped.read_text()
    (home / "manifests" / "mine.yaml").write_text(
        text.replace("name: digits", "name: mine").replace("package:sklearn", "package:antigravity")
    )
    sys.modules.pop("antigravity", None)
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: pytest.fail("antigravity ran"))
    main(["data", "list"])
    main(["data", "verify", "mine"])
    assert "antigravity" not in sys.modules
    (home / "manifests" / "mine.yaml").write_text(
        text.replace("name: digits", "name: mine").replace("package:sklearn", "package:no_such_pkg")
    )
    assert main(["data", "verify", "mine"]) == 2
    assert "'no_such_pkg', which is not an installed package" in capsys.readouterr().err


# -- faults reported as faults ---------------------------------------------------------------------
def test_a_full_disk_is_one_line_never_the_adapters_failure_and_resumes(
    tmp_path, monkeypatch, capsys
):
    """Disk full inside the adapter's save() or inside madbench's own writes: one line, exit 2,
    no failed row recorded, and --resume (once there is space) gives the uninterrupted rows."""
    import errno

    args = ["--data", "gaussian-2", "--generations", "2", "--n-ini", "60", "--eval-n", "60"]
    full = ["evaluate", "--model", "tests.toy_adapters:SaveDiskFull", *args]
    assert main([*full, "--out", str(tmp_path / "adapter")]) == 2
    err = capsys.readouterr().err
    assert "save(): no space left on device while writing" in err and err.count("\n") == 1
    assert "failed" not in (tmp_path / "adapter" / "results.csv").read_text()

    original = np.save

    def disk_full(file, *a, **k):
        if "gen-002" in str(file) or ".gen-002" in str(file):
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return original(file, *a, **k)

    run = tmp_path / "own"
    honest = ["evaluate", "--model", "tests.toy_adapters:Honest", *args]
    monkeypatch.setattr(np, "save", disk_full)
    assert main([*honest, "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "no space left on device" in err and "Traceback" not in err
    monkeypatch.setattr(np, "save", original)
    assert main(["evaluate", "--resume", str(run)]) == 0
    assert main([*honest, "--out", str(tmp_path / "whole")]) == 0
    capsys.readouterr()
    timing = ("fit_seconds", "sample_seconds", "metric_seconds")
    resumed, whole = (
        [{k: v for k, v in row.items() if k not in timing} for row in csv.DictReader(f.open())]
        for f in (run / "results.csv", tmp_path / "whole" / "results.csv")
    )
    assert resumed == whole
