"""Exact P/R/D/C near the arithmetic limit: n = m = 100,000, d = 64.

At this width the products are cheap per pair, so what the exact pass adds to them (finding
each row's neighbours, the ball comparisons, the float64 re-decisions, memory traffic) shows.
Target: the exact pass within 2x of the bare float32 products it needs, the three
100k x 100k x 64 products R R^T, G G^T and R G^T, as torch.mm into one reused buffer in
madbench's block shape, timed in this run. (It computes about half of R R^T and G G^T.)
"""

import pytest
import torch
from conftest import gaussian_pair, report, timing

from madbench import defaults
from madbench.metrics.knn import knn_metrics
from madbench.metrics.neighbours import block_shape

N = M = 100_000
D = 64


@pytest.fixture(scope="module")
def features():
    return gaussian_pair(N, M, D)


@pytest.fixture(scope="module")
def results():
    return {}


def bare_products(real, fake):
    r, f = torch.from_numpy(real), torch.from_numpy(fake)
    rows, cols = block_shape(N, M, defaults.MEMORY_BUDGET)
    out = torch.empty(rows * cols)
    for a, b in ((r, r), (f, f), (r, f)):
        for i in range(0, len(a), rows):
            for j in range(0, len(b), cols):
                block = out[: len(a[i : i + rows]) * len(b[j : j + cols])]
                torch.mm(
                    a[i : i + rows], b[j : j + cols].T, out=block.view(-1, len(b[j : j + cols]))
                )


def test_exact_pass(timed, features, results):
    results["knn"] = timed("exact_pass", knn_metrics, *features)


def test_bare_products(timed, features):
    timed("bare_products", bare_products, *features)


def test_ratio(results):
    exact, products = timing("exact_pass"), timing("bare_products")
    knn = results["knn"]
    report(
        f"exact P/R/D/C, n=m={N}, d={D}: {exact:.1f} s; the bare float32 products "
        f"{products:.1f} s; ratio {exact / products:.2f} (precision {knn.precision:.4f}, "
        f"recall {knn.recall:.4f}, density {knn.density:.4f}, coverage {knn.coverage:.4f})"
    )
    assert exact / products <= 2.0
