"""madbench vectors export, read as any project's CI would read it (numpy and json only), and
the pytest plugin's ``madbench_vector`` fixture."""

import hashlib
import json

import numpy as np

from madbench.checks import own
from madbench.cli import main


def test_exported_vectors_load_with_numpy_and_json_alone(tmp_path, capsys):
    assert main(["vectors", "export", str(tmp_path / "v")]) == 0
    assert "113 cases" in capsys.readouterr().out
    index = json.loads((tmp_path / "v" / "vectors.json").read_text())
    assert index["version"] == 1 and len(index["cases"]) == 113
    checked = 0
    for entry in index["cases"]:
        path = tmp_path / "v" / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        if entry["rule"] == "<" or entry["expected"] is None:
            continue  # madbench's rule is <=; the same_as cases need a second call
        with np.load(path, allow_pickle=False) as arrays:
            got = getattr(own, entry["metric"])(arrays["real"], arrays["fake"], **entry["kwargs"])
        bound = entry["tolerance"] * max(abs(entry["expected"]), entry["floor"])
        assert abs(got - entry["expected"]) <= bound, (entry["name"], got, entry["expected"])
        checked += 1
    assert checked == 4 * 12 + 7 + 3 + 6


def test_the_plugin_parametrises_a_test_over_every_vector(madbench_vector):
    if madbench_vector.rule in ("<=", ""):
        madbench_vector.check(getattr(own, madbench_vector.metric))


def test_vectors_read_back_as_built_and_a_changed_file_is_refused(tmp_path):
    import pytest

    from madbench.checks.vectors import Vector, export, load
    from madbench.errors import DataFileError

    export(tmp_path / "v")
    loaded, built = load(tmp_path / "v"), Vector.built()
    assert [v.id for v in loaded] == [v.id for v in built]
    for a, b in zip(loaded, built, strict=True):
        assert np.array_equal(a.case.real, b.case.real) and a.case.expected == b.case.expected
        assert a.case.bug == b.case.bug and a.case.floor == b.case.floor
    first = (
        tmp_path
        / "v"
        / json.loads((tmp_path / "v" / "vectors.json").read_text())["cases"][0]["file"]
    )
    np.savez(first, real=np.zeros((3, 2)), fake=np.zeros((3, 2)))
    with pytest.raises(DataFileError, match="its sha256 is not the one vectors.json records"):
        load(tmp_path / "v")
