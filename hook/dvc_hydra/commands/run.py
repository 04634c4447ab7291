"""``dvc-hydra run``: run every point of a grid as a DVC experiment."""

from __future__ import annotations

import argparse
import contextlib
import math
import tempfile
from pathlib import Path

from dvc_hydra.commands import add_set_param
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import load_settings

MAX_TIMEOUT = 7 * 24 * 3600
EXAMPLES = {
    "--json": "results.json",
    "--summary": "summary.md",
    "--bundle": "experiments.bundle",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_set_param(
        parser,
        "a Hydra override or sweep, as `dvc exp run --queue -S` takes it (repeatable)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="run at most N points at once (default: 1)",
    )
    parser.add_argument(
        "--shard", metavar="K/N", help="run only shard K of N (K counted from 1)"
    )
    parser.add_argument(
        "-n",
        "--name",
        metavar="PREFIX",
        help="name the experiments PREFIX-1, PREFIX-2, ... as DVC does",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write results here")
    add_summary_arguments(parser)
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="stop a point that runs longer and count it as failed",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RESULTS",
        help="skip the points that succeeded in this earlier results file",
    )
    parser.add_argument(
        "--pull",
        action="store_true",
        help="fetch missing data, and the outputs of points found in the run "
        "cache, from the DVC remote (as `dvc exp run --pull`)",
    )
    parser.add_argument(
        "--bundle",
        type=Path,
        metavar="PATH",
        help="write a Git bundle of the new experiments' refs here",
    )


def add_summary_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summary",
        type=Path,
        metavar="PATH",
        help="write the Markdown summary here (default: $GITHUB_STEP_SUMMARY when set)",
    )
    parser.add_argument(
        "--sort-by",
        metavar="METRIC",
        help="the metric (or param) that picks the best point, as in `dvc exp show`",
    )
    parser.add_argument(
        "--sort-order",
        choices=("asc", "desc"),
        default="asc",
        help="asc: the lowest value is best (default); desc: the highest",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # A week: longer is a mistake (and infinity overflows the clock's waits).
    if not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds more than 0 and at most {MAX_TIMEOUT}, "
            f"not {text!r}"
        )
    return value


def check_outputs(*outputs: tuple[str, Path | None]) -> None:
    """Refuse an output path that cannot be written, before anything runs."""
    for option, path in outputs:
        if path is not None:
            _check_output(option, path)


def _check_output(option: str, path: Path) -> None:
    if path.is_dir():
        raise DvcHydraError(
            f"{option} names a folder; it takes a file",
            path=path,
            hint=f"name a file in it, such as {option} {path / EXAMPLES[option]}",
        )
    parent, missing = path.absolute().parent, list[Path]()
    while not parent.exists() and parent != parent.parent:
        parent, missing = parent.parent, [parent, *missing]
    if not parent.is_dir():
        raise DvcHydraError(
            f"cannot write {option} here: {parent} is a file, not a folder",
            path=path,
        )
    _try_writing(option, path, missing)


def _try_writing(option: str, path: Path, missing: list[Path]) -> None:
    """Create the missing folders and a scratch file; take them away again."""
    try:
        for folder in missing:
            folder.mkdir()
        tempfile.TemporaryFile(dir=path.absolute().parent).close()
    except OSError as exc:
        raise DvcHydraError(
            f"cannot write {option} here: {exc.strerror or exc}", path=path
        ) from None
    finally:
        for folder in reversed(missing):
            with contextlib.suppress(OSError):
                folder.rmdir()


def run(args: argparse.Namespace, root: Path) -> int:
    from dvc_hydra.runner import RunOptions, run_grid

    options = RunOptions(
        set_params=args.set_params,
        jobs=args.jobs,
        shard=args.shard,
        name=args.name,
        json_path=args.json,
        summary_path=args.summary,
        sort_by=args.sort_by,
        sort_order=args.sort_order,
        timeout=args.timeout,
        resume=args.resume,
        bundle=args.bundle,
        pull=args.pull,
    )
    check_outputs(
        ("--json", args.json), ("--summary", args.summary), ("--bundle", args.bundle)
    )
    return run_grid(load_settings(root), options)
