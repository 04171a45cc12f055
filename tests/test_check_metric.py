"""madbench check-metric: the reference battery passes madbench's own metrics and prdc's (in
its < convention), and fails implementations written with each historical bug, naming it."""

import pytest

from madbench.checks import battery, own
from madbench.cli import main


@pytest.mark.parametrize("metric", battery.METRICS)
def test_madbench_s_own_metrics_pass(metric, capsys):
    assert main(["check-metric", "madbench", "--metric", metric]) == 0
    assert "cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("metric", battery.KNN)
def test_prdc_passes_in_its_strict_convention(metric, capsys):
    pytest.importorskip("prdc")
    assert (
        main(["check-metric", f"metric_shims:prdc_{metric}", "--metric", metric, "--rule", "<"])
        == 0
    )


@pytest.mark.parametrize(
    "spec, metric, bug",
    [
        ("metric_shims:swapped_precision", "precision", "swapped"),
        ("metric_shims:strict_precision", "precision", "strict"),
        ("metric_shims:batched_precision", "precision", "batch"),
        ("metric_shims:naive_fid", "fid", "sqrtm"),
        ("metric_shims:resampling_kid", "kid", "subset"),
        ("metric_shims:unbiased_cmmd", "cmmd", "unbiased"),
        ("metric_shims:float32_cmmd", "cmmd", "cancel"),
    ],
)
def test_each_historical_bug_fails_and_is_named(spec, metric, bug, capsys):
    assert main(["check-metric", spec, "--metric", metric]) == 1
    out = capsys.readouterr().out
    named = [line for line in out.splitlines() if line.startswith("  matches a known bug:")]
    assert named == [f"  matches a known bug: {battery.BUGS[bug]}"]  # that bug, and no other
    assert "FAIL" in out and "expected" in out and "tol" in out


def test_prdc_strict_rule_fails_the_lenient_battery_on_duplicates():
    pytest.importorskip("prdc")
    import metric_shims

    outcomes = battery.check_metric(metric_shims.prdc_precision, "precision", "<=")
    assert {o.case.name for o in outcomes if not o.ok} == {"duplicates", "ties"}


def test_the_battery_s_expectations_are_exact_where_analytic():
    shift = next(c for c in battery.fid_cases() if c.name == "shift")
    assert shift.expected == pytest.approx(own.fid(shift.real, shift.fake), rel=1e-12)
    dup = next(c for c in battery.knn_cases("precision", "<") if c.name == "duplicates")
    assert dup.expected == 0.0  # every radius is 0: nothing is strictly inside a ball


def test_a_bad_spec_says_what_to_fix(capsys):
    assert main(["check-metric", "nowhere:f", "--metric", "fid"]) == 2
    err = capsys.readouterr().err
    assert "cannot import 'nowhere'" in err and err.count("\n") == 1
    assert main(["check-metric", "madbench", "--metric", "fidd"]) == 2


def test_a_shim_file_is_checked_and_may_import_its_neighbours(tmp_path, capsys):
    (tmp_path / "helper.py").write_text(
        "import numpy as np\nfrom scipy.spatial.distance import cdist\n\n"
        "def balls(real, fake, k):\n"
        "    radius = np.sort(cdist(real, real), axis=1)[:, k]\n"
        "    return cdist(real, fake) <= radius[:, None]\n"
    )
    shim = tmp_path / "shim.py"
    shim.write_text(
        "from helper import balls\n\n"
        "def precision(real, fake, *, k):\n    return balls(real, fake, k).any(axis=0).mean()\n\n"
        "def swapped(real, fake, *, k):\n    return balls(fake, real, k).any(axis=0).mean()\n"
    )
    assert main(["check-metric", str(shim), "--metric", "precision"]) == 0
    assert "passed (precision, rule <=)" in capsys.readouterr().out
    assert main(["check-metric", f"{shim}:swapped", "--metric", "precision"]) == 1
    assert "matches a known bug" in capsys.readouterr().out
    for spec, message in [
        (f"{tmp_path / 'none.py'}:precision", "does not exist"),
        (f"{shim}:fid", "defines no 'fid'"),
    ]:
        assert main(["check-metric", spec, "--metric", "precision"]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    shim.write_text(
        shim.read_text() + "\ndef crashing(real, fake, *, k):\n    raise ValueError(k)\n"
    )
    assert main(["check-metric", f"{shim}:crashing", "--metric", "precision"]) == 1
    assert "matches a known bug" not in capsys.readouterr().out  # a crash is no known bug
    (tmp_path / "broken.py").write_text("def precision(:\n")
    assert main(["check-metric", str(tmp_path / "broken.py"), "--metric", "precision"]) == 2
    assert "failed to load" in capsys.readouterr().err
