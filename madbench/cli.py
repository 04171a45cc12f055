"""The ``madbench`` command line. Thin: parses, calls the library, prints.

Errors a user can cause (bad files, bad arrays, bad options) are printed as one line on stderr,
``madbench: error: ...``, with exit status 2; never a traceback.
"""

from __future__ import annotations

import gc
import json
import math
import os
import sys
import warnings

import click

from madbench import __version__, defaults
from madbench.errors import MadbenchError, fault_message, one_line

MIB = 2**20


def _image_network(network, weights, device):
    from madbench.features.spaces import pretrained

    return pretrained(network, weights=weights, device=device)


#: The weights file of a pretrained feature network (--inception-weights: its former name).
feature_weights_option = click.option(
    "--feature-weights",
    "--inception-weights",
    "feature_weights",
    default=None,
    help="Weights file of the feature network (Inception, DINOv2, CLIP), where it cannot be found "
    "otherwise (see README: Feature spaces).",
)
#: The network that turns image folders into features.
image_network_option = click.option(
    "--features",
    "network",
    default="inception",
    show_default=True,
    help="Network for image folders: inception, dinov2 (ViT-L/14), dinov2-vits14|vitb14|"
    "vitl14|vitg14, or clip (CLIP ViT-L/14-336, CMMD's).",
)


def _count(n: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _every(n: int, noun: str) -> str:
    """``the 1 row``, ``all 2 rows``."""
    return f"the 1 {noun}" if n == 1 else f"all {n} {noun}s"


def _fmt(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="madbench")
def cli():
    """madbench: metrics and benchmarks for self-consuming generative loops."""


@cli.command(short_help="All metrics of FAKE against REAL (features or images).")
@click.argument("real")
@click.argument("fake")
@click.option(
    "--k", "k", default=defaults.K, show_default=True, type=int, help="Neighbours per ball."
)
@click.option(
    "--backend",
    type=click.Choice(defaults.BACKENDS),
    default=defaults.BACKEND,
    show_default=True,
    help="Neighbour-search back end.",
)
@click.option("--strict", is_flag=True, help="Ball membership with < (prdc's rule) instead of <=.")
@click.option(
    "--approximate",
    is_flag=True,
    help="FAISS IVF approximate search, for millions of points (not exact).",
)
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@click.option(
    "--memory-budget",
    default=defaults.MEMORY_BUDGET // MIB,
    show_default=True,
    type=click.IntRange(min=1),
    help="MiB for one distance block; sets block sizes, not results.",
)
@click.option(
    "--kid-subsets", default=defaults.KID_SUBSETS, show_default=True, type=click.IntRange(min=1)
)
@click.option(
    "--kid-subset-size",
    default=defaults.KID_SUBSET_SIZE,
    show_default=True,
    type=click.IntRange(min=2),
)
@click.option(
    "--kid-scale",
    type=click.Choice(defaults.KID_SCALES),
    default=defaults.KID_SCALE,
    show_default=True,
    help="real-norm: divide features by the real features' mean norm / sqrt(d) before KID's "
    "kernel (for non-Inception features); none: as clean-fid.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the KID subsets.")
@image_network_option
@feature_weights_option
@click.option(
    "--metrics",
    "which",
    default="default",
    show_default=True,
    help="Which to compute: any of prdc (precision, recall, density, coverage), fid, kid, "
    "vendi, copying (C_T, authenticity, memorised: needs --train), rarity, cover (precision "
    "and recall cover), probabilistic (P-precision, P-recall), clipped (clipped density and "
    "coverage), rke, cmmd (CMMD proper with --features clip), comma-separated; default: the "
    "first five; all: every one.",
)
@click.option(
    "--train",
    default=None,
    help="The generator's training set (same kinds as REAL): adds the copying metrics, "
    "with REAL as the held-out reference.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def metrics(
    real,
    fake,
    which,
    train,
    k,
    backend,
    strict,
    approximate,
    device,
    memory_budget,
    kid_subsets,
    kid_subset_size,
    kid_scale,
    seed,
    network,
    feature_weights,
    as_json,
):
    """Precision, recall, density, coverage, FID and KID of FAKE against REAL (or those
    --metrics names).

    REAL and FAKE are .npy/.npz feature files (rows are samples) or folders of RGB images
    (Inception-v3 features through clean-fid); REAL may be a stats file of `madbench stats
    make`, whose features and statistics are then reused, verified.
    """
    from madbench.api import compute_metrics
    from madbench.metrics.names import METRIC_KEYS

    report = compute_metrics(
        real,
        fake,
        train=train,
        metrics=which,
        k=k,
        strict=strict,
        kid_scale=kid_scale,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        seed=seed,
        backend=backend,
        approximate=approximate,
        device=device,
        memory_budget=memory_budget * MIB,
        features=network,
        feature_weights=feature_weights,
        progress=True,
    )
    if as_json:
        missing = [k for k, v in report.items() if isinstance(v, float) and not math.isfinite(v)]
        for key in missing:  # JSON has no NaN or Infinity: null, said once on stderr
            click.echo(f"madbench: note: {key} is undefined for these sets (null)", err=True)
            report[key] = None
        click.echo(json.dumps(report, indent=2, allow_nan=False))
        return
    keys = [key for key in METRIC_KEYS if key in report]
    width = max(len(key) for key in keys)
    for key in keys:
        click.echo(f"{key:<{width}}  {_fmt(report[key])}")
    settings = ", ".join(f"{key}={_fmt(report[key])}" for key in report if key not in METRIC_KEYS)
    if settings:
        click.echo(f"({settings})")


class _StatsGroup(click.Group):
    """``stats make DATA`` and ``stats gaussian FEATURES OUT``, which may also be written as
    ``stats FEATURES OUT`` (its name before ``make`` came)."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["gaussian", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_StatsGroup, short_help="Reference statistics, made once and reused.")
def stats():
    """Reference statistics: `stats make DATA` stores a real set's features and statistics
    for every run and metrics call against it; `stats gaussian FEATURES OUT` (or `stats
    FEATURES OUT`) saves FID's mu and sigma."""


@stats.command("make", short_help="Store a real set's features and statistics for reuse.")
@click.argument("data")
@click.option(
    "--features",
    default=None,
    help="Feature space: as evaluate --features for a data set (default: the data set's); "
    "the image network for a folder (default inception).",
)
@feature_weights_option
@click.option(
    "--eval-n",
    default=1000,
    show_default=True,
    type=click.IntRange(min=2),
    help="Held-out samples, as the runs' --eval-n.",
)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    type=int,
    default=(0,),
    show_default=True,
    help="The runs' seed (repeat for several); each draws its own held-out samples.",
)
@click.option(
    "--k", "k", default=defaults.K, show_default=True, type=click.IntRange(min=1),
    help="Neighbours of the stored radii (the runs' k).",
)  # fmt: skip
@click.option("--data-dir", default=None, help="Folder holding the data set's files.")
@click.option("--device", default=None, help="cpu or cuda.")
@click.option(
    "--out", default=None, help="Write one file here (default: the cache, where runs look)."
)
def stats_make(data, features, feature_weights, eval_n, seeds, k, data_dir, device, out):
    """Store the features and statistics of DATA's held-out samples (a data set name), or of
    a .npy/.npz feature file or image folder, keyed by their sha256 and the feature space;
    runs (evaluate, suites, rescore) find and verify them by themselves, and `madbench
    metrics STATS FAKE` takes a file in place of REAL."""
    from madbench.api import make_stats

    for path in make_stats(
        data,
        features=features,
        feature_weights=feature_weights,
        eval_n=eval_n,
        seeds=seeds,
        k=k,
        data_dir=data_dir,
        device=device,
        out=out,
    ):
        click.echo(f"wrote {path}")


