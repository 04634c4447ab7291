"""The results file of a run: one record per grid point, read back by resume and report.

Shape (``version`` 1)::

    {"version": 1, "baseline": "<commit>", "shard": "K/N" or null,
     "points": [{"index": 0, "name": "grid-1", "ref": "refs/exps/...",
                 "rev": "<commit>", "overrides": {"params.yaml": ["a=1"]},
                 "params": {"params.yaml": {...}}, "metrics": {"metrics.json": {...}},
                 "status": "ok", "duration": 1.234, "log": "last lines"}]}

``status`` is ``ok``, ``failed``, ``timeout``, ``interrupted`` (stopped while
running) or ``not run`` (never started); only ``ok`` counts as done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError

VERSION = 1
LOG_LINES = 40
LOG_CHARS = 6000
OK = "ok"


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
            hint="results files are written by `dvc-hydra run --json PATH`",
        )
    try:
        points = [PointResult(**point) for point in document["points"]]
    except (KeyError, TypeError) as exc:
        raise DvcHydraError(f"malformed results file: {exc}", path=path) from None
    return Results(points, document.get("baseline"), document.get("shard"))


def merge(parts: Sequence[Results]) -> Results:
    """One result per point, in grid order; a later success replaces a failure."""
    by_index: dict[int, PointResult] = {}
    for part in parts:
        for point in part.points:
            known = by_index.get(point.index)
            if known is None or point.ok or not known.ok:
                by_index[point.index] = point
    baselines = {part.baseline for part in parts}
    baseline = baselines.pop() if len(baselines) == 1 else None
    return Results([by_index[index] for index in sorted(by_index)], baseline)


def succeeded(previous: Iterable[PointResult]) -> dict[str, PointResult]:
    """Earlier successes, keyed by their overrides, for ``--resume``."""
    return {overrides_key(point.overrides): point for point in previous if point.ok}


def overrides_key(overrides: dict[str, list[str]]) -> str:
    return json.dumps(overrides, sort_keys=True)
