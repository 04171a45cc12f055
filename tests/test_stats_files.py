"""Reference statistics made once (madbench.metrics.reference, madbench.statsfiles,
``madbench stats make``): every score that reuses them equals the score without them to the
last bit, a loop finds its file by itself, and a damaged, altered or mismatched file is
refused in one line."""

import json

import numpy as np
import pandas as pd
import pytest

import madbench
from madbench.cli import main
from madbench.errors import DataFileError
from madbench.metrics.reference import real_statistics
from madbench.metrics.report import all_metrics
from madbench.metrics.settings import MetricSettings
from madbench.statsfiles import StatsKey, load_stats_file, save_stats_file


def same(a: dict, b: dict) -> bool:
    """Equal cell by cell, NaN where both are NaN."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)


@pytest.mark.parametrize(
    "n, d, dtype, k, which",
    [
        (400, 12, np.float32, 5, ("default", "all")),
        (120, 300, np.float64, 3, ("default", "all")),  # d > n: FID from the rows
        (4200, 6, np.float32, 5, ("default",)),  # above the whole kernels: the fused pass
    ],
)
def test_every_metric_is_unchanged_by_stored_statistics(n, d, dtype, k, which):
    rng = np.random.default_rng(0)
    real = rng.standard_normal((n, d)).astype(dtype)
    fake = (0.2 + 1.1 * rng.standard_normal((n, d))).astype(dtype)
    stats = real_statistics(real, k=k)
    settings = MetricSettings(k=k, kid_scale="real-norm")
    for metrics in which:
        plain = all_metrics(real, fake, settings=settings, metrics=metrics).as_dict()
        for _ in range(2):  # the kernel matrices are made on first use, then reused
            reused = all_metrics(
                real, fake, settings=settings, metrics=metrics, real_stats=stats
            ).as_dict()
            assert same(plain, reused)


def test_statistics_of_other_rows_or_another_k_are_not_used():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((200, 4)), rng.standard_normal((200, 4))
    other = real_statistics(real + 1.0)  # other rows: ignored, not trusted
    assert same(
        all_metrics(real, fake, real_stats=other).as_dict(), all_metrics(real, fake).as_dict()
    )
    k3 = real_statistics(real, k=3)  # another k: the radii are searched
    settings = MetricSettings(k=5)
    assert same(
        all_metrics(real, fake, settings=settings, real_stats=k3).as_dict(),
        all_metrics(real, fake, settings=settings).as_dict(),
    )


def write_stats(tmp_path, n=150, d=6, k=5):
    real = np.random.default_rng(2).standard_normal((n, d)).astype(np.float32)
    key = StatsKey("ab" * 32, "identity", None)
    path = tmp_path / "real-stats.npz"
    save_stats_file(path, real_statistics(real, k=k), key, "a test")
    return path, key, real


def rewrite(path, **changes):
    """The file with some arrays (or the meta) replaced, everything else as it was."""
    with np.load(path) as arrays:
        content = {name: arrays[name] for name in arrays.files}
    content.update(changes)
    np.savez(path, **content)


def test_a_stats_file_reads_back_and_is_verified(tmp_path):
    path, key, real = write_stats(tmp_path)
    stats, found = load_stats_file(path, expect=key)
    assert found == key and np.array_equal(stats.features, real) and stats.k == 5
    with pytest.raises(DataFileError, match="other samples or another feature space"):
        load_stats_file(path, expect=StatsKey("cd" * 32, "identity", None))
    with np.load(path) as arrays:
        features, meta, kth = (
            arrays["features"].copy(),
            json.loads(str(arrays["meta"])),
            arrays["kth_sqdist"].copy(),
        )
    altered = features.copy()
    altered[0, 0] += 1.0
    rewrite(path, features=altered)
    with pytest.raises(DataFileError, match="does not have the sha256 its meta records"):
        load_stats_file(path)
    # Consistent digests over wrong radii: the spot check recomputes rows from the features.
    from madbench.digests import array_sha256

    meta["sha256"]["kth_sqdist"] = array_sha256(kth * 1.5)
    rewrite(path, features=features, kth_sqdist=kth * 1.5, meta=np.array(json.dumps(meta)))
    with pytest.raises(DataFileError, match="stored k-NN radius is not its features'"):
        load_stats_file(path)
    with np.load(path) as arrays:  # a Gaussian altered, its digest rewritten: recomputed
        sigma = arrays["sigma"] * 4
    meta["sha256"].update(kth_sqdist=array_sha256(kth), sigma=array_sha256(sigma))
    rewrite(path, kth_sqdist=kth, sigma=sigma, meta=np.array(json.dumps(meta)))
    with pytest.raises(DataFileError, match="mu and sigma are not its features' Gaussian"):
        load_stats_file(path)
    (tmp_path / "junk.npz").write_bytes(b"PK junk")
    assert main(["metrics", str(tmp_path / "junk.npz"), str(path)]) == 2


def test_metrics_and_fid_take_a_stats_file_in_place_of_real(tmp_path, capsys):
    rng = np.random.default_rng(3)
    np.save(tmp_path / "real.npy", rng.standard_normal((300, 8)).astype(np.float32))
    np.save(tmp_path / "fake.npy", (0.3 + rng.standard_normal((300, 8))).astype(np.float32))
    stats = tmp_path / "stats.npz"
    assert main(["stats", "make", str(tmp_path / "real.npy"), "--out", str(stats)]) == 0
    capsys.readouterr()
    outputs = []
    for real in (stats, tmp_path / "real.npy"):
        for command in (["metrics", "--metrics", "all", "--json"], ["fid"]):
            assert main([command[0], str(real), str(tmp_path / "fake.npy"), *command[1:]]) == 0
            outputs.append(capsys.readouterr().out)
    assert outputs[:2] == outputs[2:]
    assert main(["stats", str(tmp_path / "real.npy"), str(tmp_path / "g.npz")]) == 0  # as before


def test_a_loop_finds_its_stats_file_and_scores_the_same(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MADBENCH_CACHE", str(tmp_path / "cache"))
    args = ["stats", "make", "digits", "--eval-n", "200", "--seed", "0", "--seed", "1"]
    assert main(args) == 0
    assert capsys.readouterr().out.count("wrote") == 2  # two seeds, two sets of samples
    options = dict(generations=2, n_ini=200, eval_n=200, seed=1, threads=1)
    lines = []
    stored = madbench.evaluate(
        "gmm", "digits", out=tmp_path / "stored", echo=lines.append, **options
    )
    assert any(line.startswith("reference statistics: ") for line in lines)
    monkeypatch.setenv("MADBENCH_CACHE", str(tmp_path / "empty"))
    lines.clear()
    plain = madbench.evaluate("gmm", "digits", out=tmp_path / "plain", echo=lines.append, **options)
    assert not any(line.startswith("reference statistics") for line in lines)
    timing = [c for c in stored.results.columns if c.endswith("_seconds")]
    pd.testing.assert_frame_equal(
        stored.results.drop(columns=timing), plain.results.drop(columns=timing)
    )


def test_stats_make_errors_are_one_line(tmp_path, capsys):
    args = ["stats", "make", "digits", "--seed", "0", "--seed", "1", "--eval-n", "100"]
    assert main([*args, "--out", str(tmp_path / "one.npz")]) == 2
    err = capsys.readouterr().err
    assert "--out names one file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "one.npz").exists()
    assert main(["stats", "make", "no-such-data"]) == 2
    np.save(tmp_path / "real.npy", np.ones((20, 3)))
    for data, out, message in [
        (tmp_path / "real.npy", tmp_path / "real.npy", "name a new .npz file"),
        (tmp_path / "real.npy", tmp_path / "stats.txt", "name a new .npz file"),
        (tmp_path / "nosuch.npy", None, "no such file or folder"),
    ]:
        capsys.readouterr()
        extra = [] if out is None else ["--out", str(out)]
        assert main(["stats", "make", str(data), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert np.load(tmp_path / "real.npy").shape == (20, 3)  # the input is untouched


def test_a_damaged_cache_file_stops_a_run_before_it_writes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MADBENCH_CACHE", str(tmp_path / "cache"))
    (path,) = madbench.make_stats("gaussian-2", eval_n=100)
    path.write_bytes(b"PK not a zip")
    args = ["evaluate", "--model", "gaussian", "--data", "gaussian-2", "--eval-n", "100"]
    assert main([*args, "--generations", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "remake it with madbench stats make, or remove it" in err
    assert not (tmp_path / "run").exists()
