"""Refresh the pinned stack and README's outputs together.

Builds a fresh virtual environment, installs madbench with every extra into it at the newest
versions pyproject.toml's ranges allow, writes their exact versions to
requirements/lock-linux-x86_64.txt, then regenerates every README block (slow ones included)
with that environment's Python, so README's numbers are the lock's numbers. Run on Linux
x86-64 with CPython 3.11 (the lock's platform); review and commit both files.

    python scripts/lock.py                 # about 10 minutes: install, then every block
    python scripts/lock.py --venv DIR      # keep the environment in DIR (reused if it exists)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock-linux-x86_64.txt"
HEADER = """\
# madbench's pinned stack for Linux x86-64, CPython 3.11: exact versions of everything
# `pip install -e ".[dev]"` brings (torch, numpy, scipy, scikit-learn, faiss, the test tools).
# README's example outputs were produced on this stack, and CI tests it in a fresh venv.
# Use it as a constraints file:  pip install -c requirements/lock-linux-x86_64.txt -e .
# Refresh it and README's outputs together:  python scripts/lock.py
# pyproject.toml keeps version ranges: `pip install madbench` without this file still works.
"""


def run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def refresh(venv: Path) -> None:
    python = venv / "bin" / "python"
    if not python.exists():
        run(sys.executable, "-m", "venv", str(venv))
    run(str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(str(python), "-m", "pip", "install", "--quiet", "--upgrade", "-e", ".[dev]")
    frozen = run(str(python), "-m", "pip", "freeze", "--all", "--exclude-editable").splitlines()
    pins = sorted(
        (line for line in frozen if not line.startswith(("madbench", "pip=="))), key=str.lower
    )  # setuptools too: torch needs it at run time
    LOCK.write_text(HEADER + "\n".join(pins) + "\n")
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(pins)} packages")
    run(str(python), str(ROOT / "scripts" / "readme.py"), "--write", "--slow")
    print("regenerated README's blocks on that stack")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="the environment's folder (default: temporary)")
    args = parser.parse_args(argv)
    if args.venv:
        refresh(args.venv)
    else:
        with tempfile.TemporaryDirectory() as folder:
            refresh(Path(folder) / "venv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
