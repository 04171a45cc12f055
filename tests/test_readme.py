"""README shows what the code prints: its example outputs agree with scripts/readme.py."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "readme.py"


def test_readme_outputs_agree_with_the_code():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_check_fails_on_a_readme_that_differs(tmp_path):
    readme = (SCRIPT.parent.parent / "README.md").read_text()
    block = readme.index("<!-- begin: small-leaderboard -->")
    row = readme.index("| digits |", block)
    edited = readme[:row] + "| digitz |" + readme[row + len("| digits |") :]
    (tmp_path / "README.md").write_text(edited)
    args = [sys.executable, str(SCRIPT), "--check", "--only", "small-leaderboard"]
    proc = subprocess.run(
        [*args, "--readme", str(tmp_path / "README.md")], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "-| digitz |" in proc.stdout and "+| digits |" in proc.stdout
