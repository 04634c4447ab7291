"""Time an 8-point grid of the seed example three ways and print the ratios.

Run from anywhere: ``python benchmarks/bench_run.py``. Each way starts from a
fresh copy of the same committed project (so no run cache is shared) and must
end with the eight experiments in ``dvc exp show`` (checked, not timed):

- ``dvc-hydra run -j 2``;
- DVC's queue with 2 workers, waited for: ``dvc exp run --queue`` then
  ``dvc exp run --run-all -j 2``;
- a plain sequential loop of ``dvc exp run -S ...``, one point after another.

Targets: dvc-hydra at most 0.4x the queue and 0.75x the sequential loop.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from support import isolate, make_project, run

SWEEPS = ["train/model=resnet,efficientnet", "train.optimizer.lr=0.1,0.2,0.3,0.4"]
JOBS = "2"


def points() -> list[list[str]]:
    """The grid's points as -S lists, in DVC's order (the last sweep varies fastest)."""
    values = [sweep.split("=", 1) for sweep in SWEEPS]
    grid = itertools.product(*([f"{k}={v}" for v in vs.split(",")] for k, vs in values))
    return [list(point) for point in grid]


def with_dvc_hydra(project: Path) -> None:
    settings = [arg for sweep in SWEEPS for arg in ("-S", sweep)]
    run([sys.executable, "-m", "dvc_hydra", "run", *settings, "-j", JOBS], project)


def with_queue(project: Path) -> None:
    settings = [arg for sweep in SWEEPS for arg in ("-S", sweep)]
    run(["dvc", "exp", "run", "--queue", *settings], project)
    run(["dvc", "exp", "run", "--run-all", "-j", JOBS], project)


def sequentially(project: Path) -> None:
    for point in points():
        run(["dvc", "exp", "run", *(a for o in point for a in ("-S", o))], project)


def experiments(project: Path) -> int:
    shown = subprocess.run(
        ["dvc", "exp", "show", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = 0
    for baseline in json.loads(shown):
        found += sum(len(exp["revs"]) for exp in baseline.get("experiments") or [])
    return found


def measure(base: Path, label: str, way: Callable[[Path], None]) -> float:
    project = base.parent / label
    shutil.copytree(base, project, symlinks=True)
    start = time.perf_counter()
    way(project)
    elapsed = time.perf_counter() - start
    count = experiments(project)
    if count != len(points()):
        sys.exit(f"{label}: {count} experiments in `dvc exp show`, not {len(points())}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        isolate(Path(tmp) / "home")
        base = make_project(Path(tmp) / "base", real_dvc=True)
        ours = measure(base, "dvc-hydra", with_dvc_hydra)
        queue = measure(base, "queue", with_queue)
        loop = measure(base, "sequential", sequentially)
    print(f"8-point grid of the seed example, {JOBS} at a time where parallel:")
    print(f"  dvc-hydra run -j {JOBS}                {ours:6.2f} s")
    print(f"  DVC queue, {JOBS} workers (waited)     {queue:6.2f} s")
    print(f"  sequential dvc exp run -S ...   {loop:6.2f} s")
    print(f"dvc-hydra / queue      = {ours / queue:.2f}x (target <= 0.40x)")
    print(f"dvc-hydra / sequential = {ours / loop:.2f}x (target <= 0.75x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
