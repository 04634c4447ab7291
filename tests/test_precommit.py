"""The hooks under real ``pre-commit``, installed from this working tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, git, make_project

SGD = "conf/train/optimizer/sgd.yaml"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One store for the session, so an environment is built at most once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A Git repository holding this working tree, uncommitted changes included.

    pre-commit installs a hook repository from a commit, so the working tree
    is committed to a copy.
    """
    copy = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    git(copy, *identity, "commit", "-q", "-m", "working tree")
    return copy, git(copy, "rev-parse", "HEAD").strip()


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["pre-commit", *args],
        cwd=cwd,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        capture_output=True,
        text=True,
        check=False,
    )


def stale_project(path: Path) -> Path:
    project = make_project(path)
    sgd = project / SGD
    sgd.write_text(sgd.read_text().replace("lr: 0.001", "lr: 0.01"))
    git(project, "add", SGD)
    return project


def composed_params(project: Path) -> str:
    return (project / "params.yaml").read_text().replace("lr: 0.001", "lr: 0.01")


def test_manifest_validates(pre_commit_home):
    result = pre_commit(
        REPO_ROOT, pre_commit_home, "validate-manifest", ".pre-commit-hooks.yaml"
    )

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("hook_id", ["dvc-hydra-compose", "dvc-hydra-compose-system"])
def test_try_repo_fails_a_stale_commit_then_passes(
    tmp_path, hook_repo, pre_commit_home, hook_id
):
    repo, _ = hook_repo
    project = stale_project(tmp_path / "project")
    expected = composed_params(project)

    stale = pre_commit(project, pre_commit_home, "try-repo", str(repo), hook_id)

    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "- files were modified by this hook" in stale.stdout
    assert "params.yaml: rewrote from conf/ (composed with hydra-core" in stale.stdout
    assert (
        "  it was stale because conf/ changed:\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n"
        "  review it, then `git add params.yaml` and commit again\n"
    ) in stale.stdout
    assert (project / "params.yaml").read_text() == expected

    git(project, "add", "params.yaml")
    fixed = pre_commit(project, pre_commit_home, "try-repo", str(repo), hook_id)

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def install_hook(project: Path, hook_repo: tuple[Path, str], home: Path) -> None:
    """Stage a config naming the hook at ``hook_repo`` and install pre-commit."""
    repo, rev = hook_repo
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n"
        "    hooks:\n      - id: dvc-hydra-compose\n"
    )
    git(project, "add", ".pre-commit-config.yaml")
    installed = pre_commit(project, home, "install")
    assert installed.returncode == 0, installed.stderr


def test_installed_hook_refuses_then_accepts_the_commit(
    tmp_path, hook_repo, pre_commit_home
):
    project = stale_project(tmp_path / "project")
    install_hook(project, hook_repo, pre_commit_home)
    expected = composed_params(project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    commit = ["git", "commit", "-q", "-m", "Raise the SGD learning rate"]

    refused = subprocess.run(
        commit, cwd=project, env=env, capture_output=True, text=True
    )

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (project / "params.yaml").read_text() == expected
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"

    git(project, "add", "params.yaml")
    accepted = subprocess.run(
        commit, cwd=project, env=env, capture_output=True, text=True
    )

    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(project, "rev-list", "--count", "HEAD").strip() == "2"
    assert git(project, "status", "--porcelain") == ""


def test_hand_edit_is_refused_untouched_and_committed_with_skip(
    tmp_path, hook_repo, pre_commit_home
):
    project = make_project(tmp_path / "project")
    install_hook(project, hook_repo, pre_commit_home)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("lr: 0.001", "lr: 0.02"))
    edited = params.read_bytes()
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    commit = ["git", "commit", "-q", "-am", "Try a higher learning rate"]

    refused = subprocess.run(
        commit, cwd=project, env=env, capture_output=True, text=True
    )

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (
        "params.yaml: edited since the last commit, so not rewritten from conf/ "
        "(composed with hydra-core"
    ) in refused.stderr
    assert (
        "  train.optimizer.lr: 0.02 -> 0.001 (from conf/train/optimizer/sgd.yaml:2)\n"
    ) in refused.stderr
    assert "- files were modified by this hook" not in refused.stderr
    assert params.read_bytes() == edited
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"

    skipped = subprocess.run(
        commit,
        cwd=project,
        env={**env, "SKIP": "dvc-hydra-compose"},
        capture_output=True,
        text=True,
    )

    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert git(project, "rev-list", "--count", "HEAD").strip() == "2"
    assert git(project, "show", "HEAD:params.yaml").encode() == edited
    assert git(project, "status", "--porcelain") == ""
