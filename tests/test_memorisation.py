"""Memorisation in a loop, told apart from contraction: a Gaussian sampled
at lambda = 0.7 cannot copy and is not flagged by the memorisation test at any generation,
though its C_T falls below -3; a memoriser (its training rows plus 1e-3 noise) is flagged at
every generation, its first FID at the noise floor; a half-and-half mix of the two is
flagged at about half the memoriser's rate. The Vendi score of a loop equals the vendi-score
package's."""

import numpy as np
import pytest
from vendi_score import vendi

import madbench
from madbench.generators.gaussian import GaussianGenerator
from madbench.leaderboard.stats import holm
from madbench.metrics.copying import COPYING_THRESHOLD
from madbench.runs.rundir import RunDir

LOOP = dict(generations=3, n_ini=2000, eval_n=1000, seed=3)


class Memoriser(GaussianGenerator):
    """Returns training rows (drawn with replacement) plus N(0, 1e-6) noise; ``share``: the
    fraction of samples that are such copies, the rest drawn from the fitted Gaussian."""

    share = 1.0

    def fit(self, X, *, seed=0):
        self.rows_ = np.asarray(X, dtype=np.float64)
        return super().fit(X, seed=seed)

    def sample(self, n, *, bias=1.0, seed=0):
        rng = np.random.default_rng([seed, 7])
        copies = round(self.share * n)
        picked = self.rows_[rng.integers(0, len(self.rows_), copies)]
        fresh = super().sample(n - copies, bias=bias, seed=seed)
        return np.concatenate([picked + 1e-3 * rng.standard_normal(picked.shape), fresh])


class HalfMemoriser(Memoriser):
    share = 0.5


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("memorisation")


@pytest.fixture(scope="module")
def runs(runs_root):
    out = runs_root
    return {
        name: madbench.evaluate(
            model, "gaussian-16", out=out / name, metrics="fid,vendi,copying", **LOOP, **extra
        ).results
        for name, model, extra in (
            ("contracted", "gaussian", {"bias": 0.7}),
            ("memoriser", Memoriser, {}),
            ("half", HalfMemoriser, {}),
        )
    }


def _flagged(results, alpha=0.05):
    """Generations the memorisation test flags, Holm-corrected over the generations."""
    p = list(results["memorised_p"].iloc[1:])
    return [t for t, hit in enumerate(holm(p, alpha), start=1) if hit]


def test_a_contracted_gaussian_is_not_flagged_though_its_ct_falls(runs):
    contracted = runs["contracted"]
    assert _flagged(contracted) == []
    assert (contracted["memorised_p"].iloc[1:] > 0.05).all()
    assert (contracted["memorised"].iloc[1:].abs() < 0.1).all()
    assert (contracted["ct"].iloc[1:] < COPYING_THRESHOLD).all()  # contraction, not copying


def test_a_memoriser_is_flagged_at_every_generation_at_the_fid_noise_floor(runs):
    memoriser = runs["memoriser"]
    assert _flagged(memoriser) == [1, 2, 3]
    for _, row in memoriser.iloc[1:].iterrows():
        assert row["memorised"] > 0.95 and row["memorised_p"] < 1e-9
        assert row["authenticity"] < 0.05 and row["ct"] < COPYING_THRESHOLD
    # Generation 1's FID: within the noise floor's own interval, where no FID test
    # can see the copying.
    assert memoriser.iloc[1]["fid"] <= memoriser.iloc[0]["fid_ci_high"]
    assert np.isnan(memoriser.iloc[0]["memorised"])  # generation 0 has no model to copy


def test_a_half_memoriser_is_flagged_at_half_the_rate(runs):
    half = runs["half"]
    assert _flagged(half) == [1, 2, 3]
    rates = half["memorised"].iloc[1:] / runs["memoriser"]["memorised"].iloc[1:]
    assert rates.to_numpy() == pytest.approx([0.5] * 3, abs=0.08)


def test_vendi_column_equals_the_package_on_the_scored_samples(runs, runs_root):
    run_dir = RunDir(runs_root / "contracted")
    scored = run_dir.load_array(3, "eval_samples")
    assert runs["contracted"].iloc[3]["vendi"] == pytest.approx(vendi.score_dual(scored), rel=1e-9)
