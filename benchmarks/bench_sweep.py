"""Validate a 1,000-point grid on the seed example and compare with DVC queueing it.

Run from anywhere: ``python benchmarks/bench_sweep.py``. It builds the seed
example as a real Git + DVC project in a temporary folder, times
``dvc-hydra sweep`` (a fresh process: expansion plus composing every point),
then times ``dvc exp run --queue`` on the same grid and ``dvc queue remove
--all``, and prints the ratio and whether both produced the same points.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from support import isolate, make_project, run


def queued_points(output: str) -> list[Any]:
    """The override dicts ``dvc exp run --queue`` printed, in order."""
    return [
        ast.literal_eval(found)
        for found in re.findall(r"^Queueing with overrides '(.*)'\.$", output, re.M)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lr-values", type=int, default=500, help="learning rates (default 500)"
    )
    args = parser.parse_args()
    values = [
        f"train.optimizer.lr=range(0,{args.lr_values})",
        "train/model=resnet,efficientnet",
    ]
    set_args = [arg for value in values for arg in ("-S", value)]

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as temp:
        isolate(Path(temp) / "home")
        project = make_project(Path(temp) / "project", real_dvc=True)
        ours_time, ours_out = run(
            [sys.executable, "-m", "dvc_hydra", "sweep", "--repo", ".", *set_args],
            project,
        )
        dvc_time, dvc_out = run(["dvc", "exp", "run", "--queue", *set_args], project)
        remove_time, _ = run(["dvc", "queue", "remove", "--all"], project)

    ours = json.loads(ours_out)
    theirs = queued_points(dvc_out)
    print(f"grid: {' x '.join(values)} = {len(ours)} points, seed example")
    print(f"dvc-hydra sweep (expand + compose every point): {ours_time:.2f} s")
    print(f"dvc exp run --queue: {dvc_time:.2f} s")
    print(f"dvc queue remove --all: {remove_time:.2f} s")
    print(f"ratio vs dvc exp run --queue: {ours_time / dvc_time:.3f}x")
    print(f"ratio vs queue + remove: {ours_time / (dvc_time + remove_time):.3f}x")
    same = ours == theirs
    print(f"identical points: {'yes' if same else 'NO'} ({len(theirs)} queued by DVC)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
