"""Run a grid: plan and validate every point, run them as DVC experiments, report.

How the points run was measured on the seed example (8 points, 2 at a
time, two cores, DVC 3.67.1), each way checked with ``dvc exp show --json``:

| strategy                                             | seconds |
| ---------------------------------------------------- | ------- |
| DVC's queue, 2 workers, waited for (``--run-all``)   | 18.3    |
| sequential ``dvc exp run -S ...`` in the workspace   | 11.9    |
| 2 concurrent ``dvc exp run --temp`` processes        |  9.3    |
| DVC's Python API in 2 warm worker processes          |  4.1    |

The queue pays for Celery; every ``dvc`` command pays half a second to
import DVC; concurrent ``--temp`` runs share one stash and each runs
whatever entry is first in it, so they can take each other's points. Warm
workers (``workers`` and ``worker``) import DVC once and each claim exactly
their own point, and are what we use.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

from dvc_hydra import github, plan, summary
from dvc_hydra import results as results_mod
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.plan import Point
from dvc_hydra.results import PointResult, Results
from dvc_hydra.settings import HydraSettings
from dvc_hydra.workers import Pool


@dataclass(frozen=True)
class RunOptions:
    """What ``dvc-hydra run`` was asked to do."""

    set_params: Sequence[str]
    jobs: int = 1
    shard: str | None = None
    name: str | None = None
    json_path: Path | None = None
    summary_path: Path | None = None
    sort_by: str | None = None
    sort_order: str = "asc"
    timeout: float | None = None
    resume: Path | None = None
    bundle: Path | None = None
    pull: bool = False


def run_grid(settings: HydraSettings, options: RunOptions) -> int:
    """Run every point not already done; exit code 1 if any failed."""
    grid = plan.expand(options.set_params, settings, options.name)
    points = shard_of(grid, options.shard)
    baseline = check_repository(settings.root)
    done = _earlier_successes(options.resume, points, baseline)
    todo = [point for point in points if point.index not in done]
    check_names(settings.root, baseline, [p.name for p in todo if p.name])
    collected = dict(done)
    outcome, validated = None, False
    try:
        with (
            tempfile.TemporaryDirectory(prefix="dvc-hydra-run-") as tmp,
            _terminate_as_interrupt(),
            Pool(
                settings.root,
                options.jobs,
                Path(tmp),
                progress(collected, todo),
                options.timeout,
                options.pull,
            ) as pool,
        ):
            # The workers import DVC while the points compose.
            pool.start(len(todo))
            plan.validate(settings, points)
            validated = True
            pool.run(todo)
    finally:
        # After the pool has stopped, so interrupted points are in the results;
        # a grid that does not validate writes nothing.
        if validated:
            identity = results_mod.grid_identity([p.overrides for p in grid])
            outcome = finish(
                settings.root, points, collected, (baseline, identity), options
            )
    assert outcome is not None
    return 1 if outcome.failed else 0


def shard_of(points: list[Point], shard: str | None) -> list[Point]:
    """The points of this run: this shard's, with ``--shard``."""
    if shard is None:
        return points
    return plan.select_shard(points, *plan.parse_shard(shard))


def _earlier_successes(
    resume: Path | None, points: Sequence[Point], baseline: str
) -> dict[int, PointResult]:
    if resume is None:
        return {}
    previous = results_mod.load(resume)
    if previous.baseline not in (None, baseline):
        raise DvcHydraError(
            f"these results are from commit {previous.baseline[:7]}, but HEAD "
            f"is {baseline[:7]}: their experiments belong to another baseline",
            path=resume,
            hint="check out that commit to resume, or run the grid afresh",
        )
    earlier = results_mod.succeeded(previous.points)
    done = {}
    for point in points:
        found = earlier.get(results_mod.overrides_key(point.overrides))
        if found is not None:
            done[point.index] = replace(found, index=point.index)
    print(
        f"dvc-hydra: {len(done)} of {len(points)} points already succeeded "
        f"in {resume}; running the other {len(points) - len(done)}",
        file=sys.stderr,
    )
    return done