@stats.command("gaussian", short_help="Save the Gaussian statistics of a feature set.")
@click.argument("features")
@click.argument("out")
@image_network_option
@feature_weights_option
@click.option("--device", default=None, help="cpu or cuda, for image folders.")
def stats_gaussian(features, out, network, feature_weights, device):
    """Save the Gaussian statistics (mu, sigma, n) of FEATURES to OUT (.npz)."""
    from madbench.features.files import load_features
    from madbench.metrics.frechet import fit_gaussian, save_stats

    if not out.endswith(".npz"):
        raise MadbenchError(f"{out}: statistics are written as .npz; name the file *.npz")
    extractor = _image_network(network, feature_weights, device)
    feats = load_features(features, extractor=extractor)
    save_stats(out, fit_gaussian(feats, features))
    click.echo(
        f"wrote {out} ({_count(feats.shape[0], 'sample')}, {_count(feats.shape[1], 'feature')})"
    )


@cli.command(short_help="FID between two feature, statistics or image sets.")
@click.argument("first")
@click.argument("second")
@image_network_option
@feature_weights_option
@click.option("--device", default=None, help="cpu or cuda, for image folders.")
def fid(first, second, network, feature_weights, device):
    """FID between FIRST and SECOND: feature files, statistics files (.npz), or image folders."""
    from madbench.features.files import load_stats_or_features
    from madbench.metrics.frechet import frechet_distance

    extractor = _image_network(network, feature_weights, device)
    value = frechet_distance(
        load_stats_or_features(first, extractor=extractor),
        load_stats_or_features(second, extractor=extractor),
    )
    click.echo(_fmt(value))


