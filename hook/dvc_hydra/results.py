"""The results file of a run: one record per grid point, read back by resume and report.

Shape (``version`` 1)::

    {"version": 1, "baseline": "<commit>", "shard": "K/N" or null,
     "grid": {"size": N, "digest": "<sha256 of every point's overrides>"},
     "points": [{"index": 0, "name": "grid-1", "ref": "refs/exps/...",
                 "rev": "<commit>", "overrides": {"params.yaml": ["a=1"]},
                 "params": {"params.yaml": {...}}, "metrics": {"metrics.json": {...}},
                 "status": "ok", "duration": 1.234, "log": "last lines"}]}

``status`` is ``ok``, ``failed``, ``timeout``, ``interrupted`` (stopped while
running) or ``not run`` (never started); only ``ok`` counts as done.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from dvc_hydra.errors import DvcHydraError

VERSION = 1
LOG_LINES = 40
LOG_CHARS = 6000
OK = "ok"
STATUSES = (OK, "failed", "timeout", "interrupted", "not run")


@dataclass
class PointResult:
    """What became of one grid point."""

    index: int
    name: str | None
    overrides: dict[str, list[str]]
    status: str
    ref: str | None = None
    rev: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def label(self) -> str:
        """The name people see: the experiment's name, else its position."""
        return self.name or f"#{self.index + 1}"


@dataclass
class Results:
    """Every point of one run (or of several shards, merged)."""

    points: list[PointResult]
    baseline: str | None = None
    shard: str | None = None
    grid: dict[str, Any] | None = None  # the whole grid's size and digest
    missing: list[str] = field(default_factory=list)  # shards or points not given

    @property
    def failed(self) -> list[PointResult]:
        return [point for point in self.points if not point.ok]


