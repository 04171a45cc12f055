"""--log tensorboard|wandb|mlflow: every metric of results.csv, read back by each tracker's own
reader, equals the CSV; config once; samples as media; resume completes the tracker's run."""

import csv
import json
import struct
from pathlib import Path

import numpy as np
import pytest

import madbench
from madbench.trackers import metrics_of

SIZES = dict(generations=2, n_ini=100, eval_n=60, metrics="prdc,fid")


def recorded(run_dir: Path) -> dict[int, dict[str, float]]:
    with open(run_dir / "results.csv", newline="") as handle:
        return {int(r["generation"]): metrics_of(r) for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    for package in ("tensorboard", "wandb", "mlflow"):
        pytest.importorskip(package)
    base = tmp_path_factory.mktemp("trackers")
    run = madbench.evaluate(
        "gmm", "digits", model_args={"n_components": 2}, out=base / "run",
        log=("tensorboard", "wandb", "mlflow"), log_dir=base / "logs", **SIZES,
    )  # fmt: skip
    return run.path, base / "logs", recorded(run.path)


def test_tensorboard_reads_back_every_metric(logged):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    _, logs, rows = logged
    events = EventAccumulator(str(logs / "tensorboard"), size_guidance={"tensors": 0, "images": 0})
    events.Reload()
    read = {}
    for tag in events.Tags()["tensors"]:
        for event in events.Tensors(tag):
            value = tensor_util.make_ndarray(event.tensor_proto)
            if value.dtype == np.float64:
                read.setdefault(event.step, {})[tag] = float(value)
    assert read == rows
    assert "recall" in rows[2] and "fid" in rows[1]
    assert [e.step for e in events.Images("samples")] == [1, 2]
    assert "config/text_summary" in events.Tags()["tensors"]


def wandb_records(path: Path):
    """The records of an offline W&B run file: W&B 0.31 ships no Python reader, so this
    decodes its documented framing (a 7-byte ':W&B' header, then LevelDB log records in
    32 KiB blocks: crc32c, length, type) and parses each record with W&B's own protobuf."""
    from wandb.proto import wandb_internal_pb2

    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B"
    offset, pending = 7, b""
    while offset + 7 <= len(data):
        if block - offset % block < 7:
            offset += block - offset % block  # the block's tail is padding
            continue
        _, length, kind = struct.unpack("<IHB", data[offset : offset + 7])
        chunk = data[offset + 7 : offset + 7 + length]
        offset += 7 + length
        if kind == 0 and length == 0:
            continue
        pending += chunk
        if kind in (1, 4):  # a full record, or the last part of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record
            pending = b""


def test_wandb_reads_back_every_metric(logged):
    _, logs, rows = logged
    (path,) = (logs / "wandb").rglob("run-*.wandb")
    read, config = {}, None
    for record in wandb_records(path):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            items = {
                i.key or "/".join(i.nested_key): json.loads(i.value_json)
                for i in record.history.item
            }
            step = items.pop("_step")
            numbers = {
                k: v
                for k, v in items.items()
                if isinstance(v, float | int) and not k.startswith(("_", "samples/"))
            }
            read[step] = {k: float(v) for k, v in numbers.items()}
            assert (items.get("samples/_type") == "image-file") == (step > 0)
        elif kind == "run":  # the configuration comes with the run record
            config = {u.key: json.loads(u.value_json) for u in record.run.config.update}
    assert read == rows
    assert config["config"]["protocol"]["n_ini"] == 100


def test_mlflow_reads_back_every_metric(logged):
    from mlflow.tracking import MlflowClient

    run_dir, logs, rows = logged
    client = MlflowClient(tracking_uri=(logs / "mlflow").resolve().as_uri())
    experiment = client.get_experiment_by_name("madbench")
    (found,) = client.search_runs([experiment.experiment_id])
    read = {}
    for key in found.data.metrics:
        for metric in client.get_metric_history(found.info.run_id, key):
            read.setdefault(metric.step, {})[key] = metric.value
    assert read == rows
    assert found.data.params["protocol.n_ini"] == "100"
    artifacts = [a.path for a in client.list_artifacts(found.info.run_id, "samples")]
    assert artifacts == ["samples/gen-001.png", "samples/gen-002.png"]


def test_a_resumed_run_sends_the_whole_run(tmp_path):
    pytest.importorskip("tensorboard")
    import shutil

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = madbench.evaluate(
        "gmm", "digits", model_args={"n_components": 2}, out=tmp_path / "run", **SIZES
    )
    shutil.rmtree(run.path / "gen-002")
    lines = (run.path / "results.csv").read_text().splitlines(keepends=True)
    (run.path / "results.csv").write_text("".join(lines[:-1]))
    madbench.resume(run.path, log=("tensorboard",), log_dir=tmp_path / "logs")
    events = EventAccumulator(str(tmp_path / "logs" / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    assert [e.step for e in events.Tensors("recall")] == [0, 1, 2]


def test_an_unknown_or_missing_tracker_is_named(tmp_path, capsys, monkeypatch):
    from madbench.cli import main

    code = main(["evaluate", "--model", "gmm", "--data", "digits", "--log", "comet"])
    assert code == 2 and "'comet' is not one of" in capsys.readouterr().err
    import builtins

    real_import = builtins.__import__

    def no_wandb(name, *args, **kwargs):
        if name == "wandb":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wandb)
    code = main(
        [
            "evaluate",
            "--model",
            "gmm",
            "--data",
            "digits",
            "--log",
            "wandb",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--log wandb needs the wandb package" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
