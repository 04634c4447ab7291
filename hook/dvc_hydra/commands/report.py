"""``dvc-hydra report``: merge the results files of several shards into one summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvc_hydra.commands.run import add_summary_arguments, check_outputs
from dvc_hydra.errors import DvcHydraError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULTS",
        help="results files of `dvc-hydra run --json`, or folders holding them",
    )
    add_summary_arguments(parser)
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="write the merged results here"
    )


def results_files(paths: list[Path]) -> list[Path]:
    """The files named, and every ``*.json`` below the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.json")))
        else:
            found.append(path)
    if not found:
        raise DvcHydraError(
            f"no results files in {', '.join(map(str, paths))}",
            hint="pass the JSON files `dvc-hydra run --json` wrote",
        )
    return found


def run(args: argparse.Namespace) -> int:
    from dvc_hydra import github, results, summary

    check_outputs(("--json", args.json), ("--summary", args.summary))
    paths = results_files(args.results)
    merged = results.merge([(path, results.load(path)) for path in paths])
    if args.json is not None:
        results.write(merged, args.json)
    text_target = args.summary
    if text_target is None and github.step_summary_path() is None:
        sys.stdout.write(summary.render(merged, args.sort_by, args.sort_order))
        top = summary.best(merged, args.sort_by, args.sort_order)
        summary.warn_unranked(merged, args.sort_by)
    else:
        top = summary.publish(
            merged, text_target, args.sort_by, args.sort_order, strict=True
        )
    github.set_outputs(results=args.json, best=top.label if top else None)
    failed = len(merged.failed)
    print(
        f"dvc-hydra: {len(merged.points) - failed} of {len(merged.points)} points "
        "succeeded",
        file=sys.stderr,
    )
    if merged.missing:
        print(
            f"dvc-hydra: no results given for {', '.join(merged.missing)}: "
            "did a shard fail before it uploaded them?",
            file=sys.stderr,
        )
    return 1 if failed or merged.missing else 0
