"""KID at n = m = 2000, d = 2048, 100 subsets of 1000: madbench against clean-fid.

clean-fid's ``kernel_distance`` computes three kernel products per subset; madbench computes
the three whole-set kernels once and every subset's sums from them (sets of <= 4096 samples).
Target: at least 3x faster. The two draw different subsets, so their means agree to within
the subsets' spread, not exactly; the single whole-set subset agrees exactly (tests/test_kid.py).
"""

import pytest
from cleanfid.fid import kernel_distance
from conftest import gaussian_pair, report, timing

from madbench.metrics.kid import kid

N, D, SUBSETS, SIZE = 2000, 2048, 100, 1000


@pytest.fixture(scope="module")
def features():
    return gaussian_pair(N, N, D)


def test_madbench_kid(timed, features, values):
    values["madbench"] = timed("kid_madbench", kid, *features, n_subsets=SUBSETS, rounds=3)


def test_clean_fid_kid(timed, features, values):
    values["clean-fid"] = timed(
        "kid_cleanfid", kernel_distance, *features, num_subsets=SUBSETS, max_subset_size=SIZE
    )


def test_ratio_and_agreement(values):
    ours, theirs = timing("kid_madbench"), timing("kid_cleanfid")
    result = values["madbench"]
    report(
        f"KID n={N} d={D}, {SUBSETS} subsets of {SIZE}: madbench {ours:.2f} s, clean-fid "
        f"{theirs:.2f} s ({theirs / ours:.1f}x faster); means {result.mean:.6f} "
        f"(std {result.std:.6f}) vs {values['clean-fid']:.6f}"
    )
    assert abs(result.mean - values["clean-fid"]) < 3 * result.std
    assert theirs / ours >= 3.0
