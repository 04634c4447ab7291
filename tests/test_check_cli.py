"""``dvc-hydra check`` as a command: formats, exit codes, overrides, hooks."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import REPO_ROOT, git
from dvc_hydra.cli import main
from test_check_dvcyaml import edit

ONE_OF_EACH = [
    ("params.yaml", "lr: 0.001", "lr: 0.01"),
    ("conf/train/optimizer/rmsprop.yml", None, "name: RMSprop\n"),
]
LR_MESSAGE = (
    "train.optimizer.lr is 0.01, but conf/ composes 0.001 (set at "
    "conf/train/optimizer/sgd.yaml:2)"
)
LR_HINT = (
    "set the value at conf/train/optimizer/sgd.yaml:2 (the next `dvc exp run` "
    "rewrites params.yaml from conf/), or discard the edit with "
    "`dvc-hydra compose --force`"
)
YML_MESSAGE = "Hydra reads only .yaml files: rmsprop.yml is never used"


def test_seed_example_is_clean(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)

    code = main(["check", "--strict"])

    assert capsys.readouterr() == ("", "dvc-hydra check: no findings\n")
    assert code == 0


def test_text_format(seed_project, monkeypatch, capsys):
    edit(seed_project, ONE_OF_EACH)
    monkeypatch.chdir(seed_project)

    code = main(["check"])

    assert capsys.readouterr() == (
        f"params.yaml:11: error: {LR_MESSAGE}\n  hint: {LR_HINT}\n"
        f"conf/train/optimizer/rmsprop.yml: warning: {YML_MESSAGE}\n"
        "  hint: rename it to rmsprop.yaml\n",
        "dvc-hydra check: 1 error, 1 warning\n",
    )
    assert code == 1


def test_github_format(seed_project, monkeypatch, capsys):
    edit(seed_project, ONE_OF_EACH)
    monkeypatch.chdir(seed_project)

    code = main(["check", "--format", "github"])

    assert capsys.readouterr().out == (
        "::error file=params.yaml,line=11,title=dvc-hydra hand-edits::"
        f"{LR_MESSAGE}%0Ahint: {LR_HINT}\n"
        "::warning file=conf/train/optimizer/rmsprop.yml,title=dvc-hydra files::"
        f"{YML_MESSAGE}%0Ahint: rename it to rmsprop.yaml\n"
    )
    assert code == 1


def test_github_format_summarises_past_what_github_shows(
    seed_project, monkeypatch, capsys
):
    commands = "".join(f"      - echo ${{missing{n}}}\n" for n in range(12))
    edit(seed_project, [("dvc.yaml", "    cmd:\n", "    cmd:\n" + commands)])
    monkeypatch.chdir(seed_project)

    code = main(["check", "--format", "github"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "::error file=dvc.yaml,line=4,title=dvc-hydra dvc-yaml::stages.setup-dataset"
        ".cmd: cannot resolve ${missing0}: 'missing0' is not in params.yaml",
        "::error file=dvc.yaml,line=5,title=dvc-hydra dvc-yaml::stages.setup-dataset"
        ".cmd: cannot resolve ${missing1}: 'missing1' is not in params.yaml",
    ]
    assert len(lines) == 10
    assert lines[-1] == (
        "::error::3 more errors; run `dvc-hydra check` to see them all"
    )
    assert code == 1


def test_json_format(seed_project, monkeypatch, capsys):
    edit(seed_project, ONE_OF_EACH)
    monkeypatch.chdir(seed_project)

    code = main(["check", "--format", "json"])

    assert json.loads(capsys.readouterr().out) == {
        "repo": str(seed_project),
        "errors": 1,
        "warnings": 1,
        "findings": [
            {
                "check": "hand-edits",
                "level": "error",
                "path": "params.yaml",
                "line": 11,
                "message": LR_MESSAGE,
                "hint": LR_HINT,
            },
            {
                "check": "files",
                "level": "warning",
                "path": "conf/train/optimizer/rmsprop.yml",
                "line": None,
                "message": YML_MESSAGE,
                "hint": "rename it to rmsprop.yaml",
            },
        ],
    }
    assert code == 1


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param([], 0, id="warnings-pass"),
        pytest.param(["--strict"], 1, id="warnings-fail-when-strict"),
    ],
)
def test_warnings_fail_only_when_strict(
    seed_project, monkeypatch, capsys, flags, expected
):
    edit(seed_project, ONE_OF_EACH[1:])
    monkeypatch.chdir(seed_project)

    assert main(["check", *flags]) == expected
    assert capsys.readouterr().err == "dvc-hydra check: 0 errors, 1 warning\n"


def test_failing_default_composition_is_compose_s_error(
    seed_project, monkeypatch, capsys
):
    edit(seed_project, [("conf/config.yaml", "optimizer: sgd", "optimizer: sgdd")])
    monkeypatch.chdir(seed_project)
    compose_code = main(["compose", "--check"])
    compose_output = capsys.readouterr()

    code = main(["check"])

    assert (code, capsys.readouterr()) == (compose_code, compose_output)
    assert code == 2


def test_hydra_disabled_is_nothing_to_check(seed_project, monkeypatch, capsys):
    edit(seed_project, [(".dvc/config", "enabled = true", "enabled = false")])
    monkeypatch.chdir(seed_project)

    code = main(["check"])

    assert capsys.readouterr() == (
        "",
        f"dvc-hydra: {seed_project}: hydra is not enabled "
        "(`dvc config hydra.enabled true`); nothing to check\n",
    )
    assert code == 0


def test_overrides_check_the_composition_they_select(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)
    assert main(["compose", "-S", "train/model=efficientnet"]) == 1
    capsys.readouterr()

    with_override = main(["check", "-S", "train/model=efficientnet"])
    with_override_output = capsys.readouterr().out
    without = main(["check"])

    assert (with_override, with_override_output) == (0, "")
    assert capsys.readouterr().out.splitlines()[0] == (
        "params.yaml:5: error: train.model is what option train/model=efficientnet "
        "composes, but the defaults list selects 'resnet'"
    )
    assert without == 1


def pre_commit(project, hook):
    return subprocess.run(
        ["pre-commit", "try-repo", str(REPO_ROOT), hook, "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_system_hook_blocks_a_hand_edit(seed_project):
    clean = pre_commit(seed_project, "dvc-hydra-check-system")
    edit(seed_project, [("params.yaml", "lr: 0.001", "lr: 0.01")])
    git(seed_project, "commit", "-q", "-m", "edit by hand")

    edited = pre_commit(seed_project, "dvc-hydra-check-system")

    assert clean.returncode == 0, clean.stdout
    assert edited.returncode == 1
    assert f"params.yaml:11: error: {LR_MESSAGE}\n" in edited.stdout


def test_text_format_keeps_each_finding_on_one_line():
    from dvc_hydra.checks.findings import Finding
    from dvc_hydra.checks.reporters import render_text

    finding = Finding(
        "groups", "error", "first\n  second line\n", "conf/a.yaml", 3, "do\nthis"
    )

    assert render_text([finding]) == (
        "conf/a.yaml:3: error: first second line\n  hint: do this\n"
    )