@cli.command(short_help="Check every metric against independent references.")
@click.option(
    "--n",
    "n",
    default=800,
    show_default=True,
    type=click.IntRange(min=20),
    help="Samples per side of each built-in data set.",
)
@click.option("--k", "k", default=defaults.K, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def selfcheck(n, k, seed, as_json):
    """Check every metric against independent references on built-in data.

    Exits with status 1 if any metric disagrees with its reference.
    """
    from madbench.checks.selfcheck import run

    checks = run(n=n, k=k, seed=seed)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        click.echo(
            f"{'data set':<13} {'metric':<16} {'reference':<12} {'madbench':>12} "
            f"{'reference':>12}  agrees"
        )
        for c in checks:
            verdict = {True: "yes", False: "NO", None: "skipped"}[c.ok]
            click.echo(
                f"{c.dataset:<13} {c.metric:<16} {c.reference:<12} {c.madbench:>12.6g} "
                f"{c.expected:>12.6g}  {verdict}"
            )
        failed = sum(c.ok is False for c in checks)
        skipped = [c for c in checks if c.ok is None]
        click.echo(
            f"{len(checks) - failed - len(skipped)} of {len(checks)} checks agree"
            + (f"; {failed} DISAGREE" if failed else "")
            + (f"; {len(skipped)} skipped ({skipped[0].skipped})" if skipped else "")
        )
    if any(c.ok is False for c in checks):
        raise SystemExit(1)


@cli.group(short_help="Data sets: list, add and verify them.")
def data():
    """Data sets: list them, verify their files against the manifests."""


@data.command("list", short_help="List the data sets.")
def data_list():
    """List the data sets with their kind, sample shape, splits, source and licence."""
    from madbench.data.datasets import catalogue

    click.echo(f"{'name':<14} {'kind':<6} {'shape':<8} {'splits':<33} licence; source")
    for row in catalogue():
        splits = ", ".join(f"{s}: {n or 'unlimited'}" for s, n in row["splits"].items())
        click.echo(
            f"{row['name']:<14} {row['kind']:<6} {row['shape']:<8} {splits:<33} "
            f"{row['licence']}; {row['source']}"
        )


@data.command("add", short_help="Add a data set from images, an array or IDX files.")
@click.argument("name")
@click.option(
    "--from",
    "--data-dir",
    "source",
    required=True,
    help="A folder of images (class sub-folders become labels), a .npy/.npz array file, a "
    "folder of MNIST-style IDX files, or text: a .txt file (a document per line), a .jsonl "
    'file ("text" per line), a folder of .txt files (a document each), or hf:SPEC: '
    "wikitext-2, tinystories, a hub data set NAME[:CONFIG] or a save_to_disk folder.",
)
@click.option(
    "--test-fraction",
    default=0.1,
    show_default=True,
    type=float,
    help="Share of the samples held out for scoring (seeded).",
)
@click.option("--test-from", default=None, help="Take the held-out split from this source instead.")
@click.option(
    "--size", default=None, type=click.IntRange(min=4), help="Resize images to SIZE x SIZE."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the held-out split.")
@click.option(
    "--limit", default=None, type=int, help="hf: sources: keep the first N documents per split."
)
def data_add(name, source, test_fraction, test_from, size, seed, limit):
    """Add the images, arrays or text at --from as data set NAME: its manifest (files, sha256,
    shapes, splits, domain) goes to $MADBENCH_HOME/manifests, its files to
    $MADBENCH_HOME/data/NAME; then it works like any built-in set (--data NAME)."""
    from madbench.data.datasets import get_dataset, shape_text
    from madbench.data.imports import add_dataset

    path = add_dataset(
        name,
        source,
        test_fraction=test_fraction,
        test_from=test_from,
        size=size,
        seed=seed,
        limit=limit,
    )
    dataset = get_dataset(name)
    splits = ", ".join(f"{s}: {spec.get('n')}" for s, spec in dataset.manifest.splits.items())
    shape = shape_text(dataset)
    labels = f"{dataset.classes} classes" if dataset.classes else "no labels"
    click.echo(f"added {name}: {dataset.kind} {shape}, {labels}, {splits} (manifest: {path})")


@data.command("remove", short_help="Remove a data set you added.")
@click.argument("name")
def data_remove(name):
    """Remove data set NAME added with data add: its manifest and stored files."""
    from madbench.data.imports import remove_dataset

    remove_dataset(name)
    click.echo(f"removed {name}")


@data.command("verify", short_help="Check data files against their manifests.")
@click.argument("names", nargs=-1)
@click.option("--data-dir", default=None, help="Folder holding the files (default: manifest's).")
def data_verify(names, data_dir):
    """Check the files of data sets NAMES (default: all stored ones) against their manifests.

    A set none of whose files is found is reported as not installed, with how to install it;
    only files that are there but differ make the command fail (exit status 2).
    """
    from madbench.data.datasets import get_dataset
    from madbench.data.manifest import NotInstalledError, stored_names

    for name in names or stored_names():
        dataset = get_dataset(name, data_dir=data_dir)
        try:
            dataset.verify()
        except NotInstalledError as exc:
            click.echo(f"{name}: {exc}")
            continue
        count = len(dataset.manifest.files)
        click.echo(f"{name}: {count} of {count} files match the manifest")


@cli.group(short_help="Build, verify, compare and test leaderboards.")
def leaderboard():
    """Leaderboards built from run directories, and their verification."""


@leaderboard.command("build", short_help="Build a leaderboard from run directories.")
@click.argument("run_dirs", nargs=-1, required=True)
@click.option("--out", required=True, help="Leaderboard folder, e.g. leaderboards/NAME.")
@click.option(
    "--alpha",
    default=defaults.ALPHA,
    show_default=True,
    type=float,
    help="Family-wise level of the MAD onset (first generation whose FID is above generation "
    "1's: paired t-tests over seeds, Holm over generations) and of the copying onset.",
)
def leaderboard_build(run_dirs, out, alpha):
    """Build a leaderboard (CSV, per-seed CSV, markdown, HTML page, plots) from RUN_DIRS."""
    from madbench.leaderboard.publish import build

    rows = build(run_dirs, out, alpha)
    click.echo(f"{out}: {_count(len(rows), 'row')} from {_count(len(run_dirs), 'run')}")


@leaderboard.command("verify", short_help="Re-derive a leaderboard's rows from its runs.")
@click.argument("csv_file")
@click.option(
    "--runs-root",
    default=None,
    help="Read runs only inside this folder (default: the working folder).",
)
@click.option(
    "--runs",
    "archive",
    default=None,
    help="A leaderboard pack (madbench leaderboard pack): verify against the runs it holds.",
)
def leaderboard_verify(csv_file, runs_root, archive):
    """Re-derive every row of CSV_FILE from the runs it names (or those of the pack --runs);
    exit 1 on any difference."""
    from madbench.leaderboard.publish import read_csv, verify

    if archive is not None:
        from madbench.leaderboard.pack import verify_packed

        problems = verify_packed(csv_file, archive)
    else:
        problems = verify(csv_file, runs_root)
    _exit_on_problems(
        problems,
        f"{csv_file}: {_count(len(problems), 'difference')}",
        lambda: f"{csv_file}: {_every(len(read_csv(csv_file)), 'row')} match their runs",
    )


def _exit_on_problems(problems: list[str], failed: str, passed) -> None:
    """Print every problem, then ``failed`` on stderr and exit 1; or print ``passed()``."""
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(failed, err=True)
        sys.exit(1)
    click.echo(passed())


@leaderboard.command("pack", short_help="One archive of everything a leaderboard was built from.")
@click.argument("folder")
@click.option("--out", default=None, help="The archive (default: FOLDER.tar.gz beside FOLDER).")
@click.option("--models", is_flag=True, help="Also pack the model checkpoints (large).")
def leaderboard_pack(folder, out, models):
    """Verify the runs behind the leaderboard FOLDER and pack them with its CSVs into one
    .tar.gz (configs, provenance, results, manifests, kept arrays); others verify the board
    with madbench leaderboard verify FOLDER/leaderboard.csv --runs ARCHIVE."""
    from madbench.leaderboard.pack import pack

    path, digest, size = pack(folder, out, models=models, echo=click.echo)
    click.echo(f"{path}: {size / 2**20:.1f} MiB, sha256 {digest} (also in {path}.sha256)")


@leaderboard.command("compare", short_help="Compare a re-run with a published leaderboard.")
@click.argument("published")
@click.argument("rerun")
@click.option(
    "--alpha", default=defaults.ALPHA, show_default=True, type=float, help="Family-wise level."
)
def leaderboard_compare(published, rerun, alpha):
    """Does RERUN agree with PUBLISHED (leaderboard CSVs) within the spread over seeds?

    Welch's t-test per cell, Holm-corrected; prints every cell that disagrees and exits 1 if
    any does.
    """
    from madbench.leaderboard.compare import compare
    from madbench.leaderboard.publish import read_csv

    if not 0 < alpha < 1:
        raise MadbenchError(f"--alpha must be in (0, 1), got {alpha}")
    checks = compare(read_csv(published), read_csv(rerun), alpha)
    if not _show_comparison(checks, alpha, f"{rerun} against {published}"):
        sys.exit(1)


def _show_comparison(checks, alpha, what) -> bool:
    """Print the cells that disagree and a summary; return whether all agree."""
    bad = [c for c in checks if not c.agrees]
    for check in bad:
        click.echo(check.describe())
    welch = sum(c.test == "welch" for c in checks)
    click.echo(
        f"{what}: {len(checks) - len(bad)} of {len(checks)} cells agree ({welch} by Welch's "
        f"t-test over seeds, Holm-corrected at {alpha}; the rest without spread, exactly)"
    )
    return not bad


@leaderboard.command("power", short_help="Seeds each claim of a suite needs, from a pilot.")
@click.argument("folder")
@click.option("--suite", required=True, help="The suite whose claims to plan (name or file).")
@click.option(
    "--power", "target", default=0.8, show_default=True, type=click.FloatRange(0.5, 0.999)
)
def leaderboard_power(folder, suite, target):
    """From the pilot leaderboard FOLDER, each claim's effect size, its power at the pilot's
    seeds and the seeds it needs for --power at the suite's family-wise alpha (Holm)."""
    from madbench.leaderboard.power import claim_powers
    from madbench.suites import load_suite

    loaded = load_suite(suite)
    powers = claim_powers(loaded.claims, folder, loaded.alpha, target)
    click.echo(
        f"suite {loaded.name}: {len(powers)} claims at family-wise alpha {loaded.alpha:g} "
        f"(each at {loaded.alpha / max(len(powers), 1):.2g}, Holm's first step)"
    )
    for result in powers:
        click.echo(result.describe(target))


@leaderboard.command("claims", short_help="Test a suite's claims on a leaderboard.")
@click.argument("folder")
@click.option("--suite", required=True, help="The suite whose claims to test (name or file).")
def leaderboard_claims(folder, suite):
    """Test a suite's claims, one Holm-corrected family, on the leaderboard FOLDER's per-seed
    values; exit 1 if one does not hold (for CI, on a suite all of whose claims should)."""
    from madbench.leaderboard.claims import evaluate_all, recorded_suites
    from madbench.suites import load_suite

    loaded = load_suite(suite)
    recorded = os.path.join(folder, "claims.csv")
    if os.path.isfile(recorded):
        hashes = recorded_suites(recorded)
        if hashes != {loaded.sha256}:
            click.echo(
                f"note: {recorded} was made with another version of the suite file (sha256 "
                f"{', '.join(sorted(h[:12] for h in hashes))}; this one {loaded.sha256[:12]}): "
                "these claims were not the ones registered for the board"
            )
    if not _show_claims(loaded, folder, evaluate_all(loaded.claims, folder, loaded.alpha)):
        sys.exit(1)


def _show_claims(suite, folder, results) -> bool:
    """Print every claim's test and a summary; return whether all hold."""
    from madbench.leaderboard.claims import describe

    click.echo(
        f"claims of suite {suite.name} (file sha256 {suite.sha256[:16]}): "
        f"{len(results)} tests, Holm-corrected as one family at alpha = {suite.alpha:g}"
    )
    for result in results:
        click.echo(describe(result))
    failed = sum(not r.holds for r in results)
    click.echo(
        f"{folder}: {len(results) - failed} of {len(results)} claims hold"
        + (f"; {failed} do not" if failed else "")
    )
    return not failed


@cli.command(short_help="Run a reproduction suite, build and test it.")
@click.argument("suite")
@click.option("--runs", "runs_dir", default=None, help="Run folder (default: runs/SUITE).")
@click.option("--out", default=None, help="Leaderboard folder (default: leaderboards/SUITE).")
@click.option("--list", "only_list", is_flag=True, help="List the suite's runs; run nothing.")
@click.option(
    "--check",
    is_flag=True,
    help="Re-run into runs/SUITE-check (leaderboard: runs/SUITE-check/leaderboard) and compare "
    "with the published leaderboard within the spread over seeds.",
)
@click.option(
    "--against",
    default=None,
    help="Published leaderboard CSV of --check (default: leaderboards/SUITE/leaderboard.csv "
    "here, else the copy madbench ships).",
)
@click.option(
    "--shard",
    "shard_spec",
    default=None,
    help="Run only shard I/N (every N-th run, from the I-th), for job arrays; builds nothing.",
)
@click.option(
    "--build-only", is_flag=True, help="Build the leaderboard from complete runs; run nothing."
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: one run after another here; ray: each run a Ray task (pip install ray).",
)
@click.option("--address", default=None, help="Ray cluster to use (default: start a local one).")
@click.option(
    "--cpus-per-run", type=float, default=None, help="Ray: CPUs per run (default: its threads)."
)
@click.option("--gpus-per-run", type=float, default=0, help="Ray: GPUs per run (default 0).")
def reproduce(
    suite,
    runs_dir,
    out,
    only_list,
    check,
    against,
    shard_spec,
    build_only,
    executor,
    address,
    cpus_per_run,
    gpus_per_run,
):
    """Run a reproduction SUITE (ci, small, paper, text, text-paper, beyond, or a YAML file),
    build its leaderboard and test its claims.

    For job arrays: --shard I/N runs only every N-th run (from the I-th) and builds nothing;
    once every shard is done, --build-only builds the leaderboard, naming any run missing.
    On a Ray cluster: --executor ray [--address ADDR] runs each run as a Ray task.
    """
    from madbench.api import reproduce as reproduce_suite
    from madbench.suites import load_suite

    if only_list:
        for planned in load_suite(suite).runs:
            click.echo(planned.name)
        return
    ray_only = {
        "--address": address,
        "--cpus-per-run": cpus_per_run,
        "--gpus-per-run": gpus_per_run,
    }
    if executor != "ray" and any(ray_only.values()):
        raise MadbenchError(f"{', '.join(k for k, v in ray_only.items() if v)} need --executor ray")
    ray = None
    if executor == "ray":
        from madbench.ray_executor import RayOptions

        ray = RayOptions(address, cpus_per_run, gpus_per_run)
    done = reproduce_suite(
        suite,
        runs_dir=runs_dir,
        out=out,
        check=check,
        against=against,
        shard=shard_spec,
        build_only=build_only,
        executor=executor,
        ray=ray,
        echo=click.echo,
    )
    if done.out is None:
        click.echo(
            f"shard {shard_spec}: {_count(len(done.run_dirs), 'run')} of "
            f"{len(done.suite.runs)} done; once every shard is, build with --build-only"
        )
        return
    click.echo(
        f"{done.out}: {_count(len(done.rows), 'row')} from {_count(len(done.run_dirs), 'run')}"
    )
    if done.claims:  # a claim that does not hold is a finding, not a failed command
        _show_claims(done.suite, done.out, done.claims)
        click.echo(f"{done.out / 'claims.csv'}: the claims as tested")
    if check:
        what = f"{done.out}/leaderboard.csv against {done.against}"
        if not _show_comparison(done.comparison, defaults.ALPHA, what):
            sys.exit(1)


def _sweep_options(command):
    """The protocol fields ``madbench sweep`` takes as lists (madbench.sweep.LIST_FIELDS)."""
    from madbench.sweep import LIST_FIELDS, REPEATED_FIELDS

    for field in reversed(REPEATED_FIELDS):
        command = click.option(
            f"--{field}",
            multiple=True,
            help=f"One --{field} value per option given (repeat it to vary; none: off).",
        )(command)
    for field in reversed(LIST_FIELDS):
        command = click.option(
            f"--{field.replace('_', '-')}", default=None, help="Comma-separated values."
        )(command)
    return command


@cli.command(short_help="Run a grid of loop settings, build its leaderboard.")
@click.option("--model", required=True, help="As evaluate --model.")
@click.option("--model-args", default=None, help="Constructor arguments: key=value,key=value.")
@click.option("--data", required=True, help="Data sets, comma-separated.")
@click.option("--protocol", default="fully-synthetic", show_default=True, help="Comma-separated.")
@click.option("--seeds", default="0", show_default=True, help="Seeds: 0-4, or 0,2,5.")
@_sweep_options
@click.option("--reward", default=None, help="As evaluate --reward.")
@click.option("--metrics", default=None, help="As evaluate --metrics (default: the first five).")
@click.option("--features", default=None, help="As evaluate --features.")
@click.option("--out", required=True, help="Run folder: runs, sweep.yaml, leaderboard/.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", default=None, help="Ray cluster to use (default: start a local one).")
def sweep(model, model_args, data, protocol, seeds, reward, metrics, features, out, executor,
          address, **fields):  # fmt: skip
    """Expand a grid (every list given, every seed), write it as OUT/sweep.yaml, run it into
    OUT, build its leaderboard in OUT/leaderboard and print it. madbench reproduce
    OUT/sweep.yaml repeats it; a sweep run again keeps its complete runs."""
    import tempfile
    from pathlib import Path

    import yaml

    from madbench.adapters import parse_model_args
    from madbench.api import reproduce as reproduce_suite
    from madbench.runs.show import show_board
    from madbench.suites import load_suite
    from madbench.sweep import (
        LIST_FIELDS,
        REPEATED_FIELDS,
        parse_list,
        parse_seeds,
        sweep_spec,
        write_sweep,
    )

    grid = {k: parse_list(k, fields[k]) for k in LIST_FIELDS if fields.get(k) is not None}
    for k in REPEATED_FIELDS:
        if fields.get(k):
            grid[k] = [None if v == "none" else v for v in fields[k]]
    scoring = {k: v for k, v in (("reward", reward), ("features", features)) if v}
    if metrics:
        scoring["metrics"] = metrics.split(",")
    folder = Path(out)
    spec = sweep_spec(
        folder.name,
        model,
        parse_model_args(model_args),
        data.split(","),
        protocol.split(","),
        parse_seeds(seeds),
        grid,
        scoring,
    )
    with tempfile.TemporaryDirectory() as tmp:  # the grid checked before anything is written
        draft = Path(tmp) / "sweep.yaml"
        draft.write_text(yaml.safe_dump(spec, sort_keys=False))
        planned = load_suite(str(draft)).runs
    click.echo(f"sweep {folder.name}: {_count(len(planned), 'run')}")
    path = write_sweep(folder, spec)
    ray = None
    if executor == "ray":
        from madbench.ray_executor import RayOptions

        ray = RayOptions(address, None, 0)
    elif address:
        raise MadbenchError("--address needs --executor ray")
    done = reproduce_suite(
        str(path),
        runs_dir=folder,
        out=folder / "leaderboard",
        executor=executor,
        ray=ray,
        echo=click.echo,
    )
    click.echo(show_board(done.out))
    click.echo(f"{done.out}: {_count(len(done.rows), 'row')}; repeat: madbench reproduce {path}")


@cli.command(short_help="List the loop protocols and their defaults.")
def protocols():
    """List the loop protocols with their parameters and defaults."""
    from madbench.loops.protocol import NAMES, make_protocol

    for name in NAMES:
        p = make_protocol(name)
        fields = ", ".join(f"{k}={v}" for k, v in p.as_dict().items() if k != "name")
        click.echo(f"{name:<23} hash {p.content_hash()}  {fields}")


@cli.command(short_help="Run a model through a self-consuming loop.")
@click.option(
    "--model",
    default=None,
    help="Alias (gaussian, gmm, kde, flow, wgan, ddpm), package.module:Class or entry point.",
)
@click.option("--model-args", default=None, help="Constructor arguments: key=value,key=value.")
@click.option(
    "--protocol", default="fully-synthetic", show_default=True, help="See: madbench protocols."
)
@click.option("--data", default=None, help="Data set (see: madbench data list).")
@click.option("--data-dir", default=None, help="Folder holding the data set's files.")
@click.option("--generations", type=int, default=None, help="Generations to train (default 5).")
@click.option(
    "--bias", type=float, default=None, help="Sampling bias lambda in (0, 1] (default 1)."
)
@click.option("--seed", type=int, default=None, help="Seed of the whole run (default 0).")
@click.option("--n-ini", type=int, default=None, help="Real samples of generation 1.")
@click.option(
    "--n-real", type=int, default=None, help="Fresh real samples per generation (fresh-data)."
)
@click.option("--n-synth", type=int, default=None, help="Synthetic samples drawn per generation.")
@click.option(
    "--source", default=None, help="previous, accumulate, accumulate-subsample or last-K."
)
@click.option(
    "--curate",
    default=None,
    help="Curate each draw by a reward: bt:reward=R,k=K,beta=B (K-wise Bradley-Terry) or "
    "top:reward=R,keep=F; R: confidence, realism, class:C or module:function (README: Loops "
    "beyond the paper).",
)
@click.option(
    "--select",
    default=None,
    help="Keep n_synth of n_synth/S draws: kcenter|random|threshold:realism=V, with share=S "
    "(and features=SPACE).",
)
@click.option(
    "--correct",
    default=None,
    help="Correct a share G of the fed-back samples: kmeans|nearest|module:function,strength=G.",
)
@click.option(
    "--reward",
    default=None,
    help="Record this reward's mean per generation (default: the curation's reward).",
)
@click.option("--retrain", default=None, help="scratch or warm.")
@click.option(
    "--k", "k", type=int, default=None, help="Neighbours of the k-NN metrics (default 5)."
)
@click.option("--eval-n", type=int, default=None, help="Samples per evaluation (default 1000).")
@click.option(
    "--synthetic-fraction",
    type=float,
    default=None,
    help="Synthetic share of the training set of t >= 2, instead of --n-real/--n-synth.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Threads of every numeric pool (pinned, recorded: results do not depend on the "
    "environment's thread settings).",
)
@click.option(
    "--metrics",
    default="default",
    show_default=True,
    help="What each generation computes: any of prdc, fid, kid, vendi, copying, rarity, "
    "cover, probabilistic, clipped, rke, cmmd, comma-separated; default: the first five; all: "
    "every one.",
)
@click.option(
    "--features",
    default=None,
    help="Feature space of the metrics: identity, lenet, inception, dinov2[-vits14|vitb14|"
    "vitl14|vitg14] or package.module:Class (default: the data set's; see README).",
)
@feature_weights_option
@click.option("--out", default=None, help="Run directory (default runs/DATA-MODEL-PROTOCOL-HASH).")
@click.option("--resume", "resume_dir", default=None, help="Continue the run in this directory.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON summary (setting, every generation's cells) on stdout; progress goes "
    "to stderr.",
)
@click.option(
    "--log",
    "trackers",
    multiple=True,
    type=click.Choice(["tensorboard", "wandb", "mlflow"]),
    help="Send every generation to an experiment tracker (repeat for several; pip install "
    "'madbench[trackers]').",
)
@click.option("--log-dir", default=None, help="Where the trackers write (default logs/RUN).")
def evaluate(
    model,
    model_args,
    protocol,
    data,
    data_dir,
    resume_dir,
    out,
    threads,
    metrics,
    features,
    feature_weights,
    as_json,
    trackers,
    log_dir,
    **params,
):
    """Run a generator through a self-consuming loop and score every generation."""
    from madbench.adapters import parse_model_args
    from madbench.api import evaluate as evaluate_model
    from madbench.api import resume

    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    if resume_dir is not None:
        from madbench.loops.options import code_in

        named = {k: params.get(k) for k in ("curate", "select", "correct", "reward")}
        run = resume(
            resume_dir,
            features=features,
            feature_weights=feature_weights,
            echo=echo,
            code=code_in(named),
            log=trackers,
            log_dir=log_dir,
        )
    else:
        if model is None or data is None:
            raise MadbenchError("evaluate needs --model and --data (or --resume DIR)")
        run = evaluate_model(
            model,
            data,
            protocol,
            model_args=parse_model_args(model_args),
            metrics=metrics,
            features=features,
            feature_weights=feature_weights,
            out=out,
            data_dir=data_dir,
            threads=threads,
            echo=echo,
            warn=lambda message: click.echo(f"madbench: warning: {message}", err=True),
            log=trackers,
            log_dir=log_dir,
            **params,
        )
    if as_json:
        from madbench.runs.show import summary

        click.echo(json.dumps(summary(run.path, run.config, run.rows), indent=2))
        return
    _print_results(run.rows)


@cli.command(short_help="Score a run's kept samples again.")
@click.argument("run_dir")
@click.option("--k", "k", type=click.IntRange(min=1), default=None, help="Neighbours (run's k).")
@click.option("--strict", is_flag=True, default=None, help="Ball membership with <.")
@click.option("--kid-subsets", type=click.IntRange(min=1), default=None)
@click.option("--kid-subset-size", type=click.IntRange(min=2), default=None)
@click.option("--kid-scale", type=click.Choice(defaults.KID_SCALES), default=None)
@click.option(
    "--intervals",
    type=click.IntRange(min=0),
    default=None,
    help="Half-sample replicates (0: none).",
)
@click.option("--features", default=None, help="Another feature space (see evaluate --features).")
@feature_weights_option
@click.option("--out", default=None, help="Write the re-scored rows to this CSV file.")
def rescore(run_dir, k, out, feature_weights, **scoring):
    """Score RUN_DIR's kept samples again; compare with its results.csv, or write new rows.

    With the run's own settings, every metric must equal results.csv (exit status 1 if any
    differs). With other settings (--k, --intervals, ...), --out FILE receives the new rows;
    the run directory is never written.
    """
    from madbench.api import rescore as rescore_run

    scoring = {key: value for key, value in scoring.items() if value is not None}
    done = rescore_run(run_dir, k=k, feature_weights=feature_weights, out=out, **scoring)
    if out is not None:
        click.echo(f"wrote {out}: {_count(len(done.rows), 're-scored row')}")
    if not done.same_settings:
        if out is None:
            raise MadbenchError(
                "these settings differ from the run's, so nothing can be compared; give "
                "--out FILE to write the re-scored rows"
            )
        return
    problems = done.differences
    _exit_on_problems(
        problems,
        f"{run_dir}: {_count(len(problems), 'metric cell')} differ from results.csv",
        lambda: f"{run_dir}: {_every(len(done.rows), 'row')} re-score to the values in results.csv",
    )


@cli.command(short_help="A run's or a leaderboard's metrics, with sparklines.")
@click.argument("path")
def show(path):
    """Print the run directory or leaderboard folder PATH: each metric's first and last value
    and a sparkline over the generations (a leaderboard: means over seeds, row by row)."""
    from pathlib import Path

    from madbench.runs.show import show_board, show_run

    folder = Path(path)
    if folder.is_file() and folder.name == "leaderboard.csv":
        folder = folder.parent
    if (folder / "leaderboard.csv").is_file():
        click.echo(show_board(folder))
        return
    if not (folder / "config.json").is_file():
        raise MadbenchError(
            f"{path} is neither a run directory (config.json) nor a leaderboard folder "
            "(leaderboard.csv)"
        )
    from madbench.api import load_run

    run = load_run(folder)
    click.echo(show_run(run.config, run.rows))


def _print_results(rows: list[dict]) -> None:
    from madbench.runs.table import run_table

    click.echo(run_table(rows))


@cli.group(short_help="Feature spaces for scoring.")
def features():
    """Feature spaces for scoring."""


@features.command("stand-in", short_help="Write stand-in weights for offline tests.")
@click.argument(
    "network",
    type=click.Choice(
        [
            *("inception", "dinov2-vits14", "dinov2-vitb14", "dinov2-vitl14", "dinov2-vitg14"),
            *("clip", "clip-small"),
        ]
    ),
)
@click.argument("out")
@click.option("--seed", default=0, show_default=True, type=int)
def stand_in_command(network, out, seed):
    """Write randomly initialised weights of NETWORK's real architecture to OUT, in the
    published file's layout (clip-small: CLIP's input and layout in a small tower, for fast
    tests): for testing a pipeline offline, never for numbers."""
    from madbench.features.standins import save

    digest = save(network, out, seed)
    click.echo(f"wrote {out} (sha256 {digest}); stand-in weights: never publish scores from them")


@features.command("train-lenet", short_help="Train a LeNet feature network.")
@click.option("--data", required=True, help="An image data set (digits, fashion-mnist).")
@click.option("--data-dir", default=None, help="Folder holding the data set's files.")
@click.option(
    "--epochs", default=defaults.LENET_EPOCHS, show_default=True, type=click.IntRange(min=1)
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--out", default=None, help="Weights file (default $MADBENCH_HOME/weights/lenet-DATA.pt)."
)
def train_lenet_command(data, data_dir, epochs, seed, out):
    """Train the LeNet feature network on a data set's train split, deterministically."""
    from madbench.api import train_features
    from madbench.features.lenet import LENET_MIN_ACCURACY

    trained = train_features(
        data, data_dir=data_dir, epochs=epochs, seed=seed, out=out, progress=sys.stderr.isatty()
    )
    accuracy = trained.accuracy
    click.echo(f"wrote {trained.path}: held-out accuracy {accuracy:.4f}")
    if accuracy < LENET_MIN_ACCURACY:
        click.echo(
            f"madbench: warning: held-out accuracy {accuracy:.2f} is below "
            f"{LENET_MIN_ACCURACY:.2f}: these features tell {data}'s classes apart poorly, so "
            "FID and precision/recall in them say little; train longer (--epochs), add "
            "images, or score with --features identity",
            err=True,
        )
    if trained.recorded_in is not None:
        click.echo(f"recorded in {trained.recorded_in}")
    else:  # a shipped data set: its manifest is edited by hand, in review
        click.echo(f"manifest entry: feature_weights: {json.dumps(trained.entry)}")


@cli.command("check-metric", short_help="Run the reference battery on a metric implementation.")
@click.argument("spec")
@click.option(
    "--metric",
    required=True,
    type=click.Choice(["precision", "recall", "density", "coverage", "fid", "kid", "cmmd"]),
    help="Which metric SPEC computes (its signature: docs/cli.md, check-metric).",
)
@click.option(
    "--rule",
    type=click.Choice(["<=", "<"]),
    default="<=",
    show_default=True,
    help="k-NN ball rule expected: <= (madbench, the MAD paper) or < (prdc's).",
)
def check_metric_command(spec, metric, rule):
    """Run madbench's reference battery on SPEC (package.module:function; a shim file,
    path/to/shim.py:function, or path/to/shim.py for a function named as --metric; or
    madbench for madbench's own): every case with expected, got and tolerance, the
    historical bug each failure matches; exit status 1 on any failure."""
    from madbench.checks import battery, own
    from madbench.checks.shims import metric_function

    function = getattr(own, metric) if spec == "madbench" else metric_function(spec, metric)
    outcomes = battery.check_metric(function, metric, rule)
    for outcome in outcomes:
        click.echo(outcome.line())
    failed = [o for o in outcomes if not o.ok]
    if failed:
        bugs = sorted({battery.BUGS[o.bug] for o in failed if o.bug})
        click.echo(f"{spec}: {_count(len(failed), 'case')} of {len(outcomes)} failed")
        for bug in bugs:
            click.echo(f"  matches a known bug: {bug}")
        sys.exit(1)
    rule_note = f", rule {rule}" if metric in battery.KNN else ""
    click.echo(f"{spec}: {_every(len(outcomes), 'case')} passed ({metric}{rule_note})")


@cli.group(short_help="The reference battery as plain files for any project's CI.")
def vectors():
    """The reference battery of check-metric as files (numpy .npz and JSON)."""


@vectors.command("export", short_help="Write the battery's cases into DIR.")
@click.argument("folder")
def vectors_export(folder):
    """Write every case of the battery into FOLDER: vectors.json (expected values, tolerances,
    descriptions, a version, each file's sha256) and one .npz of inputs per case."""
    from madbench.checks.vectors import export

    index = export(folder)
    count = len(json.loads(index.read_text())["cases"])
    click.echo(f"{index}: {_count(count, 'case')}, each with its .npz beside it")


@cli.command("check-adapter", short_help="Check a model against the adapter contract.")
@click.argument("spec")
@click.option("--model-args", default=None, help="Constructor arguments: key=value,key=value.")
@click.option(
    "--dim",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Dimension of the tiny vector data the contract runs on (without --data).",
)
@click.option(
    "--data",
    default=None,
    help="Run the contract on 64 training samples of this data set instead (e.g. digits, "
    "for an image model).",
)
def check_adapter_command(spec, model_args, dim, data):
    """Run the adapter contract on SPEC (alias, package.module:Class or entry point).

    Lists every violation once and exits 1 if there is any; warns when the bias lambda
    changes nothing.
    """
    from madbench.adapters import check_adapter, parse_model_args

    samples = labels = None
    if data is not None:
        from madbench.data.datasets import get_dataset

        split = get_dataset(data).split("train", n=64, seed=0)
        samples, labels = split.x, split.y
    problems = check_adapter(
        spec, parse_model_args(model_args), data_shape=(dim,), data=samples, labels=labels
    )
    if not problems:
        click.echo(f"{spec}: honours the adapter contract")
        return
    click.echo(
        f"{spec}: {len(problems)} violation{'s' * (len(problems) != 1)} of the adapter contract"
    )
    for problem in problems:
        click.echo(f"  - {problem}")
    raise SystemExit(1)


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"madbench: warning: {message}", err=True)


def main(argv=None) -> int:
    """Entry point of the console script: maps every user error to one line and exit 2."""
    warnings.showwarning = _warn_one_line
    try:
        cli.main(args=argv, prog_name="madbench", standalone_mode=False)
    except MadbenchError as exc:
        click.echo(f"madbench: error: {one_line(exc)}", err=True)
        return 2
    except MemoryError:
        click.echo(
            "madbench: error: out of memory; nothing half-written was kept: free memory or "
            "choose smaller sizes, then --resume",
            err=True,
        )
        return 2
    except OSError as exc:  # the machine's fault (disk full, permission...), not the input's
        click.echo(f"madbench: error: {fault_message(exc)}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("madbench: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"madbench: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def run() -> None:
    """The console script: :func:`main`, then exit without the interpreter's last garbage
    collections. Those walk every object torch's import created, 0.3 s of each command that
    loads torch, to free memory the exit frees anyway. ``gc.freeze()`` moves them out of the
    collector's sight; objects freed by reference counting are freed (and files closed) as
    before, and exit handlers run as before."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
