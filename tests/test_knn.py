"""k-NN precision/recall/density/coverage against prdc and a brute-force reference."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from prdc import compute_prdc
from scipy.spatial.distance import cdist

from madbench import defaults
from madbench.checks.references import knn_reference, realism_reference
from madbench.metrics import neighbours
from madbench.metrics.knn import knn_metrics, knn_radii
from madbench.metrics.rounding import rounding_bound

KEYS = ("precision", "recall", "density", "coverage")


def continuous(rng, n, m, d):
    real = rng.standard_normal((n, d))
    fake = 1.3 * rng.standard_normal((m, d)) + 0.2
    return real, fake


def with_duplicates(rng, n, m, d):
    """Continuous data where rows repeat within and across the two sets."""
    real, fake = continuous(rng, n, m, d)
    real[: n // 5] = real[n // 5 : 2 * (n // 5)]  # duplicates inside real
    fake[: m // 5] = real[: m // 5]  # fakes that copy reals exactly
    fake[m // 5 : 2 * (m // 5)] = fake[2 * (m // 5) : 3 * (m // 5)]  # inside fake
    return real, fake


def integer_grid(rng, n, m, d):
    """Small integer coordinates: exact arithmetic everywhere, massive ties and duplicates."""
    return rng.integers(-2, 3, size=(n, d)).astype(float), rng.integers(-2, 3, size=(m, d)).astype(
        float
    )


CASES = [
    # (generator, n, m, d, k)
    (continuous, 150, 120, 8, 5),
    (continuous, 300, 400, 64, 3),
    (continuous, 60, 90, 2, 1),
    (continuous, 257, 131, 300, 10),
    (with_duplicates, 200, 150, 16, 5),
    (with_duplicates, 120, 180, 3, 4),
    (integer_grid, 150, 160, 4, 5),
    (integer_grid, 200, 100, 2, 3),
    (integer_grid, 80, 90, 6, 1),
]


def values(result):
    return {key: getattr(result, key) for key in KEYS}


@pytest.mark.parametrize("make,n,m,d,k", CASES)
@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_strict_rule_equals_prdc(make, n, m, d, k, backend):
    if make is with_duplicates and k == 1:
        pytest.skip("prdc's own distances are not exact for duplicated continuous rows")
    real, fake = make(np.random.default_rng(n * m + d), n, m, d)
    expected = compute_prdc(real, fake, k)
    got = knn_metrics(real, fake, k=k, strict=True, backend=backend)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


@pytest.mark.parametrize("make,n,m,d,k", CASES)
@pytest.mark.parametrize("strict", [False, True])
def test_equals_brute_force_reference(make, n, m, d, k, strict):
    real, fake = make(np.random.default_rng(7 * n + m + d), n, m, d)
    expected = knn_reference(real, fake, k, strict=strict)
    got = knn_metrics(real, fake, k=k, strict=strict)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


@pytest.mark.parametrize("make", [continuous, with_duplicates, integer_grid])
def test_independent_of_block_size_and_backend(make):
    real, fake = make(np.random.default_rng(3), 310, 270, 12)
    base = values(knn_metrics(real, fake, k=4, backend="torch"))
    tiny_blocks = values(knn_metrics(real, fake, k=4, backend="torch", memory_budget=24 * 37 * 41))
    faiss_flat = values(knn_metrics(real, fake, k=4, backend="faiss"))
    faiss_tiny = values(knn_metrics(real, fake, k=4, backend="faiss", memory_budget=24 * 1000))
    assert base == tiny_blocks == faiss_flat == faiss_tiny


@pytest.mark.needs_gpu
@pytest.mark.parametrize("make", [continuous, with_duplicates])
@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_gpu_gives_the_cpu_values_and_the_reference(make, backend):
    real, fake = make(np.random.default_rng(5), 400, 350, 16)
    cpu = values(knn_metrics(real, fake, k=5, backend=backend, device="cpu"))
    gpu = values(knn_metrics(real, fake, k=5, backend=backend, device="cuda"))
    assert gpu == cpu
    expected = knn_reference(real, fake, 5)
    assert all(gpu[key] == pytest.approx(expected[key], abs=1e-12) for key in KEYS)


def test_float32_and_float64_inputs_agree(rng):
    real, fake = continuous(rng, 300, 300, 32)
    r32, f32 = real.astype(np.float32), fake.astype(np.float32)
    assert values(knn_metrics(r32, f32)) == values(
        knn_metrics(r32.astype(float), f32.astype(float))
    )


def test_orientation_real_first(rng):
    """metrics.md: tight fakes inside a wide real cloud are precise but have low recall."""
    fake = 0.1 * rng.standard_normal((200, 16))
    real = 3.0 * rng.standard_normal((200, 16))
    got = knn_metrics(real, fake, k=5)
    assert got.precision > 0.8
    assert got.recall < 0.3


def test_identical_sets_with_repeats_split_the_rules(rng):
    """Each point repeated more than k times: radius 0, so <= gives 1 and < gives 0."""
    base = rng.standard_normal((20, 5))
    data = np.repeat(base, 7, axis=0)
    loose = knn_metrics(data, data.copy(), k=5)
    strict = knn_metrics(data, data.copy(), k=5, strict=True)
    assert values(loose) == {"precision": 1.0, "recall": 1.0, "density": 7 / 5, "coverage": 1.0}
    assert values(strict) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    assert loose.rule == "<=" and strict.rule == "<"


def test_identical_sets_without_repeats_are_perfect(rng):
    data = rng.standard_normal((100, 8))
    got = knn_metrics(data, data.copy(), k=5, strict=True)
    assert got.precision == got.recall == got.coverage == 1.0


@pytest.mark.parametrize("make", [continuous, with_duplicates])
def test_realism_equals_reference(make):
    real, fake = make(np.random.default_rng(11), 200, 150, 6)
    got = knn_metrics(real, fake, k=5, realism=True).realism
    expected = realism_reference(real, fake, 5)
    assert got.shape == (150,)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-10)


def test_radii_equal_sorted_distances(rng):
    x = rng.standard_normal((120, 7))
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(knn_radii(x, k=3), np.sort(d, axis=1)[:, 3], rtol=1e-12)


def test_heavy_ties_force_candidate_growth(rng):
    """Binary data: thousands of equal distances around the k-th; still exact."""
    real = rng.integers(0, 2, size=(400, 10)).astype(np.float32)
    fake = rng.integers(0, 2, size=(300, 10)).astype(np.float32)
    expected = knn_reference(real, fake, 5)
    got = knn_metrics(real, fake, k=5, memory_budget=24 * 5000)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12)


def test_large_offset_does_not_break_exactness(rng):
    """Features far from the origin: centring keeps float32 rounding small."""
    real, fake = continuous(rng, 200, 200, 16)
    expected = knn_reference(real, fake, 5)
    got = knn_metrics(real + 1e4, fake + 1e4, k=5)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    exponent=st.integers(-30, 30),
    dtype=st.sampled_from([np.float32, np.float64]),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_scale_invariant_from_1e_minus_30_to_1e30(exponent, dtype, ties, seed):
    """Both sets times 10^e equal float64 brute force on the same scaled arrays: float32
    blocks neither overflow (x 1e19 once gave precision 1, density 24) nor go subnormal
    (x 1e-22 once gave precision 0.90 against 0.913). Sets with ties are scaled by the power
    of two nearest 10^e instead: times 10^e their ties are no longer exact, and which side of
    a radius a pair at that radius falls on is then the last bit of whichever sum computed it
    (scipy's and madbench's float64 sums round 6e-6 differently)."""
    rng = np.random.default_rng(seed)
    if ties:
        real, fake = integer_grid(rng, 60, 50, 3)
        factor = 2.0 ** round(exponent * np.log2(10.0))
    else:
        real, fake = continuous(rng, 60, 50, 3)
        factor = 10.0**exponent
    real = (np.asarray(real, np.float64) * factor).astype(dtype)
    fake = (np.asarray(fake, np.float64) * factor).astype(dtype)
    for strict in (False, True):
        expected = knn_reference(real, fake, 3, strict=strict)
        got = knn_metrics(real, fake, k=3, strict=strict)
        for key in KEYS:
            assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key
    radii = knn_radii(real, k=3)
    expected_radii = np.sqrt(np.sort(cdist(real, real, "sqeuclidean"), 1)[:, 3])
    np.testing.assert_allclose(radii, expected_radii, rtol=1e-12, atol=0)


@pytest.mark.parametrize("scale", [1e19, 1e-22])
def test_extreme_scales_of_the_attack_report(rng, scale):
    real, fake = continuous(rng, 300, 300, 8)
    expected = knn_reference(real * scale, fake * scale, 5)
    got = knn_metrics(real * scale, fake * scale, k=5)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


def test_approximate_ivf_is_close():
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((10, 16)) * 4
    real = centres[rng.integers(0, 10, 3000)] + rng.standard_normal((3000, 16))
    fake = centres[rng.integers(0, 10, 3000)] + 1.1 * rng.standard_normal((3000, 16))
    exact = knn_metrics(real, fake, k=5)
    approx = knn_metrics(real, fake, k=5, approximate=True)
    assert approx.backend == "faiss:ivf" and not approx.exact
    for key in ("precision", "recall", "coverage"):
        assert abs(getattr(approx, key) - getattr(exact, key)) < 0.03, key
    assert abs(approx.density - exact.density) / exact.density < 0.05


@pytest.mark.parametrize("make", [with_duplicates, integer_grid])
def test_float64_product_refinement_path(monkeypatch, make):
    """Force every uncertain pair through the float64 matrix product, then differences."""
    from madbench.metrics import exact

    monkeypatch.setattr(exact, "DIRECT_PAIRS_PER_BLOCK", 0)
    real, fake = make(np.random.default_rng(21), 180, 160, 5)
    for strict in (False, True):
        expected = knn_reference(real, fake, 3, strict=strict)
        got = knn_metrics(real, fake, k=3, strict=strict, memory_budget=24 * 3000)
        for key in KEYS:
            assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


def test_wide_fake_balls_cover_every_real(rng):
    """Recall decided by sure pairs: thresholds in the bulk of the distances stay exact."""
    real = rng.standard_normal((300, 200))
    fake = 1.1 * rng.standard_normal((300, 200))
    expected = knn_reference(real, fake, 5)
    got = knn_metrics(real, fake, k=5)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(4, 40),
    m=st.integers(4, 40),
    d=st.integers(1, 6),
    k=st.integers(1, 3),
    levels=st.integers(2, 6),
    strict=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_equals_reference_on_tie_heavy_data(n, m, d, k, levels, strict, seed):
    """Random small sets on a coarse grid (duplicates and ties everywhere), any k."""
    rng = np.random.default_rng(seed)
    real = rng.integers(0, levels, size=(n, d)) * 0.5
    fake = rng.integers(0, levels, size=(m, d)) * 0.5
    expected = knn_reference(real, fake, k, strict=strict)
    got = knn_metrics(real, fake, k=k, strict=strict, memory_budget=24 * 200)
    for key in KEYS:
        assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), key


def test_approximate_mode_is_independent_of_query_chunks(monkeypatch):
    from madbench.metrics import knn

    rng = np.random.default_rng(8)
    real, fake = rng.standard_normal((700, 8)), rng.standard_normal((650, 8))
    whole = values(knn_metrics(real, fake, k=3, approximate=True))
    monkeypatch.setattr(knn, "APPROX_QUERY_CHUNK", 97)
    assert values(knn_metrics(real, fake, k=3, approximate=True)) == whole


def test_faiss_index_cache_never_serves_a_freed_array():
    """Arrays made and dropped in turn may share an id: each must get its own index."""
    from madbench.metrics.neighbours import FaissBackend

    backend = FaissBackend("flat")
    rng = np.random.default_rng(0)

    def nearest_to_self(n):
        base = rng.standard_normal((n, 4)).astype(np.float32)
        return backend.search(base, base, 1)[1][:, 0]  # base is freed on return

    for n in (200, 10, 150, 7, 300):
        np.testing.assert_array_equal(nearest_to_self(n), np.arange(n))


def test_realism_undefined_when_all_radii_are_equal():
    grid = np.repeat(np.eye(4), 8, axis=0)  # every point repeated: all radii 0
    scores = knn_metrics(grid, grid + 0.5, k=3, realism=True).realism
    assert scores.shape == (32,) and np.isnan(scores).all()


@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_progress_bar_counts_every_pair(monkeypatch, backend):
    from madbench.metrics import knn

    seen = []

    class Recording(knn.tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            kwargs["file"] = open("/dev/null", "w")  # noqa: SIM115
            super().__init__(*args, **kwargs)

        def close(self):
            seen.append((self.n, self.total))
            super().close()

    monkeypatch.setattr(knn, "tqdm", Recording)
    rng = np.random.default_rng(4)
    knn_metrics(
        rng.standard_normal((300, 5)),
        rng.standard_normal((200, 5)),
        backend=backend,
        progress=True,
        memory_budget=24 * 5000,
    )
    total = 300 * 301 // 2 + 200 * 201 // 2 + 300 * 200
    assert seen and set(seen) == {(total, total)}


# Sets beyond WHOLE_SEARCH_ROWS take the threshold self-search (seeded thresholds, gathered
# candidates, merged lists) and many blocks of the cross scan.
LARGE = neighbours.WHOLE_SEARCH_ROWS + 500


@pytest.mark.parametrize(
    "generator,budget",
    [
        (continuous, defaults.MEMORY_BUDGET),
        pytest.param(integer_grid, 2**20, marks=pytest.mark.slow),  # many panels and blocks
        pytest.param(with_duplicates, 2**20, marks=pytest.mark.slow),
    ],
)
def test_large_sets_equal_brute_force(rng, generator, budget):
    real, fake = generator(rng, LARGE, LARGE - 300, 4)
    for strict in (False, True):
        expected = knn_reference(real, fake, 5, strict=strict)
        got = knn_metrics(real, fake, k=5, strict=strict, memory_budget=budget)
        for key in KEYS:
            assert getattr(got, key) == pytest.approx(expected[key], abs=1e-12), (key, strict)


def test_threshold_search_finds_the_smallest_distances(rng, monkeypatch):
    """The self-search's lists hold, per row, the kk smallest float32 distances (up to their
    rounding bound), also when copies give rows far more candidates than a merge chunk."""
    monkeypatch.setattr(neighbours, "MERGE_SLOTS", 5000)
    x = rng.standard_normal((LARGE, 3)).astype(np.float32)
    x[:900] = x[0]  # 900 copies: every pair among them is at distance 0
    kk = 22
    vals, idx = neighbours.TorchBackend(memory_budget=2**21).search_self(torch.from_numpy(x), kk)
    exact_d = cdist(x.astype(np.float64), x.astype(np.float64), "sqeuclidean")
    smallest = np.sort(exact_d, axis=1)[:, :kk]
    norms = np.linalg.norm(x, axis=1)
    bound = rounding_bound(norms, norms.max(), 3)[:, None]
    assert np.all(np.abs(vals - smallest) <= bound)
    found = np.take_along_axis(exact_d, idx, axis=1)
    assert np.all(np.abs(found - vals) <= bound)  # the indices are of those distances
    assert all(len(set(row)) == kk for row in idx)  # no pair twice
