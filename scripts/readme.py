"""README's (and docs/') example outputs, produced by the current code.

Every output README.md or a page of docs/ shows (commands and what they print, the
leaderboard table, the claims) sits between ``<!-- begin: NAME -->`` and
``<!-- end: NAME -->`` and is produced here by the block function NAME. ``--check`` compares
each document with fresh output and exits 1, with a diff, where they differ
(tests/test_readme.py runs it); ``--write`` rewrites the blocks in place.
Blocks marked slow (deep generators trained on the CPU) are skipped unless ``--slow`` is given.

README's outputs come from the pinned stack, requirements/lock-linux-x86_64.txt. On that stack
the check is exact. On another (other versions of numpy, torch, ...), a loop's numbers move
within their noise: the check then names the packages that differ, requires every line to
agree once numbers are masked, and every FID to lie inside the 95 % interval README prints
for it.

    python scripts/readme.py --check            # README agrees with the code (fast blocks)
    python scripts/readme.py --write --slow     # regenerate every block
    python scripts/lock.py                      # refresh the lock, then every block on it
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The documents whose output blocks are checked: README, then every page of docs/.
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
LOCK = ROOT / "requirements" / "lock-linux-x86_64.txt"
BLOCK = re.compile(
    r"(<!-- begin: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S
)
BLOCKS = {}


def block(slow: bool = False, noisy: bool = False):
    """Register a block function; ``noisy``: its numbers come from a loop, so off the pinned
    stack they are checked against their printed intervals (:func:`within_noise`)."""

    def register(function):
        BLOCKS[function.__name__.replace("_", "-")] = (function, slow, noisy)
        return function

    return register


def madbench(*args: str, cwd: Path) -> str:
    """``$ madbench ARGS`` and what it prints, stdout and stderr interleaved as a terminal shows
    them (run in this process, in the folder ``cwd``)."""
    from madbench.cli import main

    output, before = io.StringIO(), os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            main(list(args))
    finally:
        os.chdir(before)
    return f"$ madbench {' '.join(args)}\n{output.getvalue()}"


def stack_differences(lock: Path = LOCK) -> list[str]:
    """``"numpy 2.3.5 (lock: 2.4.6)"`` for every pinned package installed at another version
    or not installed; empty on the pinned stack."""
    from importlib import metadata

    differ = []
    for line in lock.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, pinned = line.split("==")
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            differ.append(f"{name} {installed} (lock: {pinned})")
    return differ


NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?(?![\w.])")  # measured values
FID_LINE = re.compile(r"^generation (\d+): fid (\S+) \[(\S+), (\S+)\]", re.M)


def within_noise(shown: str, fresh: str) -> list[str]:
    """Where ``fresh`` output departs from ``shown`` by more than a loop's noise: a line that
    differs once its measured values (numbers with a decimal point) are masked, or a
    generation whose FID lies outside the interval ``shown`` prints for it. Empty when every
    difference is noise."""
    problems = []
    masked = [[NUMBER.sub("#", line) for line in text.splitlines()] for text in (shown, fresh)]
    if masked[0] != masked[1]:
        problems += difflib.unified_diff(*masked, "README.md", "the code's output", lineterm="")
    intervals = {g: (float(lo), float(hi)) for g, _, lo, hi in FID_LINE.findall(shown)}
    for generation, fid, _, _ in FID_LINE.findall(fresh):
        lo, hi = intervals.get(generation, (float("nan"),) * 2)
        if not lo <= float(fid) <= hi:
            problems.append(f"generation {generation}: fid {fid} outside README's [{lo}, {hi}]")
    return problems


def console(text: str) -> str:
    return f"```console\n{text.rstrip()}\n```\n"


@block(noisy=True)
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


def example_features(tmp: Path) -> None:
    """real.npy (500 x 32) and fake.npy (400 x 32): two seeded Gaussians."""
    rng = np.random.default_rng(0)
    np.save(tmp / "real.npy", rng.standard_normal((500, 32)))
    np.save(tmp / "fake.npy", 1.1 * rng.standard_normal((400, 32)) + 0.05)


@block()
def metrics_example(tmp: Path) -> str:
    example_features(tmp)
    return console(madbench("metrics", "real.npy", "fake.npy", cwd=tmp))


@block()
def error_example(tmp: Path) -> str:
    example_features(tmp)
    bad = np.load(tmp / "fake.npy")[:2]
    bad[0, 3] = np.nan
    np.save(tmp / "bad.npy", bad)
    return console(madbench("metrics", "real.npy", "bad.npy", cwd=tmp))


@block()
def small_leaderboard(tmp: Path) -> str:
    return (ROOT / "leaderboards" / "small" / "leaderboard.md").read_text()


@block()
def small_claims(tmp: Path) -> str:
    """The small suite's claims, one Holm-corrected family, tested on the committed
    leaderboard's per-seed values, with the seeds the pilot board says each needs."""
    from madbench.leaderboard.claims import evaluate_all
    from madbench.leaderboard.power import claim_powers
    from madbench.suites import load_suite

    suite = load_suite("small")
    results = evaluate_all(suite.claims, ROOT / "leaderboards" / "small", suite.alpha)
    powers = claim_powers(suite.claims, ROOT / "leaderboards" / "small-pilot", suite.alpha)
    lines = [
        "| claim | effect (95 % CI) | p | Holm-adjusted p | holds | seeds for 80 % power (pilot) |",
        "|---|---|---|---|---|---|",
    ]
    for r, planned in zip(results, powers, strict=True):
        t = r.result
        unit = "/gen" if r.claim.test in ("trend", "stable") or r.claim.at == "slope" else ""
        effect = f"{t.effect:+.3g}{unit} ({t.low:.3g} to {t.high:.3g})"
        flag = f" (reaches {r.bound})" if r.bound else ""
        need = str(planned.needed) if planned.needed else "—"
        verdict = "yes" if r.holds else "**no**"
        lines.append(
            f"| {r.claim.text}{flag} | {r.claim.metric} {effect} | {t.p:.2g} | {r.p_holm:.2g} "
            f"| {verdict} | {need} |"
        )
    held = sum(r.holds for r in results)
    lines += ["", f"{held} of {len(results)} claims hold at family-wise alpha = {suite.alpha:g}."]
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


