"""CMMD (madbench.metrics.cmmd) against the authors' formula re-implemented in float64
(madbench.checks.references.cmmd_reference) and against the V-statistic's exact expectation
for two Gaussians."""

import json

import numpy as np
import pytest

from madbench.checks.references import cmmd_reference
from madbench.errors import InputError
from madbench.metrics.cmmd import cmmd


def unit_rows(n, d, shift, seed):
    """Rows on the unit sphere, like CLIP embeddings, from a shifted Gaussian."""
    x = np.random.default_rng(seed).standard_normal((n, d)) + shift
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_cmmd_equals_the_reference_on_unit_embeddings():
    real, fake = unit_rows(120, 16, 0.0, 0), unit_rows(90, 16, 0.3, 1)
    got = cmmd(real, fake, device="cpu")
    assert got > 0
    assert got == pytest.approx(cmmd_reference(real, fake), rel=1e-9)
    assert cmmd(fake, real, device="cpu") == pytest.approx(got, rel=1e-12)  # symmetric


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_cmmd_depends_on_the_features_only_through_distance_over_sigma(scale):
    real, fake = (
        unit_rows(n, 8, shift, seed).astype(float) for n, shift, seed in [(60, 0, 2), (50, 0.5, 3)]
    )
    expected = cmmd_reference(real, fake, sigma=0.5)
    got = cmmd(real * scale, fake * scale, sigma=0.5 * scale, device="cpu")
    assert got == pytest.approx(expected, rel=1e-9)


def test_identical_sets_give_zero_and_blocks_do_not_change_the_value():
    real, fake = unit_rows(80, 12, 0.0, 4), unit_rows(70, 12, 0.2, 5)
    assert cmmd(real, real, device="cpu") == 0.0
    whole = cmmd(real, fake, device="cpu")
    assert cmmd(real, fake, device="cpu", memory_budget=2048) == pytest.approx(whole, rel=1e-12)


def test_cmmd_mean_over_draws_is_the_v_statistics_expectation():
    """For x ~ N(0, s^2 I), y ~ N(mu, s^2 I) in d dimensions, E k(x, x') = c and
    E k(x, y) = c exp(-|mu|^2 / (2 (sigma^2 + 2 s^2))) with c = (sigma^2 / (sigma^2 + 2
    s^2))^(d/2); a V-statistic's mean also holds its n diagonal ones."""
    d, s, sigma, n, m, draws = 3, 4.0, 10.0, 150, 120, 60
    mu = np.array([3.0, 0.0, 0.0])
    c = (sigma**2 / (sigma**2 + 2 * s**2)) ** (d / 2)
    cross = c * np.exp(-(mu @ mu) / (2 * (sigma**2 + 2 * s**2)))
    expected = 1000 * (1 / n + (n - 1) / n * c + 1 / m + (m - 1) / m * c - 2 * cross)
    rng = np.random.default_rng(6)
    values = [
        cmmd(s * rng.standard_normal((n, d)), mu + s * rng.standard_normal((m, d)), device="cpu")
        for _ in range(draws)
    ]
    z = (np.mean(values) - expected) / (np.std(values, ddof=1) / np.sqrt(draws))
    assert abs(z) < 4, (np.mean(values), expected)


def test_bad_inputs_are_refused():
    real = unit_rows(20, 4, 0.0, 7)
    with pytest.raises(InputError, match="bandwidth sigma must be a number > 0"):
        cmmd(real, real, sigma=0.0)
    with pytest.raises(InputError, match="scale must be a number > 0"):
        cmmd(real, real, scale=float("nan"))
    with pytest.raises(InputError, match="same extractor"):
        cmmd(real, unit_rows(20, 5, 0.0, 8))
    with pytest.raises(InputError, match="NaN|finite"):
        cmmd(np.full((3, 4), np.nan), real)


def test_default_and_cmmd_need_no_training_set(tmp_path, capsys):
    from madbench.cli import main

    np.save(tmp_path / "r.npy", unit_rows(60, 4, 0.0, 9))
    np.save(tmp_path / "f.npy", unit_rows(60, 4, 0.3, 10))
    args = ["metrics", str(tmp_path / "r.npy"), str(tmp_path / "f.npy"), "--json"]
    assert main([*args, "--metrics", "default,cmmd"]) == 0
    assert {"precision", "fid", "cmmd"} <= set(json.loads(capsys.readouterr().out))
    assert main([*args, "--metrics", "copying,cmmd"]) == 2  # copying named: it needs --train
    capsys.readouterr()
    assert main([*args[:3], "--metrics", "cmmd"]) == 0  # a table: no empty settings line
    assert capsys.readouterr().out.splitlines()[-1].split()[0] == "cmmd"


def test_default_and_all_stand_among_metric_names():
    from madbench.metrics.names import DEFAULT_METRICS, METRICS, parse_metrics

    assert parse_metrics("default,cmmd") == (*DEFAULT_METRICS, "cmmd")
    assert parse_metrics(["cmmd", "all"]) == tuple(METRICS)
    with pytest.raises(InputError, match="unknown metrics \\['cmd'\\]"):
        parse_metrics("default,cmd")
