"""``dvc-hydra compose`` never overwrites edits the user made to params.yaml.

A params.yaml equal to its committed version (or one Git does not track) was
generated: when stale it is rewritten. One that differs from its committed
version, staged or not, is left as it is unless ``--force`` is given.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import hydra
import omegaconf
import pytest

from conftest import git
from dvc_hydra.cli import main

VERSIONS = (
    f"composed with hydra-core {hydra.__version__}, omegaconf {omegaconf.__version__}"
)
SGD = "conf/train/optimizer/sgd.yaml"
ADD = "  review it, then `git add params.yaml` and commit again\n"
DISCARD = "  - to discard the edits, run `dvc-hydra compose --force`\n"
SKIP = (
    "  - to commit them as they are, skip this hook: SKIP=dvc-hydra-compose git "
    "commit (SKIP=dvc-hydra-compose-system for the system hook)\n"
)
LEFT = (
    "params.yaml: edited since the last commit, so not rewritten from conf/ "
    f"({VERSIONS})\n"
)


def params(lr: str = "0.001", momentum: bool = True, extra: str = "") -> str:
    text = textwrap.dedent(
        f"""\
        dataset:
          url: https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz
          output_folder: imagenette
        train:
          model:
            name: ResNet
            size: 50
            weights: ResNet50_Weights.IMAGENET1K_V2
          optimizer:
            name: SGD
            lr: {lr}
            momentum: 0.9
        """
    )
    return (text if momentum else text.replace("    momentum: 0.9\n", "")) + extra


HAND_EDIT = params("0.02", momentum=False, extra="seed: 7\n")


def raise_lr_in_conf(project: Path) -> None:
    sgd = project / SGD
    sgd.write_text(sgd.read_text().replace("lr: 0.001", "lr: 0.01"))


def unstaged(project: Path) -> None:
    (project / "params.yaml").write_text(HAND_EDIT)


def staged(project: Path) -> None:
    unstaged(project)
    git(project, "add", "params.yaml")


def staged_then_edited_again(project: Path) -> None:
    (project / "params.yaml").write_text(params("0.02"))
    git(project, "add", "params.yaml")
    unstaged(project)


def added_never_committed(project: Path) -> None:
    shutil.rmtree(project / ".git")
    git(project, "init", "-q", "-b", "main")
    unstaged(project)
    git(project, "add", "-A")


@pytest.mark.parametrize(
    "make_edit",
    [
        pytest.param(unstaged, id="unstaged"),
        pytest.param(staged, id="staged"),
        pytest.param(staged_then_edited_again, id="staged-then-edited-again"),
        pytest.param(added_never_committed, id="added-never-committed"),
    ],
)
def test_edited_file_is_left_as_it_is(seed_project, monkeypatch, capsys, make_edit):
    make_edit(seed_project)
    index = git(seed_project, "ls-files", "-s", "params.yaml")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr() == (
        "",
        LEFT + "  train.optimizer.lr: 0.02 -> 0.001 "
        "(from conf/train/optimizer/sgd.yaml:2)\n"
        "  train.optimizer.momentum: (absent) -> 0.9 "
        "(from conf/train/optimizer/sgd.yaml:3)\n"
        "  seed: 7 -> (absent)\n"
        "  these values belong in conf/: the next `dvc exp run` recomposes "
        "params.yaml and drops them\n"
        "  - to keep them, set them in conf/ where named above, then commit again\n"
        + DISCARD
        + SKIP,
    )
    assert (seed_project / "params.yaml").read_bytes() == HAND_EDIT.encode()
    assert git(seed_project, "ls-files", "-s", "params.yaml") == index


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        pytest.param(
            params().replace("lr: 0.001", "lr: 1.0e-3").encode(),
            "  same values, different formatting\n",
            id="formatting",
        ),
        pytest.param(
            b"train: \xff\xfe\n", "  the edited file is not valid YAML\n", id="not-utf8"
        ),
    ],
)
def test_edited_file_without_other_values_is_left_as_it_is(
    seed_project, monkeypatch, capsys, content, detail
):
    (seed_project / "params.yaml").write_bytes(content)
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == LEFT + detail + DISCARD + SKIP
    assert (seed_project / "params.yaml").read_bytes() == content


def test_override_is_named_and_kept_in_the_force_command(
    seed_project, monkeypatch, capsys
):
    (seed_project / "params.yaml").write_text(params("0.02"))
    monkeypatch.chdir(seed_project)

    assert main(["compose", "-S", "train.optimizer.lr=0.5"]) == 1

    assert capsys.readouterr().err == (
        LEFT + "  train.optimizer.lr: 0.02 -> 0.5 "
        "(from the override 'train.optimizer.lr=0.5')\n"
        "  these values belong in conf/: the next `dvc exp run` recomposes "
        "params.yaml and drops them\n"
        "  - to keep them, set them in conf/ where named above, then commit again\n"
        "  - to discard the edits, run "
        "`dvc-hydra compose --force --set-param=train.optimizer.lr=0.5`\n" + SKIP
    )
    assert (seed_project / "params.yaml").read_text() == params("0.02")


def test_force_discards_the_edits(seed_project, monkeypatch, capsys):
    staged(seed_project)
    monkeypatch.chdir(seed_project)

    assert main(["compose", "--force"]) == 1

    assert capsys.readouterr() == (
        "",
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  its edits since the last commit are discarded (--force):\n"
        "  train.optimizer.lr: 0.02 -> 0.001\n"
        "  train.optimizer.momentum: (absent) -> 0.9\n"
        "  seed: 7 -> (absent)\n" + ADD,
    )
    assert (seed_project / "params.yaml").read_text() == params()
    assert main(["compose"]) == 0


def test_staged_edit_undone_in_the_working_file_stays_in_the_index(
    seed_project, monkeypatch, capsys
):
    """Rewriting the working file loses nothing: the index keeps the edit."""
    staged(seed_project)
    (seed_project / "params.yaml").write_text(params())
    raise_lr_in_conf(seed_project)
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == (
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  it was stale because conf/ changed:\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n" + ADD
    )
    assert (seed_project / "params.yaml").read_text() == params("0.01")
    assert git(seed_project, "show", ":params.yaml") == HAND_EDIT


def no_git(project: Path) -> None:
    shutil.rmtree(project / ".git")


def untracked(project: Path) -> None:
    (project / ".gitignore").write_text("/params.yaml\n")
    git(project, "rm", "-q", "--cached", "params.yaml")
    git(project, "add", ".gitignore")
    git(project, "commit", "-qm", "params.yaml is generated")


def symlink_to_committed_file(project: Path) -> None:
    (project / "generated").mkdir()
    (project / "params.yaml").rename(project / "generated" / "params.yaml")
    (project / "params.yaml").symlink_to("generated/params.yaml")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "params.yaml is a link")


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(no_git, id="no-git"),
        pytest.param(untracked, id="untracked"),
        pytest.param(symlink_to_committed_file, id="symlink-to-committed-file"),
    ],
)
def test_generated_file_is_rewritten(seed_project, monkeypatch, capsys, setup):
    setup(seed_project)
    raise_lr_in_conf(seed_project)
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == (
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  it was stale because conf/ changed:\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n" + ADD
    )
    assert (seed_project / "params.yaml").read_text() == params("0.01")


@pytest.mark.parametrize(
    ("args", "written", "after"),
    [
        pytest.param([], False, HAND_EDIT, id="left"),
        pytest.param(["--force"], True, params(), id="force"),
    ],
)
def test_json_says_whether_the_file_was_edited_and_written(
    seed_project, monkeypatch, capsys, args, written, after
):
    unstaged(seed_project)
    monkeypatch.chdir(seed_project)

    assert main(["compose", "--format", "json", *args]) == 1

    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["status"], report["edited"], report["written"], err) == (
        "stale",
        True,
        written,
        "",
    )
    assert (seed_project / "params.yaml").read_text() == after


def test_check_and_force_exclude_each_other(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)

    with pytest.raises(SystemExit) as exited:
        main(["compose", "--check", "--force"])

    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        "dvc-hydra compose: error: argument --force: not allowed with argument "
        "--check\n"
    )


def test_check_on_an_edited_file_points_at_force(seed_project, monkeypatch, capsys):
    (seed_project / "params.yaml").write_text(params("0.02"))
    monkeypatch.chdir(seed_project)

    code = main(["compose", "--check"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.startswith("--- a/params.yaml\n+++ b/params.yaml\n")
    assert captured.err == (
        "params.yaml: edited since the last commit; its values belong in conf/, "
        "and `dvc-hydra compose --force` discards the edits\n"
        "  train.optimizer.lr: 0.02 -> 0.001\n"
        f"  ({VERSIONS})\n"
    )
    assert (seed_project / "params.yaml").read_text() == params("0.02")
