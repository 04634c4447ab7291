"""``dvc-hydra compose``: what it writes and says, called through ``main``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import hydra
import omegaconf
import pytest

from conftest import git, make_project
from dvc_hydra.cli import main
from test_compose_edits import params

VERSIONS = (
    f"composed with hydra-core {hydra.__version__}, omegaconf {omegaconf.__version__}"
)
SGD = "conf/train/optimizer/sgd.yaml"
ADD = "  review it, then `git add params.yaml` and commit again\n"


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def composed(project: Path, lr: str = "0.001") -> str:
    return params(lr)


def test_current_file_exits_0_silently(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)
    before = (seed_project / "params.yaml").read_bytes()

    assert main(["compose"]) == 0

    assert capsys.readouterr() == ("", "")
    assert (seed_project / "params.yaml").read_bytes() == before


def test_stale_file_is_rewritten_and_exits_1(seed_project, monkeypatch, capsys):
    edit(seed_project, SGD, "lr: 0.001", "lr: 0.01")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr() == (
        "",
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  it was stale because conf/ changed:\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n" + ADD,
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project, "0.01")
    assert main(["compose"]) == 0


def test_formatting_only_difference(seed_project, monkeypatch, capsys):
    (seed_project / "params.yaml").write_text(
        "dataset: {url: 'https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-"
        "160.tgz', output_folder: imagenette}\n"
        "train:\n  model: {name: ResNet, size: 50, weights: "
        "ResNet50_Weights.IMAGENET1K_V2}\n"
        "  optimizer: {name: SGD, lr: 0.001, momentum: 0.9}\n"
    )
    git(seed_project, "commit", "-qam", "params.yaml in flow style")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == (
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  same values, different formatting\n" + ADD
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project)


def test_missing_file_is_created_and_exits_1(seed_project, monkeypatch, capsys):
    (seed_project / "params.yaml").unlink()
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr() == (
        "",
        f"params.yaml: created from conf/ ({VERSIONS})\n" + ADD,
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project)


def test_committed_file_that_is_not_utf8_is_rewritten(
    seed_project, monkeypatch, capsys
):
    (seed_project / "params.yaml").write_bytes(b"train: \xff\xfe\n")
    git(seed_project, "commit", "-qam", "broken params.yaml")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == (
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  the committed file is not valid YAML\n" + ADD
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project)


def test_overrides_are_applied(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)

    assert main(["compose", "-S", "train.optimizer.lr=0.5", "--set-param=+seed=7"]) == 1

    assert (seed_project / "params.yaml").read_text() == (
        composed(seed_project, "0.5") + "seed: 7\n"
    )


def test_check_writes_nothing_and_shows_diff_and_keys(
    seed_project, monkeypatch, capsys
):
    edit(seed_project, SGD, "lr: 0.001", "lr: 0.01")
    monkeypatch.chdir(seed_project)
    before = (seed_project / "params.yaml").read_bytes()

    assert main(["compose", "--check"]) == 1

    assert capsys.readouterr() == (
        "--- a/params.yaml\n"
        "+++ b/params.yaml\n"
        "@@ -8,5 +8,5 @@\n"
        "     weights: ResNet50_Weights.IMAGENET1K_V2\n"
        "   optimizer:\n"
        "     name: SGD\n"
        "-    lr: 0.001\n"
        "+    lr: 0.01\n"
        "     momentum: 0.9\n",
        "params.yaml: is stale; run `dvc-hydra compose` to rewrite it\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n"
        f"  ({VERSIONS})\n",
    )
    assert (seed_project / "params.yaml").read_bytes() == before


def test_check_current_file(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)

    assert main(["compose", "--check"]) == 0

    assert capsys.readouterr() == ("", "")


def test_check_json_is_one_document(seed_project, monkeypatch, capsys):
    edit(seed_project, SGD, "momentum: 0.9", "momentum: 0.95\nnesterov: true")
    monkeypatch.chdir(seed_project)

    assert main(["compose", "--check", "--format", "json"]) == 1

    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "repo": str(seed_project),
        "params": str(seed_project / "params.yaml"),
        "status": "stale",
        "edited": False,
        "written": False,
        "changes": [
            {"key": "train.optimizer.momentum", "committed": 0.9, "composed": 0.95},
            {"key": "train.optimizer.nesterov", "composed": True},
        ],
        "versions": {
            "hydra-core": hydra.__version__,
            "omegaconf": omegaconf.__version__,
        },
    }
    assert (out.count("\n"), err) == (1, "")


def test_started_in_a_subfolder_writes_the_root_file(seed_project, monkeypatch, capsys):
    (seed_project / "src").mkdir()
    edit(seed_project, SGD, "lr: 0.001", "lr: 0.01")
    monkeypatch.chdir(seed_project / "src")

    assert main(["compose"]) == 1

    assert capsys.readouterr().err.startswith(
        f"{seed_project / 'params.yaml'}: rewrote from conf/ ({VERSIONS})\n"
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project, "0.01")
    assert not (seed_project / "src" / "params.yaml").exists()


def test_config_module_is_named_as_the_source(seed_project, monkeypatch, capsys):
    package = seed_project / "pkgs" / "proj_conf"
    package.parent.mkdir()
    (seed_project / "conf").rename(package)
    (package / "__init__.py").write_text("")
    (seed_project / ".dvc" / "config").write_text(
        "[hydra]\n    enabled = true\n    config_module = proj_conf\n"
    )
    (seed_project / "params.yaml").unlink()
    monkeypatch.syspath_prepend(str(seed_project / "pkgs"))
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert capsys.readouterr().err == (
        f"params.yaml: created from module proj_conf ({VERSIONS})\n" + ADD
    )
    assert (seed_project / "params.yaml").read_text() == composed(seed_project)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param("", id="no-hydra-section"),
        pytest.param("[hydra]\n    enabled = false\n", id="disabled"),
    ],
)
def test_hydra_disabled_is_one_line_and_exit_0(
    seed_project, monkeypatch, capsys, config
):
    (seed_project / ".dvc" / "config").write_text(config)
    edit(seed_project, SGD, "lr: 0.001", "lr: 0.01")
    monkeypatch.chdir(seed_project)
    before = (seed_project / "params.yaml").read_bytes()

    assert main(["compose"]) == 0

    assert capsys.readouterr() == (
        "",
        f"dvc-hydra: {seed_project}: hydra is not enabled "
        "(`dvc config hydra.enabled true`); nothing to compose\n",
    )
    assert (seed_project / "params.yaml").read_bytes() == before


@pytest.mark.parametrize("in_git", [False, True], ids=["no-git", "git-without-dvc"])
def test_no_dvc_project_is_one_line_and_exit_0(tmp_path, monkeypatch, capsys, in_git):
    if in_git:
        git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)

    assert main(["compose"]) == 0

    assert capsys.readouterr() == (
        "",
        "dvc-hydra: no DVC project found here or below the Git root; nothing to do\n",
    )
    assert list(tmp_path.iterdir()) == ([tmp_path / ".git"] if in_git else [])


def test_monorepo_projects_are_each_composed(tmp_path, monkeypatch, capfd):
    git(tmp_path, "init", "-q", "-b", "main")
    current = make_project(tmp_path / "current")
    stale = make_project(tmp_path / "stale")
    for project in (current, stale):
        # One Git repository holds both projects.
        shutil.rmtree(project / ".git")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "two projects")
    edit(stale, SGD, "lr: 0.001", "lr: 0.01")
    git(tmp_path, "add", "-A")
    monkeypatch.chdir(tmp_path)

    assert main(["compose"]) == 1

    assert capfd.readouterr() == (
        "",
        f"stale/params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  it was stale because conf/ changed:\n"
        "  train.optimizer.lr: 0.001 -> 0.01\n"
        "  review it, then `git add stale/params.yaml` and commit again\n",
    )
    assert (stale / "params.yaml").read_text() == composed(stale, "0.01")


def test_untracked_file_that_changes_the_result_is_warned_about(
    seed_project, monkeypatch, capsys
):
    (seed_project / "conf" / "train" / "optimizer" / "lamb.yaml").write_text(
        "name: LAMB\nlr: 0.002\n"
    )
    edit(
        seed_project,
        "conf/config.yaml",
        "train/optimizer: sgd",
        "train/optimizer: lamb",
    )
    git(seed_project, "add", "conf/config.yaml")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        "dvc-hydra: warning: untracked files change the composition: "
        "conf/train/optimizer/lamb.yaml\n"
        "  they are not part of the commit; `git add` them or move them away\n"
    )


def test_untracked_file_that_does_not_change_the_result_is_not(
    seed_project, monkeypatch, capsys
):
    (seed_project / "conf" / "train" / "optimizer" / "lamb.yaml").write_text(
        "name: LAMB\nlr: 0.002\n"
    )
    (seed_project / "conf" / "NOTES.md").write_text("lamb is experimental\n")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 0

    assert capsys.readouterr() == ("", "")


def test_untracked_symlink_loop_and_dangling_link_are_harmless(
    seed_project, monkeypatch, capsys
):
    (seed_project / "conf" / "dataset" / "loop").symlink_to("loop")
    (seed_project / "conf" / "dataset" / "gone.yaml").symlink_to("nowhere.yaml")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 0

    assert capsys.readouterr() == ("", "")


IMPORTED = """
import json, sys
from dvc_hydra.cli import main