def check_repository(root: Path) -> str:
    """Refuse a repository where experiments would vanish; return the baseline."""
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        raise DvcHydraError(
            "this is a shallow clone: DVC experiments need the Git history",
            path=root,
            hint="fetch it (`git fetch --unshallow`); in GitHub Actions set "
            "`fetch-depth: 0` on actions/checkout",
        )
    baseline = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not baseline:
        raise DvcHydraError(
            "the repository has no commit yet: experiments start from one",
            path=root,
            hint="commit your project first",
        )
    return baseline


def check_names(root: Path, baseline: str, names: Sequence[str]) -> None:
    """Refuse names Git cannot store and names an experiment already has."""
    prefix = f"refs/exps/{baseline[:2]}/{baseline[2:]}/"
    if names and _git(root, "check-ref-format", prefix + names[0]) is None:
        raise DvcHydraError(
            f"{names[0]!r} is not a valid experiment name (Git refuses it as a ref)",
            hint="use letters, digits, '-', '_' and '.' in --name",
        )
    existing = set(
        (_git(root, "for-each-ref", "--format=%(refname)", prefix) or "").split()
    )
    taken = [name for name in names if prefix + name in existing]
    if taken:
        raise DvcHydraError(
            f"experiment(s) {', '.join(map(repr, taken[:5]))} already exist "
            f"for commit {baseline[:7]}",
            hint="choose another --name, resume the earlier run with --resume, "
            "or remove them (`dvc exp remove NAME...`)",
        )


def _git(root: Path, *args: str) -> str | None:
    """Git's stripped output, or None when it fails."""
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def progress(
    collected: dict[int, PointResult], todo: Sequence[Point]
) -> Callable[[PointResult], None]:
    """Record each result and say so on stderr: ``3/8 grid-3 2.1s ok``."""
    finished: list[PointResult] = []

    def report(result: PointResult) -> None:
        collected[result.index] = result
        finished.append(result)
        print(
            f"{len(finished)}/{len(todo)} {result.label} "
            f"{result.duration:.1f}s {result.status}",
            file=sys.stderr,
        )

    return report


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) stops the run as cleanly as Ctrl-C does."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def finish(
    root: Path,
    points: Sequence[Point],
    collected: dict[int, PointResult],
    origin: tuple[str, dict[str, Any]],
    options: RunOptions,
) -> Results:
    """Write the results, the bundle, the summary and the Actions outputs.

    ``origin`` is the baseline commit and the whole grid's identity.
    """
    results = Results(
        [collected.get(point.index) or _not_run(point) for point in points],
        origin[0],
        options.shard,
        origin[1],
    )
    if options.json_path is not None:
        results_mod.write(results, options.json_path)
    bundle = None
    if options.bundle is not None:
        bundle = write_bundle(root, results, options.bundle)
    top = summary.publish(
        results, options.summary_path, options.sort_by, options.sort_order
    )
    github.set_outputs(
        results=options.json_path, best=top.label if top else None, bundle=bundle
    )
    _print_outcome(results)
    return results


def _not_run(point: Point) -> PointResult:
    return PointResult(point.index, point.name, point.overrides, "not run")


def write_bundle(root: Path, results: Results, path: Path) -> Path | None:
    """A Git bundle of the successful experiments' refs, for another job to fetch."""
    refs = [point.ref for point in results.points if point.ok and point.ref]
    if not refs:
        print("dvc-hydra: no experiment succeeded; no bundle written", file=sys.stderr)
        return None
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["git", "bundle", "create", "--quiet", str(path), *refs],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DvcHydraError(f"git bundle failed: {done.stderr.strip()}", path=path)
    return path


def _print_outcome(results: Results) -> None:
    """One closing line: how many succeeded, and which did not, by status."""
    total = len(results.points)
    line = f"dvc-hydra: {total - len(results.failed)} of {total} points succeeded"
    by_status: dict[str, list[str]] = {}
    for point in results.failed:
        by_status.setdefault(point.status, []).append(point.label)
    for status, labels in by_status.items():
        more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
        line += f"; {status}: {', '.join(labels[:5])}{more}"
    print(line, file=sys.stderr)
