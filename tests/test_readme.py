"""README and docs/ show what the code prints: their outputs agree with scripts/readme.py."""

import csv
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "readme.py"


@pytest.mark.slow  # 16 s: every output block re-run; CI's main-command check stays in .ci/run
def test_readme_outputs_agree_with_the_code():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_check_fails_on_a_readme_that_differs(tmp_path):
    readme = (SCRIPT.parent.parent / "docs" / "leaderboards.md").read_text()
    block = readme.index("<!-- begin: small-leaderboard -->")
    row = readme.index("| digits |", block)
    edited = readme[:row] + "| digitz |" + readme[row + len("| digits |") :]
    (tmp_path / "README.md").write_text(edited)
    args = [sys.executable, str(SCRIPT), "--check", "--only", "small-leaderboard"]
    proc = subprocess.run(
        [*args, "--readme", str(tmp_path / "README.md")], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "-| digitz |" in proc.stdout and "+| digits |" in proc.stdout


def readme_module():
    spec = importlib.util.spec_from_file_location("readme_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_off_the_pinned_stack_numbers_need_only_lie_in_their_intervals():
    readme = readme_module()
    shown = (
        "generation 1/5: training on 1000 samples (1000 real, 0 synthetic)\n"
        "generation 1: fid 7.411 [3.712, 14.21], precision 0.9806\n"
    )
    moved = shown.replace("fid 7.411", "fid 9.05").replace("0.9806", "0.9722")
    assert readme.within_noise(shown, moved) == []
    outside = shown.replace("fid 7.411", "fid 14.3")
    assert readme.within_noise(shown, outside) == [
        "generation 1: fid 14.3 outside README's [3.712, 14.21]"
    ]
    resized = shown.replace("1000 samples", "900 samples")  # counts are not noise
    assert any(line.startswith("+generation 1/5") for line in readme.within_noise(shown, resized))


def test_the_stack_is_compared_with_the_lock(tmp_path):
    readme = readme_module()
    from importlib import metadata

    lock = tmp_path / "lock.txt"
    lock.write_text(f"# comment\nnumpy=={metadata.version('numpy')}\nnumpy-not-a-package==1.0\n")
    assert readme.stack_differences(lock) == ["numpy-not-a-package not installed (lock: 1.0)"]
    lock.write_text("numpy==0.0.1\n")
    assert readme.stack_differences(lock) == [f"numpy {metadata.version('numpy')} (lock: 0.0.1)"]


@pytest.mark.slow
def test_your_model_in_five_minutes_runs_as_written(tmp_path):
    """README's "Your model in five minutes", run verbatim in an empty folder with bash: the
    adapter passes check-adapter, the grid runs, and the leaderboard has one row per setting."""
    readme = (SCRIPT.parent.parent / "README.md").read_text()
    section = readme.split("## Your model in five minutes")[1].split("\n## ")[0]
    script = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(tmp_path / "leaderboards" / "mine" / "leaderboard.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and {row["n_seeds"] for row in rows} == {"3"}
    assert (tmp_path / "leaderboards" / "mine" / "index.html").is_file()