try:
    raise SystemExit(main(sys.argv[1:]))
finally:
    print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        pytest.param(["compose", "--check"], ["hydra", "omegaconf"], id="compose"),
        pytest.param(["compose", "--help"], [], id="help"),
    ],
)
def test_hook_never_imports_dvc(seed_project, args, heavy):
    """DVC costs half a second to import; Hydra only when something composes."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED, *args],
        cwd=seed_project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    assert [name for name in ("dvc", "hydra", "omegaconf") if name in modules] == heavy


def test_stale_dvc_lock_asks_for_a_rerun(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project", real_dvc=True)
    subprocess.run(["dvc", "repro", "-q"], cwd=project, check=True)
    monkeypatch.chdir(project)

    (project / "params.yaml").write_text(composed(project).replace("  ", "    "))
    git(project, "commit", "-qam", "params.yaml indented by four")
    assert main(["compose"]) == 1
    assert capsys.readouterr().err == (
        f"params.yaml: rewrote from conf/ ({VERSIONS})\n"
        "  same values, different formatting\n" + ADD
    )

    git(project, "commit", "-qam", "params.yaml as DVC writes it")
    edit(project, SGD, "lr: 0.001", "lr: 0.01")
    assert main(["compose"]) == 1
    assert capsys.readouterr().err.endswith(
        ADD + "  dvc.lock records other params for stage(s) train: the pipeline "
        "needs `dvc repro` or `dvc exp run`\n"
    )
