"""Time and size ``dvc-hydra compose --check`` against a bare Hydra composition.

Run from anywhere: ``python benchmarks/bench_compose.py [--runs N]``. It builds
the seed example as a Git project with Hydra enabled in a temporary folder
and runs, each in a fresh process, alternating so that both see the same
machine state:

- the baseline: Python composing the default config with Hydra's compose API,
  resolving it and writing the YAML to stdout, nothing else;
- ``dvc-hydra compose --check`` on the same project (its params.yaml is
  current, as in a commit that changes nothing under conf/);
- ``dvc-hydra check`` on the same project (the default composition, every
  other option of every group, dvc.yaml, hand edits and files).

It prints the median wall time and the median peak resident memory of each
(the child's own ``ru_maxrss``, read with ``os.wait4``) and the ratios of
``compose --check`` to the baseline. Targets: at most 1.2x the baseline's
wall time and 1.5x its memory; ``check`` well under a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import isolate, make_project

BARE_COMPOSE = """\
import sys
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

with initialize_config_dir(sys.argv[1], version_base=None):
    cfg = compose(config_name="config")
OmegaConf.resolve(cfg)
sys.stdout.write(OmegaConf.to_yaml(cfg))
"""

TARGETS = {"wall time": 1.2, "peak memory": 1.5}


def measure(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak resident KiB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {process.returncode}:\n{error}")
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return elapsed, peak


def run_all(commands: dict[str, list[str]], cwd: Path, runs: int) -> dict[str, list]:
    samples: dict[str, list] = {name: [] for name in commands}
    for command in commands.values():
        measure(command, cwd)  # warm the file cache once, untimed
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(measure(command, cwd))
    return samples


def report(samples: dict[str, list], runs: int) -> int:
    medians = {
        name: (
            statistics.median(t for t, _ in found),
            statistics.median(m for _, m in found),
        )
        for name, found in samples.items()
    }
    base_time, base_mem = medians["bare Hydra compose + dump"]
    our_time, our_mem = medians["dvc-hydra compose --check"]
    print(f"seed example, {runs} runs each, alternating, each in a fresh process")
    for name, (seconds, kib) in medians.items():
        print(f"  {name:<27} {seconds * 1000:7.1f} ms  {kib / 1024:6.1f} MiB")
    ratios = {"wall time": our_time / base_time, "peak memory": our_mem / base_mem}
    missed = 0
    for what, ratio in ratios.items():
        verdict = "met" if ratio <= TARGETS[what] else "MISSED"
        missed += verdict == "MISSED"
        print(
            f"  {what:<12} ratio {ratio:5.2f}x  (target <= {TARGETS[what]}x: {verdict})"
        )
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs each (default 30)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dvc-hydra-bench-") as temp:
        isolate(Path(temp) / "home")
        project = make_project(Path(temp) / "project")
        python = sys.executable
        commands = {
            "bare Hydra compose + dump": [
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
        samples = run_all(commands, project, args.runs)
    report(samples, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
