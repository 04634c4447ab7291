"""Shared fixtures: real Git + DVC projects built from the bundled seed example."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dvc_hydra.demo_files import example_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def isolation_env(home: Path) -> dict[str, str]:
    """Variables that keep the user's DVC and Git settings out of a test."""
    return {
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "DVC_NO_ANALYTICS": "1",
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Apply :func:`isolation_env` and drop GitHub's files from the environment."""
    for name, value in isolation_env(home).items():
        monkeypatch.setenv(name, value)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    """Keep the user's DVC and Git settings out of every test."""
    isolate(monkeypatch, tmp_path_factory.mktemp("home"))


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def make_project(
    path: Path, source: Path | None = None, *, real_dvc: bool = False
) -> Path:
    """A committed Git + DVC project with Hydra enabled, holding ``source``.

    Without ``real_dvc`` the ``.dvc`` folder is written by hand, which is all
    composition needs and saves the half second that starting DVC costs.
    """
    shutil.copytree(source or example_dir(), path)
    for folder, _, files in os.walk(path):
        for name in files:
            os.chmod(Path(folder) / name, 0o644)
    git(path, "init", "-q", "-b", "main")
    if real_dvc:
        subprocess.run(["dvc", "init", "-q"], cwd=path, check=True)
        subprocess.run(["dvc", "config", "hydra.enabled", "true"], cwd=path, check=True)
    else:
        (path / ".dvc").mkdir()
        (path / ".dvc" / "config").write_text("[hydra]\n    enabled = true\n")
        (path / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def seed_dvc_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", real_dvc=True)
