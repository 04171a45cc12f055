"""Memorisation in a loop: a model that returns its training samples plus tiny noise is flagged
by C_T and the memorisation rate while its FID sits at the noise floor; a model that draws fresh
samples is not flagged. The Vendi score of a loop equals the vendi-score package's."""

import numpy as np
import pytest
from vendi_score import vendi

import madbench
from madbench.metrics.copying import COPYING_THRESHOLD
from madbench.runs.rundir import RunDir

LOOP = dict(generations=3, n_ini=1000, eval_n=500, seed=3)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("memorisation")
    memorising = madbench.evaluate(
        "kde", "gaussian-8", model_args={"bandwidth": 0.01}, out=out / "kde", **LOOP
    )
    fresh = madbench.evaluate("gaussian", "gaussian-8", out=out / "gaussian", **LOOP)
    return memorising.results, fresh.results


def test_memorising_model_is_flagged_while_fid_stays_at_the_noise_floor(runs):
    memorising, _ = runs
    # Later generations train on near-copies of near-copies: still flagged.
    for _, row in memorising.iloc[1:].iterrows():
        assert row["ct"] < COPYING_THRESHOLD and row["memorised"] > 0.9
        # FID: within the noise floor's own bootstrap interval, where no FID test can see it.
        assert row["fid"] <= memorising.iloc[0]["fid_ci_high"]
    assert memorising.iloc[1]["authenticity"] < 0.05
    assert np.isnan(memorising.iloc[0]["ct"])  # generation 0 has no model to copy


def test_model_drawing_fresh_samples_is_not_flagged(runs):
    _, fresh = runs
    for _, row in fresh.iloc[1:].iterrows():
        assert row["ct"] > COPYING_THRESHOLD and row["memorised"] < 0.05
        assert row["authenticity"] > 0.3


def test_vendi_column_equals_the_package_on_the_scored_samples(runs, tmp_path_factory):
    _, fresh = runs
    run_dir = RunDir(tmp_path_factory.getbasetemp() / "memorisation0" / "gaussian")
    scored = run_dir.load_array(3, "eval_samples")
    assert fresh.iloc[3]["vendi"] == pytest.approx(vendi.score_dual(scored), rel=1e-9)
