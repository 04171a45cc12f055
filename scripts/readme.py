"""README's example outputs, produced by the current code.

Every output README.md shows (commands and what they print, the leaderboard table, the claims)
sits between ``<!-- begin: NAME -->`` and ``<!-- end: NAME -->`` and is produced here by the
block function NAME. ``--check`` compares README with fresh output and exits 1, with a diff,
where they differ (tests/test_readme.py runs it); ``--write`` rewrites the blocks in place.
Blocks marked slow (deep generators trained on the CPU) are skipped unless ``--slow`` is given.

    python scripts/readme.py --check            # README agrees with the code (fast blocks)
    python scripts/readme.py --write --slow     # regenerate every block
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(<!-- begin: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S
)
BLOCKS = {}


def block(slow: bool = False):
    def register(function):
        BLOCKS[function.__name__.replace("_", "-")] = (function, slow)
        return function

    return register


def madbench(*args: str, cwd: Path) -> str:
    """``$ madbench ARGS`` and what it prints (stdout and stderr, as a terminal shows them)."""
    proc = subprocess.run(
        [sys.executable, "-m", "madbench.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    return f"$ madbench {' '.join(args)}\n{proc.stdout}"


def console(text: str) -> str:
    return f"```console\n{text.rstrip()}\n```\n"


@block()
def main_command(tmp: Path) -> str:
    """README's first command, run in an empty folder."""
    args = ["evaluate", "--model", "gmm", "--data", "digits", "--protocol", "fully-synthetic"]
    return console(madbench(*args, "--generations", "5", cwd=tmp))


@block()
def rescore_example(tmp: Path) -> str:
    """Re-scoring the main command's run (made by :func:`main_command` in the same folder)."""
    if not (tmp / "runs").is_dir():
        main_command(tmp)
    run = next((tmp / "runs").iterdir()).relative_to(tmp)
    lines = madbench("rescore", str(run), cwd=tmp)
    lines += madbench("rescore", str(run), "--k", "3", "--out", "k3.csv", cwd=tmp)
    return console(lines)


@block()
def metrics_example(tmp: Path) -> str:
    rng = np.random.default_rng(0)
    np.save(tmp / "real.npy", rng.standard_normal((500, 32)))
    np.save(tmp / "fake.npy", 1.1 * rng.standard_normal((400, 32)) + 0.05)
    return console(madbench("metrics", "real.npy", "fake.npy", cwd=tmp))


@block()
def error_example(tmp: Path) -> str:
    np.save(tmp / "bad.npy", np.array([[np.nan, 1.0], [0.0, 1.0]]))
    np.save(tmp / "real2.npy", np.zeros((10, 2)))
    return console(madbench("metrics", "real2.npy", "bad.npy", cwd=tmp))


@block()
def small_leaderboard(tmp: Path) -> str:
    return (ROOT / "leaderboards" / "small" / "leaderboard.md").read_text()


@block()
def small_claims(tmp: Path) -> str:
    """The small suite's claims, tested on the committed leaderboard's per-seed values."""
    from madbench.leaderboard.claims import evaluate_all, summary
    from madbench.suites import load_suite

    results = evaluate_all(load_suite("small").claims, ROOT / "leaderboards" / "small")
    lines = [f"- {summary(r)}" + ("" if r.holds else " **(does not hold)**") for r in results]
    return "\n".join(lines) + "\n"


@block(slow=True)
def generator_tradeoff(tmp: Path) -> str:
    """Generation 1 of the deep generators at several lambdas, as evaluate prints it."""
    import csv

    lines = [
        "| model, data | lambda | FID | precision | recall | density | coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, biases in (("ddpm", ("1", "0.66", "0.5")), ("wgan", ("1", "0.5"))):
        for number, bias in enumerate(biases):
            out = tmp / f"{model}-{bias}"
            args = ["evaluate", "--model", model, "--data", "digits", "--generations", "1"]
            madbench(*args, "--bias", bias, "--out", str(out), cwd=tmp)
            with open(out / "results.csv", newline="") as handle:
                row = list(csv.DictReader(handle))[1]
            cells = [f"{float(row[k]):.3f}" for k in ("fid", "precision", "recall")]
            cells += [f"{float(row[k]):.3f}" for k in ("density", "coverage")]
            name = f"`{model}`, digits" if number == 0 else ""
            lines.append(f"| {name} | {bias} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render(text: str, slow: bool) -> str:
    """README with every (fast, or all with ``slow``) block replaced by fresh output."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)

        def replace(match):
            name = match.group("name")
            if name not in BLOCKS:
                raise SystemExit(f"README names an unknown block {name!r}")
            function, is_slow = BLOCKS[name]
            body = function(tmp) if slow or not is_slow else match.group("body")
            return match.group(1) + body + match.group(4)

        return BLOCK.sub(replace, text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 where README differs")
    mode.add_argument("--write", action="store_true", help="rewrite README's blocks")
    parser.add_argument("--slow", action="store_true", help="also the slow blocks")
    args = parser.parse_args(argv)
    current = README.read_text()
    missing = set(BLOCKS) - {m.group("name") for m in BLOCK.finditer(current)}
    if missing:
        print(f"README lacks the blocks {sorted(missing)}", file=sys.stderr)
        return 1
    fresh = render(current, args.slow)
    if args.write:
        README.write_text(fresh)
        return 0
    if fresh != current:
        diff = difflib.unified_diff(
            current.splitlines(), fresh.splitlines(), "README.md", "the code's output", lineterm=""
        )
        print("\n".join(diff))
        return 1
    print("README.md: every block agrees with the code's output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