def render(text: str, slow: bool, only: set[str] | None = None) -> tuple[str, dict]:
    """README with every (fast, or all with ``slow``; or those named in ``only``) block
    replaced by fresh output, and the blocks replaced: ``{name: (shown, fresh)}``."""
    replaced = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)

        def replace(match):
            name = match.group("name")
            if name not in BLOCKS:
                raise SystemExit(f"README names an unknown block {name!r}")
            function, is_slow = BLOCKS[name][:2]
            wanted = name in only if only else slow or not is_slow
            if not wanted:
                return match.group(0)
            replaced[name] = (match.group("body"), function(tmp))
            return match.group(1) + replaced[name][1] + match.group(4)

        return BLOCK.sub(replace, text), replaced


def check(replaced: dict, differ: list[str]) -> list[str]:
    """What keeps README from agreeing with the code: exact on the pinned stack; on another,
    blocks registered ``noisy`` need only agree within their printed intervals."""
    problems = []
    for name, (shown, fresh) in replaced.items():
        if shown == fresh:
            continue
        if differ and BLOCKS[name][2]:
            problems += within_noise(shown, fresh)
        else:
            problems += difflib.unified_diff(
                shown.splitlines(), fresh.splitlines(), name, "the code's output", lineterm=""
            )
    return problems


def printed(text: str, name: str, log: str) -> int:
    """0 when the console log ``log`` ends with what README's block ``name`` shows its command
    print (CI runs README's first command verbatim and checks its output this way)."""
    body = next(m.group("body") for m in BLOCK.finditer(text) if m.group("name") == name)
    shown = body.strip().removeprefix("```console").removesuffix("```").strip().splitlines()
    shown = [line for line in shown if not line.startswith("$ ")]
    got = Path(log).read_text().rstrip().splitlines()[-len(shown) :]
    if got == shown:
        print(f"{log} ends with exactly the {len(shown)} lines README's {name} block shows")
        return 0
    print("\n".join(difflib.unified_diff(shown, got, "README.md", log, lineterm="")))
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 where README differs")
    mode.add_argument("--write", action="store_true", help="rewrite README's blocks")
    parser.add_argument("--slow", action="store_true", help="also the slow blocks")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="just these blocks")
    mode.add_argument(
        "--printed", nargs=2, metavar=("NAME", "FILE"),
        help="exit 1 unless FILE (a console log) ends with exactly what block NAME shows",
    )  # fmt: skip
    parser.add_argument(
        "--readme", type=Path, help="just this document (default: README.md and docs/*.md)"
    )
    args = parser.parse_args(argv)
    if args.printed:
        return printed((args.readme or README).read_text(), *args.printed)
    unknown = set(args.only or ()) - set(BLOCKS)
    if unknown:
        parser.error(f"unknown blocks {sorted(unknown)}; known: {', '.join(BLOCKS)}")
    documents = [args.readme] if args.readme else DOCUMENTS
    texts = {path: path.read_text() for path in documents}
    if not args.readme:
        found = {m.group("name") for text in texts.values() for m in BLOCK.finditer(text)}
        if set(BLOCKS) - found:
            print(f"no document holds the blocks {sorted(set(BLOCKS) - found)}", file=sys.stderr)
            return 1
    differ = [] if args.write else stack_differences()
    if differ:
        print(f"not the pinned stack ({LOCK.relative_to(ROOT)}): " + "; ".join(differ))
        print("so loop outputs are checked within their printed intervals, not exactly")
    problems = []
    for path, current in texts.items():
        fresh, replaced = render(current, args.slow, set(args.only or ()))
        if args.write:
            if fresh != current:
                path.write_text(fresh)
            continue
        found = check(replaced, differ)
        problems += (
            [f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:", *found]
            if found
            else []
        )
    if problems:
        print("\n".join(problems))
        return 1
    if not args.write:
        names = ", ".join(path.name for path in documents)
        print(f"{names}: every block checked agrees with the code's output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
