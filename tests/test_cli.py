"""The command line as a whole: projects below a Git root, pipes, versions."""

import json
import subprocess
import sys

import pytest

from conftest import git, make_project
from dvc_hydra import __version__
from dvc_hydra.cli import main


@pytest.fixture
def monorepo(tmp_path):
    top = tmp_path / "mono"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    for name in ("alpha", "beta"):
        make_project(top / name)
    # The second project's own history is not needed: one Git repo holds both.
    for name in ("alpha", "beta"):
        subprocess.run(["rm", "-rf", str(top / name / ".git")], check=True)
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "two projects")
    return top


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"dvc-hydra {__version__}\n"


def test_json_from_several_projects_is_one_list(monorepo, monkeypatch, capfd):
    (monorepo / "beta" / "params.yaml").write_text("dataset: {}\n")
    monkeypatch.chdir(monorepo)

    code = main(["compose", "--check", "--format", "json"])

    documents = json.loads(capfd.readouterr().out)
    assert code == 1
    assert [(d["repo"], d["status"]) for d in documents] == [
        (str(monorepo / "alpha"), "current"),
        (str(monorepo / "beta"), "stale"),
    ]


@pytest.mark.parametrize("command", ["sweep", "run"], ids=["sweep", "run"])
def test_grid_commands_refuse_to_pick_one_of_several_projects(
    monorepo, monkeypatch, capsys, command
):
    monkeypatch.chdir(monorepo)

    code = main([command, "-S", "train/optimizer=adam,sgd"])

    assert code == 2
    assert capsys.readouterr().err == (
        f"dvc-hydra: {command} works on one DVC project, and 2 are below the "
        "Git root: alpha, beta\n"
        f"  hint: pass --repo PATH, or run `dvc-hydra {command}` from inside "
        "the project\n"
    )


def test_a_reader_that_goes_away_is_not_a_crash(seed_project):
    grid = "train.optimizer.lr=range(0,2000)"
    pipeline = subprocess.run(
        f"{sys.executable} -m dvc_hydra sweep -S '{grid}' | head -c 1",
        shell=True,
        cwd=seed_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert pipeline.stdout == "["
    assert "unexpected error" not in pipeline.stderr
    assert "Traceback" not in pipeline.stderr
