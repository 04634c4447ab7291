"""The README's first command: the demo walks the whole story on real tools."""

import subprocess
import sys

from conftest import git
from dvc_hydra.cli import main


def test_demo_walks_the_story_and_leaves_a_clean_project(tmp_path):
    project = tmp_path / "demo"

    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "demo", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "train.optimizer.lr: 0.001 -> 0.01" in out
    assert (
        '  train.model.name: "ResNeXt" -> "ResNet" '
        "(from conf/train/model/resnet.yaml:1)\n"
    ) in out
    assert "  its edits since the last commit are discarded (--force):\n" in out
    assert "dvc.yaml:5: error: stages.setup-dataset.cmd: cannot resolve" in out
    assert out.count(" ok\n") == 8
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s").splitlines() == [
        "Raise the SGD learning rate",
        "Example project with Hydra composition",
    ]
    experiments = subprocess.run(
        ["dvc", "exp", "list", "--name-only"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(experiments) == 8


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")

    assert main(["demo", str(tmp_path)]) == 2

    assert capsys.readouterr().err == (
        f"dvc-hydra: {tmp_path}: the demo needs an empty or new directory\n"
        "  hint: pass another DIR, or none for a temporary one\n"
    )
    assert (tmp_path / "keep.txt").read_text() == "mine"
