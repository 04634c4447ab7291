"""What every benchmark needs: an isolated environment and the seed example
as a committed Git project with Hydra enabled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dvc_hydra.demo_files import example_dir


def isolate(home: Path) -> None:
    """Keep the user's DVC and Git settings out of the measurement."""
    os.environ.update(
        DVC_GLOBAL_CONFIG_DIR=str(home / "dvc-global"),
        DVC_SYSTEM_CONFIG_DIR=str(home / "dvc-system"),
        DVC_NO_ANALYTICS="1",
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )


def run(command: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds and stdout of ``command``; the benchmark stops if it fails."""
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout


def make_project(path: Path, *, real_dvc: bool = False) -> Path:
    """The seed example, committed. Without ``real_dvc`` the ``.dvc`` folder is
    written by hand: composing needs no more, and DVC takes a second to start."""
    shutil.copytree(example_dir(), path)
    run(["git", "init", "-q", "-b", "main"], path)
    if real_dvc:
        run(["dvc", "init", "-q"], path)
        run(["dvc", "config", "hydra.enabled", "true"], path)
    else:
        (path / ".dvc").mkdir()
        (path / ".dvc" / "config").write_text("[hydra]\n    enabled = true\n")
        (path / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "seed example"], path)
    return path
