"""The Markdown summary of a run: a table, the best point, a chart, the failures.

Columns are the params that vary across the grid and every metric; sort
columns are named as ``dvc exp show --sort-by`` names them (``score``, or
``metrics.json:score`` when the bare name is ambiguous).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.results import PointResult, Results
from dvc_hydra.settings import PARAMS_FILE

MAX_ROWS = 500
MAX_BARS = 50
MAX_FAILED_LOGS = 20


@dataclass(frozen=True)
class Column:
    """One params or metrics value, found in ``path`` under the dotted ``key``."""

    kind: str  # "params" or "metrics"
    path: str
    key: str
    header: str

    def value(self, point: PointResult) -> Any:
        tree = point.params if self.kind == "params" else point.metrics
        return flatten(tree.get(self.path, {})).get(self.key)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys; lists and scalars are values."""
    if not isinstance(tree, dict):
        return {prefix: tree} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _names(points: Sequence[PointResult], kind: str) -> dict[str, list[str]]:
    """Each file's dotted keys, in the order they first appear."""
    found: dict[str, dict[str, None]] = {}
    for point in points:
        for path, tree in (point.params if kind == "params" else point.metrics).items():
            found.setdefault(path, {}).update(dict.fromkeys(flatten(tree)))
    return {path: list(keys) for path, keys in found.items()}


def metric_columns(points: Sequence[PointResult]) -> list[Column]:
    names = _names(points, "metrics")
    counts: dict[str, int] = {}
    for keys in names.values():
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return [
        Column("metrics", path, key, key if counts[key] == 1 else f"{path}:{key}")
        for path, keys in names.items()
        for key in keys
    ]


def varying_params(points: Sequence[PointResult]) -> list[Column]:
    columns = []
    for path, keys in _names(points, "params").items():
        for key in keys:
            column = Column(
                "params", path, key, key if path == PARAMS_FILE else f"{path}:{key}"
            )
            values = {json.dumps(column.value(point)) for point in points}
            if len(values) > 1:
                columns.append(column)
    return columns


def sort_column(sort_by: str, points: Sequence[PointResult]) -> Column:
    """The column ``sort_by`` names, resolved as ``dvc exp show`` resolves it."""
    names = {kind: _names(points, kind) for kind in ("metrics", "params")}
    matches = {
        (kind, path, key)
        for kind, files in names.items()
        for path, key in _splits(sort_by)
        if key in files.get(path, [])
    }
    if not matches:
        bare = sort_by[1:] if sort_by.startswith(":") else sort_by
        matches = {
            (kind, path, bare)
            for kind, files in names.items()
            for path, keys in files.items()
            if bare in keys
        }
    if len(matches) == 1:
        kind, path, key = matches.pop()
        return Column(kind, path, key, key)
    return _sort_error(sort_by, matches, names["metrics"])


def _splits(text: str) -> list[tuple[str, str]]:
    """Every way to read ``text`` as ``path:key`` (paths may hold colons)."""
    parts = text.split(":")
    return [(":".join(parts[:n]), ":".join(parts[n:])) for n in range(1, len(parts))]


def _sort_error(
    sort_by: str, matches: set[tuple[str, str, str]], metrics: dict[str, list[str]]
) -> Column:
    if matches:
        found = ", ".join(sorted(f"{path}:{key}" for _, path, key in matches))
        raise DvcHydraError(
            f"ambiguous sort column {sort_by!r}: it names {found}",
            hint="write it as PATH:KEY",
        )
    known = ", ".join(f"{path}:{key}" for path, keys in metrics.items() for key in keys)
    raise DvcHydraError(
        f"unknown sort column {sort_by!r}",
        hint=f"metrics found: {known}" if known else "no point reported a metric",
    )


def ranked(
    points: Sequence[PointResult], column: Column, order: str
) -> list[PointResult]:
    """Successful points with a value, best first; the rest after, in grid order."""
    # Limitation: only numbers rank; a point whose value is text goes last.
    scored = [point for point in points if _score(point, column) is not None]
    scored.sort(key=lambda point: _score(point, column) or 0.0, reverse=order == "desc")
    return scored + [point for point in points if point not in scored]


def _score(point: PointResult, column: Column) -> float | None:
    """The point's number in ``column``, if it succeeded and has one."""
    value = column.value(point)
    if not point.ok or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def best(results: Results, sort_by: str | None, order: str) -> PointResult | None:
    if sort_by is None:
        return None
    column = sort_column(sort_by, results.points)
    top = ranked(results.points, column, order)[:1]
    return top[0] if top and _score(top[0], column) is not None else None


