"""Time ``dvc-hydra check`` on the seed example against a bare Hydra composition.

Run from anywhere: ``python benchmarks/bench_check.py``. It builds the seed
example as a Git project with Hydra enabled in a temporary folder, then times,
each in a fresh process and taking the median of several runs:

- the baseline: Python composing the default config with Hydra's compose API
  and nothing else;
- ``dvc-hydra compose --check`` (one composition plus the comparison);
- ``dvc-hydra check`` (the default composition, every other option of every
  group, the params, dvc.yaml and file checks).

and prints each time and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dvc_hydra.demo_files import example_dir

BARE_COMPOSE = """\
import sys
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

with initialize_config_dir(sys.argv[1], version_base=None):
    cfg = compose(config_name="config")
OmegaConf.resolve(cfg)
OmegaConf.to_yaml(cfg)
"""


def make_project(path: Path) -> Path:
    shutil.copytree(example_dir(), path)
    (path / ".dvc").mkdir()
    (path / ".dvc" / "config").write_text("[hydra]\n    enabled = true\n")
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "seed example"],
    ):
        subprocess.run(command, cwd=path, check=True, capture_output=True)
    return path


def isolate(home: Path) -> None:
    """Keep the user's DVC and Git settings out of the measurement."""
    os.environ.update(
        DVC_GLOBAL_CONFIG_DIR=str(home / "dvc-global"),
        DVC_SYSTEM_CONFIG_DIR=str(home / "dvc-system"),
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )


def median_time(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs each (default 7)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dvc-hydra-bench-") as temp:
        isolate(Path(temp) / "home")
        project = make_project(Path(temp) / "project")
        python = sys.executable
        commands = {
            "bare Hydra composition": [
                python,
                "-c",
                BARE_COMPOSE,
                str(project / "conf"),
            ],
            "dvc-hydra compose --check": [
                python,
                "-m",
                "dvc_hydra",
                "compose",
                "--check",
            ],
            "dvc-hydra check": [python, "-m", "dvc_hydra", "check"],
        }
        times = {
            name: median_time(command, project, args.runs)
            for name, command in commands.items()
        }

    baseline = times["bare Hydra composition"]
    print(f"seed example, median of {args.runs} runs, each in a fresh process")
    for name, seconds in times.items():
        print(f"  {name:<28} {seconds:6.3f} s  {seconds / baseline:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
