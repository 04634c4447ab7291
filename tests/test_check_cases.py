"""``dvc-hydra check`` on real config trees: what composes must come out clean.

Each variant of each tree in ``data/cases`` that composes (its config name
and overrides are in its ``compose*.result.json``) becomes a project whose
``params.yaml`` is freshly composed; the tree's own ``dvc.yaml`` comes along
where it has one.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import DATA, git
from dvc_hydra.cli import main

CASES = DATA / "cases"
PIPELINES = DATA / "check"
LIGHTNING_ENV = "  hint: params.yaml then differs between machines or runs; write "
LIGHTNING = (
    "conf/logger/comet.yaml:5: warning: option logger=comet composes only with "
    "the environment variable COMET_API_TOKEN set\n"
    "conf/logger/neptune.yaml:5: warning: option logger=neptune composes only "
    "with the environment variable NEPTUNE_API_TOKEN set\n"
    "conf/hparams_search/mnist_optuna.yaml:7: warning: option "
    "hparams_search=mnist_optuna needs the Hydra plugin that provides "
    "'hydra/sweeper/optuna', which is not installed\n"
    "  hint: pip install hydra-optuna-sweeper\n"
    "conf/paths/default.yaml:4: warning: paths.root_dir = '${oc.env:PROJECT_ROOT}' "
    "uses 'oc.env', which reads the environment of the machine\n"
    + LIGHTNING_ENV
    + "the value into the config, or pass it with -S\n"
)


def composing_variants():
    """Per tree and config name, the composing variant with fewest overrides
    (the others differ only in choices that the group check tries anyway)."""
    chosen = {}
    for record in sorted(CASES.glob("*/compose*.result.json")):
        variant = json.loads(record.read_text())
        key = (record.parent.name, variant["config_name"])
        fewer = key not in chosen or len(variant["overrides"]) < len(chosen[key][1])
        if variant["composed"] and fewer:
            chosen[key] = (record, variant["overrides"])
    variants = []
    for (case, config_name), (record, overrides) in sorted(chosen.items()):
        name = record.name.removeprefix("compose").removesuffix(".result.json")
        variants.append(pytest.param(case, config_name, overrides, id=f"{case}{name}"))
    return variants


def make_case_project(tmp_path, case, config_name):
    project = tmp_path / case
    shutil.copytree(CASES / case / "conf", project / "conf")
    if (PIPELINES / case / "dvc.yaml").exists():
        shutil.copy(PIPELINES / case / "dvc.yaml", project / "dvc.yaml")
    (project / ".dvc").mkdir()
    (project / ".dvc/config").write_text(
        f"[hydra]\n    enabled = true\n    config_name = {config_name}\n"
    )
    git(project, "init", "-q", "-b", "main")
    return project


@pytest.mark.parametrize(("case", "config_name", "overrides"), composing_variants())
def test_real_trees_come_out_clean(
    tmp_path, monkeypatch, capsys, case, config_name, overrides
):
    monkeypatch.setenv("PROJECT_ROOT", "/proj")
    for token in ("COMET_API_TOKEN", "NEPTUNE_API_TOKEN"):
        monkeypatch.delenv(token, raising=False)
    project = make_case_project(tmp_path, case, config_name)
    monkeypatch.chdir(project)
    set_params = [part for override in overrides for part in ("-S", override)]
    assert main(["compose", *set_params]) == 1
    git(project, "add", "-A")
    capsys.readouterr()

    code = main(["check", *set_params])

    expected = LIGHTNING if case == "lightning-hydra-template" else ""
    assert capsys.readouterr().out == expected
    assert code == 0


BROKEN = [
    pytest.param(
        "hydra-ex-nested-defaults-list",
        "config",
        [("conf/server/db/sqlite.yaml", "name: sqlite\n  host: [\n")],
        "conf/server/db/sqlite.yaml:2: error: option server/db=sqlite does not "
        "compose: YAML syntax error: mapping values are not allowed here\n",
        id="nested-group-option",
    ),
    pytest.param(
        "hydra-ex-multi-select",
        "config",
        [("conf/server/site/amazon.yaml", "amazon:\n  domain: ${nowhere}\n")],
        "conf/server/site/amazon.yaml:2: error: option server/site=[amazon] does "
        "not compose: server.site.amazon.domain: cannot resolve '${nowhere}': "
        "Interpolation key 'nowhere' not found\n",
        id="multi-select-option-alone",
    ),
    pytest.param(
        "hydra-ex-package-overrides",
        "two_packages",
        [
            (
                "params.yaml",
                "source:\n  driver: mysql\n  user: omry\n  pass: secret\n"
                "destination:\n  driver: postgresql\n  user: postgres_user\n"
                "  pass: drowssap\n  timeout: 10\n",
            )
        ],
        "params.yaml:5: error: destination is what option db@destination=postgresql "
        "composes, but the defaults list selects 'mysql'\n"
        "  hint: select `db@destination=postgresql` (in conf/two_packages.yaml:3), "
        "or discard the edit with `dvc-hydra compose --force`\n",
        id="package-override-subtree-of-another-option",
    ),
]


@pytest.mark.parametrize(("case", "config_name", "edits", "expected"), BROKEN)
def test_real_trees_broken(
    tmp_path, monkeypatch, capsys, case, config_name, edits, expected
):
    project = make_case_project(tmp_path, case, config_name)
    monkeypatch.chdir(project)
    assert main(["compose"]) == 1
    for name, text in edits:
        (project / name).write_text(text)
    git(project, "add", "-A")
    capsys.readouterr()

    code = main(["check"])

    assert capsys.readouterr().out == expected
    assert code == 1


@pytest.mark.parametrize(
    "case", ["hydra-ex-specializing-config", "hydra-ex-multi-select"]
)
def test_tree_without_pipeline_needs_no_params_file(
    tmp_path, monkeypatch, capsys, case
):
    project = make_case_project(tmp_path, case, "config")
    git(project, "add", "-A")
    monkeypatch.chdir(project)

    code = main(["check"])

    assert (code, capsys.readouterr().out) == (0, "")