def render(
    results: Results, sort_by: str | None = None, order: str = "asc", title: str = ""
) -> str:
    """The whole summary as Markdown."""
    points = results.points
    column = sort_column(sort_by, points) if sort_by else None
    rows = ranked(points, column, order) if column else list(points)
    top = best(results, sort_by, order)
    parts = [_heading(results, title), _missing(results), _table(rows, top)]
    if column is not None and top is not None:
        parts.append(_best_line(top, column, order))
        parts.append(_chart(rows, column))
    elif column is not None:
        parts.append(f"No best point: {unranked(column)}.")
    if results.failed:
        parts.append(_failures(results.failed))
    return "\n\n".join(part for part in parts if part) + "\n"


def unranked(column: Column) -> str:
    """Why no point is best: no successful point has a number in ``column``."""
    return f"no successful point has a number in `{column.path}:{column.key}`"


def warn_unranked(results: Results, sort_by: str | None) -> None:
    """Say on stderr when ``sort_by`` names a column without numbers."""
    if sort_by is None:
        return
    column = sort_column(sort_by, results.points)
    if not any(_score(point, column) is not None for point in results.points):
        print(f"dvc-hydra: warning: {unranked(column)}", file=sys.stderr)


def _missing(results: Results) -> str:
    if not results.missing:
        return ""
    return (
        f"**Missing:** no results were given for {', '.join(results.missing)}; "
        "those points are not counted here."
    )


def _heading(results: Results, title: str) -> str:
    failed = len(results.failed)
    ok = len(results.points) - failed
    shard = f" (shard {results.shard})" if results.shard else ""
    counts = f"{len(results.points)} experiments, {ok} succeeded, {failed} failed"
    return f"## {title or 'dvc-hydra'}{shard}: {counts}"


def _table(rows: Sequence[PointResult], top: PointResult | None) -> str:
    columns = varying_params(rows) + metric_columns(rows)
    header = ["", "experiment", *(c.header for c in columns), "status", "seconds"]
    lines = [_row(header), _row(["---"] * len(header))]
    for point in rows[:MAX_ROWS]:
        mark = "**best**" if point is top else ""
        values = [_cell(column.value(point)) for column in columns]
        status = point.status
        lines.append(
            _row([mark, point.label, *values, status, f"{point.duration:.1f}"])
        )
    # Limitation: GitHub takes 1 MiB of summary per step; huge grids are cut.
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more points in the results file")
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.splitlines())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _best_line(top: PointResult, column: Column, order: str) -> str:
    direction = "lowest" if order == "asc" else "highest"
    value = _cell(column.value(top))
    return (
        f"Best by `{column.path}:{column.key}` ({direction}): "
        f"**{_escape(top.label)}** with {_escape(value)}"
    )


def _chart(rows: Sequence[PointResult], column: Column) -> str:
    shown = [point for point in rows if _score(point, column) is not None]
    shown = shown[:MAX_BARS]
    labels = ", ".join(_quoted(point.label) for point in shown)
    values = ", ".join(repr(_score(point, column)) for point in shown)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f"    title {_quoted(f'{column.path}:{column.key}')}",
            f"    x-axis [{labels}]",
            f"    y-axis {_quoted(column.key)}",
            f"    bar [{values}]",
            "```",
        ]
    )


def _quoted(text: str) -> str:
    # Mermaid strings have no escapes: swap the characters that would end them.
    return '"' + re.sub(r'["\n\r`]', "'", text) + '"'


def _failures(failed: Sequence[PointResult]) -> str:
    parts = ["### Failed points"]
    for point in failed[:MAX_FAILED_LOGS]:
        overrides = " ".join(
            f"{path}:{value}" if path != PARAMS_FILE else value
            for path, values in point.overrides.items()
            for value in values
        )
        text = f"overrides: {overrides or '(none)'}\n\n{point.log}".rstrip()
        fence = "`" * max(3, _longest_backticks(text) + 1)
        parts.append(
            f"<details><summary>{_escape(point.label)}: {point.status} after "
            f"{point.duration:.1f}s</summary>\n\n"
            f"{fence}text\n{text}\n{fence}\n\n</details>"
        )
    if len(failed) > MAX_FAILED_LOGS:
        parts.append(f"… and {len(failed) - MAX_FAILED_LOGS} more failed points")
    return "\n\n".join(parts)


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def publish(
    results: Results,
    path: Path | None,
    sort_by: str | None,
    order: str,
    *,
    strict: bool = False,
) -> PointResult | None:
    """Write the summary to ``path`` (else append it to the job summary); the best.

    A sort column that names nothing is an error when ``strict``; otherwise a
    warning, and the summary comes out unsorted.
    """
    from dvc_hydra.github import step_summary_path

    try:
        text, top = render(results, sort_by, order), best(results, sort_by, order)
        warn_unranked(results, sort_by)
    except DvcHydraError as error:
        if strict:
            raise
        print(f"dvc-hydra: warning: {error.render()}", file=sys.stderr)
        text, top = render(results), None
    if path is not None:
        from dvc_hydra.paramsfile import write_atomic

        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    elif (job_summary := step_summary_path()) is not None:
        with open(job_summary, "a", encoding="utf-8") as stream:
            stream.write(text)
    return top