def log_tail(path: Path) -> str:
    """The last lines of a log, short enough for a summary."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.rstrip().splitlines()[-LOG_LINES:])
    return tail[-LOG_CHARS:]


def dump(results: Results) -> str:
    document = {
        "version": VERSION,
        "baseline": results.baseline,
        "shard": results.shard,
        "grid": results.grid,
        "points": [asdict(point) for point in results.points],
    }
    return json.dumps(document, indent=2) + "\n"


def write(results: Results, path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    from dvc_hydra.paramsfile import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dump(results).encode("utf-8"))


def load(path: Path) -> Results:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DvcHydraError("results file does not exist", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DvcHydraError(f"cannot read results file: {exc}", path=path) from None
    except json.JSONDecodeError as exc:
        raise DvcHydraError(
            f"results file is not JSON: {exc.msg}", path=path, line=exc.lineno
        ) from None
    return _from_document(document, path)


def _from_document(document: Any, path: Path) -> Results:
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise DvcHydraError(
            f"not a dvc-hydra results file (version {VERSION} expected)",
            path=path,
            hint=WRITTEN_BY,
        )
    if not _optional_text(document.get("baseline")):
        _malformed(path, "'baseline' must be a commit or null")
    shard = document.get("shard")
    if shard is not None and not re.fullmatch(r"[1-9][0-9]*/[1-9][0-9]*", str(shard)):
        _malformed(path, "'shard' must be 'K/N' or null")
    if not isinstance(document.get("points"), list):
        _malformed(path, "'points' must be a list of points")
    grid = document.get("grid")
    if grid is not None and not _is_grid(grid):
        _malformed(path, '\'grid\' must be {"size": N, "digest": "..."}')
    points = [_point(item, n, path) for n, item in enumerate(document["points"], 1)]
    _check_unique(points, path)
    return Results(points, document.get("baseline"), document.get("shard"), grid)


def _point(item: Any, number: int, path: Path) -> PointResult:
    if not isinstance(item, dict):
        _malformed(path, f"point {number} must be an object")
    for key in item.keys() - FIELDS.keys():
        _malformed(path, f"point {number}: unknown key {key!r}")
    for key in REQUIRED:
        if key not in item:
            _malformed(path, f"point {number}: {key!r} is missing")
    for key, value in item.items():
        check, expected = FIELDS[key]
        if not check(value):
            _malformed(path, f"point {number}: {key!r} must be {expected}")
    return PointResult(**item)


def _check_unique(points: Sequence[PointResult], path: Path) -> None:
    seen: set[int] = set()
    for number, point in enumerate(points, 1):
        if point.index in seen:
            _malformed(path, f"point {number}: index {point.index} appears twice")
        seen.add(point.index)


def _malformed(path: Path, message: str) -> NoReturn:
    raise DvcHydraError(message, path=path, hint=WRITTEN_BY)


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_overrides(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(values, list) and all(isinstance(v, str) for v in values)
        for values in value.values()
    )


def _is_seconds(value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and math.isfinite(value) and value >= 0


def _is_grid(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"size", "digest"}
        and type(value["size"]) is int
        and isinstance(value["digest"], str)
    )


WRITTEN_BY = "results files are written by `dvc-hydra run --json PATH`; was it edited?"
# Each point's keys: a check of the value and what the message says it must be.
FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "index": (lambda v: type(v) is int and v >= 0, "a whole number from 0 up"),
    "name": (_optional_text, "text or null"),
    "overrides": (
        _is_overrides,
        "an object mapping params files to lists of overrides",
    ),
    "status": (lambda v: v in STATUSES, f"one of {', '.join(map(repr, STATUSES))}"),
    "ref": (_optional_text, "text or null"),
    "rev": (_optional_text, "text or null"),
    "params": (lambda v: isinstance(v, dict), "an object mapping files to values"),
    "metrics": (lambda v: isinstance(v, dict), "an object mapping files to values"),
    "duration": (_is_seconds, "a number of seconds"),
    "log": (lambda v: isinstance(v, str), "text"),
}
REQUIRED = ("index", "name", "overrides", "status")


def merge(parts: Sequence[tuple[Path, Results]]) -> Results:
    """One result per point, in grid order; a later success replaces a failure.

    Files of different grids (or baselines) are refused; points or shards
    that no file holds are listed in ``missing``.
    """
    by_index: dict[int, tuple[Path, PointResult]] = {}
    first_path, first = parts[0]
    for path, part in parts:
        _same_grid(first_path, first, path, part)
        for point in part.points:
            known = by_index.get(point.index)
            if known is not None:
                _same_point(known[0], known[1], path, point)
            if known is None or point.ok or not known[1].ok:
                by_index[point.index] = path, point
    points = [by_index[index][1] for index in sorted(by_index)]
    grids = [part.grid for _, part in parts if part.grid is not None]
    merged = Results(points, first.baseline, grid=grids[0] if grids else None)
    merged.missing = _missing(parts, merged)
    return merged


def _same_grid(path_a: Path, a: Results, path_b: Path, b: Results) -> None:
    if a.baseline != b.baseline:
        _different(path_a, path_b, f"baselines {a.baseline!r} and {b.baseline!r}")
    if a.grid is not None and b.grid is not None and a.grid != b.grid:
        size_a, size_b = a.grid["size"], b.grid["size"]
        what = f"{size_a} and {size_b} points" if size_a != size_b else "overrides"
        _different(path_a, path_b, f"grids ({what} differ)")


def _same_point(path_a: Path, a: PointResult, path_b: Path, b: PointResult) -> None:
    if a.overrides != b.overrides:
        _different(
            path_a,
            path_b,
            f"overrides for point {a.index + 1}: {overrides_key(a.overrides)} "
            f"and {overrides_key(b.overrides)}",
        )


def _different(path_a: Path, path_b: Path, what: str) -> NoReturn:
    raise DvcHydraError(
        f"not results of the same run as {path_a}: different {what}",
        path=path_b,
        hint="report the shards of one `dvc-hydra run` grid at a time",
    )


def _missing(parts: Sequence[tuple[Path, Results]], merged: Results) -> list[str]:
    """What no file holds: shards of ``K/N``, else points of the recorded grid."""
    shards = [part.shard for _, part in parts]
    sizes = {shard.split("/")[1] for shard in shards if shard}
    if None not in shards and len(sizes) == 1:
        of = int(sizes.pop())
        given = {int(shard.split("/")[0]) for shard in shards if shard}
        absent = [f"shard {k}/{of}" for k in range(1, of + 1) if k not in given]
        if absent:
            return absent
    if merged.grid is None:
        return []
    have = {point.index for point in merged.points}
    return [f"point #{i + 1}" for i in range(merged.grid["size"]) if i not in have]


def grid_identity(overrides: Sequence[dict[str, list[str]]]) -> dict[str, Any]:
    """The whole grid, for ``report`` to tell shards of one grid from another's."""
    text = json.dumps(list(overrides), sort_keys=True).encode("utf-8")
    return {"size": len(overrides), "digest": hashlib.sha256(text).hexdigest()}


def succeeded(previous: Iterable[PointResult]) -> dict[str, PointResult]:
    """Earlier successes, keyed by their overrides, for ``--resume``."""
    return {overrides_key(point.overrides): point for point in previous if point.ok}


def overrides_key(overrides: dict[str, list[str]]) -> str:
    return json.dumps(overrides, sort_keys=True)
