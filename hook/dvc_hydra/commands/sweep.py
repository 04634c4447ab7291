"""``dvc-hydra sweep``: expand a grid as ``dvc exp run --queue`` would, compose it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvc_hydra import plan
from dvc_hydra.commands import add_set_param
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import PARAMS_FILE, load_settings

if TYPE_CHECKING:
    from dvc_hydra.grid import Outcome

FORMATS = ("json", "table", "matrix")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_set_param(
        parser,
        "a Hydra override or sweep, as `dvc exp run -S` takes it (repeatable)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json: DVC's own shape; table: what varies; matrix: GitHub shards",
    )
    parser.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help=f"matrix only: split into at most N shards (at most {plan.MAX_SHARDS})",
    )
    parser.add_argument(
        "--shard", metavar="K/N", help="keep only shard K (from 1) of N"
    )
    parser.add_argument(
        "--name",
        metavar="PREFIX",
        help="name the points PREFIX-1, PREFIX-2, ... as DVC does",
    )


def run(args: argparse.Namespace, root: Path) -> int:
    from dvc_hydra.grid import compose_points

    _check_options(args)
    shard = plan.parse_shard(args.shard) if args.shard is not None else None
    settings = load_settings(root)
    if not settings.enabled:
        print(
            f"dvc-hydra: hydra is not enabled in {root}: as DVC does, the "
            f"overrides are applied to {PARAMS_FILE} as it stands",
            file=sys.stderr,
        )
    points = plan.expand(args.set_params, settings, args.name)
    selected = plan.select_shard(points, *shard) if shard else points

    outcomes = compose_points(settings, selected)
    plan.check(outcomes)
    _print_summary(selected, len(points), shard, args.format)
    if args.format == "matrix":
        print(json.dumps(plan.matrix(points, args.shards or plan.MAX_SHARDS)))
    elif args.format == "table":
        sys.stdout.write(table(outcomes))
    else:
        print(json.dumps([point.overrides for point in selected]))
    return 0


def _check_options(args: argparse.Namespace) -> None:
    if args.shards is not None and args.format != "matrix":
        raise DvcHydraError(
            "--shards applies to --format matrix only",
            hint="to take one shard's points, use --shard K/N",
        )
    if args.shards is not None and args.shards < 1:
        raise DvcHydraError(f"--shards must be at least 1, not {args.shards}")
    if args.shard is not None and args.format == "matrix":
        raise DvcHydraError(
            "--shard and --format matrix exclude each other: the matrix lists "
            "every shard"
        )


def _print_summary(
    selected: Sequence[plan.Point],
    total: int,
    shard: tuple[int, int] | None,
    fmt: str,
) -> None:
    count = f"{len(selected)} point{'s' if len(selected) != 1 else ''}"
    where = ""
    if shard is not None and selected:
        first, last = selected[0].index + 1, selected[-1].index + 1
        where = f" (shard {shard[0]}/{shard[1]}: points {first}-{last} of {total})"
    verb = "composes" if len(selected) == 1 else "compose"
    print(f"dvc-hydra: {count} {verb}{where}", file=sys.stderr)
    names = [point.name for point in selected if point.name]
    if names and fmt == "json":
        span = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
        print(f"dvc-hydra: named {span}", file=sys.stderr)


def table(outcomes: Sequence[Outcome]) -> str:
    """One row per point, with only the resulting values that differ across points."""
    rows = [_leaves(outcome.files or {}) for outcome in outcomes]
    keys = _varying_keys(rows)
    named = any(outcome.point.name for outcome in outcomes)
    header = ["point", *(["name"] if named else []), *keys]
    body = [
        [
            str(outcome.point.index + 1),
            *([outcome.point.name or ""] if named else []),
            *(_cell(row, key) for key in keys),
        ]
        for outcome, row in zip(outcomes, rows)
    ]
    return _aligned([header, *body])


def _leaves(files: dict[str, Any]) -> dict[str, Any]:
    from dvc_hydra.paramsfile import flatten

    leaves: dict[str, Any] = {}
    for path, content in files.items():
        prefix = "" if path == PARAMS_FILE else f"{path}:"
        for key, value in flatten(content):
            leaves[prefix + key] = value
    return leaves


_ABSENT = object()


def _varying_keys(rows: list[dict[str, Any]]) -> list[str]:
    every: dict[str, None] = {}
    for row in rows:
        every.update(dict.fromkeys(row))
    return [
        key
        for key in every
        # repr tells 1 from "1" and 1.0, which print alike.
        if len({repr(row.get(key, _ABSENT)) for row in rows}) > 1
    ]


def _cell(row: dict[str, Any], key: str) -> str:
    return _render(row.get(key, _ABSENT))


def _render(value: Any) -> str:
    if value is _ABSENT:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"
