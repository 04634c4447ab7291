"""``dvc-hydra check`` on dvc.yaml: params entries, ${...} references, vars.

Each case edits the seed example and compares the whole output; the cases
that DVC itself fails on are also run through real DVC in the same test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import git, isolation_env, make_project
from dvc_hydra.cli import main

FOREACH = """\
stages:
  models:
    foreach: [alexnet, resnet]
    do:
      cmd: echo ${item} ${key} ${train.model.name}
  optimizers:
    foreach: ${train.optimizer}
    do:
      cmd: echo ${key}=${item} ${train.optimiser}
"""
MATRIX = """\
stages:
  grid:
    matrix:
      model: [alexnet, resnet]
      lr: [0.1, 0.01]
    cmd: echo ${item.model} ${item.lr} ${key} ${item.nope}
"""
LOOPS_CLEAN = """\
vars:
  - models: [alexnet, resnet]
stages:
  models:
    foreach: ${models}
    do:
      cmd: echo ${item} ${train.model.name}
  optimizers:
    foreach: ${train.optimizer}
    do:
      cmd: echo ${key}=${item}
  grid:
    matrix:
      model: ${models}
      lr: [0.1, 0.01]
    cmd: echo ${item.model} ${item.lr} ${key}
    outs:
      - out/${key}.txt
"""
BROKEN_LOOPS = """\
stages:
  grid:
    matrix:
      lr: ${train.optimizer.lr}
      model: alexnet
    cmd: echo ${item.lr} ${key} ${dataset.ur}
    params:
      - trian
  sweep:
    matrix:
      lr: ${train.nope}
    cmd: echo ${item.lr} ${dataset.ur}
  each:
    foreach: ${train.optimizer.lr}
    do:
      cmd: echo ${item} ${dataset.ur}
"""
SUBFOLDER = """\
stages:
  eval:
    cmd: echo ${threshold} ${thresold}
    params:
      - threshold
      - limit
      - ../params.yaml:
        - train.optimizer.lr
        - train.optimizer.rate
"""
WDIR = """\
stages:
  eval:
    wdir: ${dataset.output_folder}
    cmd: echo
    params:
      - level
      - config.yaml:
        - a.b
        - a.c
      - missing.yaml:
"""
VARS_OK = """\
vars:
  - train:
      epochs: 3
  - extra.yaml:threshold
stages:
  train:
    cmd: python train.py --epochs ${train.epochs} --threshold ${threshold}
    params:
      - train
"""
VARS_BAD_FILES = """\
vars:
  - missing.yaml
  - extra.yaml:nope
  - params.yaml:train
stages: {}
"""
REDEFINE = """\
vars:
  - train:
      optimizer:
        lr: 0.1
"""
DUPLICATES = """\
stages:
  a:
    cmd: echo ${dataset.url}
    deps:
      - x
    cmd: echo 2
  a:
    cmd: echo 3
stages: {}
"""
NEAREST_URL = "  hint: nearest existing key: 'dataset.url'\n"

CASES = [
    pytest.param(
        [("dvc.yaml", "- train\n", "- trian\n")],
        "dvc.yaml:14: error: stages.train.params: 'trian' is not in params.yaml "
        "(as composed from conf/)\n"
        "  hint: nearest existing key: 'train'\n",
        id="misspelled-params-key",
    ),
    pytest.param(
        [("dvc.yaml", "${dataset.url}", "${dataset.ur}")],
        "dvc.yaml:5: error: stages.setup-dataset.cmd: cannot resolve "
        "${dataset.ur}: 'dataset.ur' is not in params.yaml\n" + NEAREST_URL,
        id="misspelled-reference",
    ),
    pytest.param(
        [("dvc.yaml", "stages:\n", REDEFINE + "stages:\n")],
        "dvc.yaml:4: error: vars: 'train.optimizer.lr' from vars[0] is already "
        "defined in params.yaml: DVC refuses to redefine it\n"
        "  hint: give it another name, or leave it in one place only\n",
        id="vars-redefine-inline",
    ),
    pytest.param(
        [
            ("dvc.yaml", "stages:\n", "vars:\n  - extra.yaml\nstages:\n"),
            ("extra.yaml", None, "dataset:\n  url: elsewhere\n"),
        ],
        "dvc.yaml:2: error: vars: 'dataset.url' from extra.yaml is already "
        "defined in params.yaml: DVC refuses to redefine it\n"
        "  hint: give it another name, or leave it in one place only\n",
        id="vars-redefine-from-file",
    ),
    pytest.param(
        [("dvc.yaml", None, VARS_BAD_FILES), ("extra.yaml", None, "threshold: 1\n")],
        "dvc.yaml:2: error: vars: missing.yaml does not exist\n"
        "dvc.yaml:3: error: vars: extra.yaml has no key 'nope'\n"
        "dvc.yaml:4: error: vars: 'params.yaml:train' loads keys that an "
        "earlier entry already loaded\n",
        id="vars-files-missing-or-loaded-twice",
    ),
    pytest.param(
        [("dvc.yaml", None, VARS_OK), ("extra.yaml", None, "threshold: 1\nx: 2\n")],
        "",
        id="vars-clean",
    ),
    pytest.param(
        [("dvc.yaml", None, FOREACH)],
        "dvc.yaml:5: error: stages.models.cmd: cannot resolve ${key}: 'key' is "
        "not in params.yaml or item\n"
        "dvc.yaml:9: error: stages.optimizers.cmd: cannot resolve "
        "${train.optimiser}: 'train.optimiser' is not in params.yaml, item or key\n"
        "  hint: nearest existing key: 'train.optimizer'\n",
        id="foreach-key-over-list-and-typo",
    ),
    pytest.param(
        [("dvc.yaml", None, MATRIX)],
        "dvc.yaml:6: error: stages.grid.cmd: cannot resolve ${item.nope}: "
        "'item.nope' is not in params.yaml, item or key\n"
        "  hint: nearest existing key: 'item.model'\n",
        id="matrix-item-typo",
    ),
    pytest.param(
        [
            (
                "dvc.yaml",
                None,
                "stages:\n  grid:\n    matrix:\n      lr: ${train.optimizer.lr}\n"
                "    cmd: echo ${item.lr}\n",
            )
        ],
        "dvc.yaml:4: error: stages.grid.matrix.lr: is not a list\n",
        id="matrix-axis-not-a-list",
    ),
    pytest.param(
        [("dvc.yaml", None, BROKEN_LOOPS)],
        "dvc.yaml:4: error: stages.grid.matrix.lr: is not a list\n"
        "dvc.yaml:5: error: stages.grid.matrix.model: is not a list\n"
        "dvc.yaml:6: error: stages.grid.cmd: cannot resolve ${dataset.ur}: "
        "'dataset.ur' is not in params.yaml, item or key\n"
        + NEAREST_URL
        + "dvc.yaml:8: error: stages.grid.params: 'trian' is not in params.yaml "
        "(as composed from conf/)\n"
        "  hint: nearest existing key: 'train'\n"
        "dvc.yaml:11: error: stages.sweep.matrix: cannot resolve "
        "${train.nope}: 'train.nope' is not in params.yaml\n"
        "  hint: nearest existing key: 'train.model'\n"
        "dvc.yaml:12: error: stages.sweep.cmd: cannot resolve ${dataset.ur}: "
        "'dataset.ur' is not in params.yaml, item or key\n"
        + NEAREST_URL
        + "dvc.yaml:14: error: stages.each.foreach: is not a list or mapping\n"
        "dvc.yaml:16: error: stages.each.cmd: cannot resolve ${dataset.ur}: "
        "'dataset.ur' is not in params.yaml, item or key\n" + NEAREST_URL,
        id="broken-loops-hide-no-other-findings",
    ),
    pytest.param([("dvc.yaml", None, LOOPS_CLEAN)], "", id="loops-clean"),
    pytest.param(
        [
            (
                "dvc.yaml",
                "      - train.py\n",
                "      - train.py\n      - ${train.model}\n",
            )
        ],
        "dvc.yaml:13: error: stages.train.deps: ${train.model} is a mapping; "
        "DVC interpolates only plain values here\n",
        id="mapping-interpolated-into-deps",
    ),
    pytest.param(
        [
            ("sub/dvc.yaml", None, SUBFOLDER),
            ("sub/params.yaml", None, "threshold: 1\n"),
        ],
        "sub/dvc.yaml:3: error: stages.eval.cmd: cannot resolve ${thresold}: "
        "'thresold' is not in sub/params.yaml\n"
        "  hint: nearest existing key: 'threshold'\n"
        "sub/dvc.yaml:6: error: stages.eval.params: 'limit' is not in "
        "sub/params.yaml\n"
        "sub/dvc.yaml:9: error: stages.eval.params: 'train.optimizer.rate' is not "
        "in params.yaml (as composed from conf/)\n"
        "  hint: nearest existing key: 'train.optimizer.name'\n",
        id="subfolder-checked-against-its-own-params",
    ),
    pytest.param(
        [
            ("dvc.yaml", None, WDIR),
            ("imagenette/params.yaml", None, "level: 1\n"),
            ("imagenette/config.yaml", None, "a:\n  b: 1\n"),
        ],
        "dvc.yaml:9: error: stages.eval.params: 'a.c' is not in "
        "imagenette/config.yaml\n"
        "  hint: nearest existing key: 'a.b'\n"
        "dvc.yaml:10: error: stages.eval.params: imagenette/missing.yaml does "
        "not exist\n",
        id="params-files-relative-to-wdir",
    ),
    pytest.param(
        [("dvc.yaml", "${dataset.url}", "${dataset..url}")],
        "dvc.yaml:5: error: stages.setup-dataset.cmd: cannot parse ${dataset..url}\n",
        id="unparsable-reference",
    ),
    pytest.param(
        [("dvc.yaml", "stages:\n", "stages:\n  bad: [\n")],
        "dvc.yaml:4: error: does not parse: expected ',' or ']', but got ':'\n",
        id="yaml-syntax-error",
    ),
    pytest.param(
        [("dvc.yaml", None, "stages: [1, 2]\n")],
        "dvc.yaml:1: error: stages: is not a mapping, which DVC requires\n",
        id="stages-not-a-mapping",
    ),
    pytest.param(
        [("dvc.yaml", None, "stages:\n")],
        "dvc.yaml:1: error: stages: is not a mapping, which DVC requires\n",
        id="stages-empty",
    ),
    pytest.param(
        [("dvc.yaml", None, "stages:\n  a: 1\n  b:\n    - cmd: echo\n")],
        "dvc.yaml:2: error: stages.a: is not a mapping, which DVC requires\n"
        "dvc.yaml:4: error: stages.b: is not a mapping, which DVC requires\n",
        id="stage-not-a-mapping",
    ),
    pytest.param(
        [("dvc.yaml", None, "- stages\n")],
        "dvc.yaml:1: error: is not a mapping, which DVC requires\n",
        id="file-not-a-mapping",
    ),
    pytest.param(
        [("dvc.yaml", None, DUPLICATES)],
        "dvc.yaml:6: error: stages.a: duplicate key 'cmd' (first on line 3); "
        "DVC refuses it\n"
        "dvc.yaml:7: error: stages: duplicate key 'a' (first on line 2); "
        "DVC refuses it\n"
        "dvc.yaml:9: error: duplicate key 'stages' (first on line 1); "
        "DVC refuses it\n",
        id="duplicate-keys",
    ),
    pytest.param(
        [("dvc.yaml", None, "stages:\n  a:\n    cmd: echo \0\n")],
        "dvc.yaml:3: error: does not parse: unacceptable character #x0000: "
        "special characters are not allowed\n",
        id="nul-byte",
    ),
]


def edit(project, edits):
    """Apply (file, old, new) edits; ``old`` None writes the whole file."""
    for name, old, new in edits:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if old is None:
            path.write_text(new)
            continue
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    git(project, "add", "-A")


@pytest.mark.parametrize(("edits", "expected"), CASES)
def test_dvc_yaml_findings(seed_project, monkeypatch, capsys, edits, expected):
    edit(seed_project, edits)
    monkeypatch.chdir(seed_project)

    code = main(["check"])

    assert capsys.readouterr().out == expected
    assert code == (1 if expected else 0)


@pytest.fixture(scope="module")
def dvc_template(tmp_path_factory):
    """One real Git + DVC seed project, built once: ``dvc init`` is slow."""
    home = tmp_path_factory.mktemp("dvc-home")
    saved = dict(os.environ)
    os.environ.update(isolation_env(home))
    try:
        yield make_project(tmp_path_factory.mktemp("dvc") / "project", real_dvc=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def seed_dvc_project(dvc_template, tmp_path):
    return shutil.copytree(dvc_template, tmp_path / "project", symlinks=True)


def dvc(project, *args):
    result = subprocess.run(
        ["dvc", *args], cwd=project, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stderr


def test_redefinition_is_what_dvc_refuses(seed_dvc_project, monkeypatch, capsys):
    edit(seed_dvc_project, [("dvc.yaml", "stages:\n", REDEFINE + "stages:\n")])
    monkeypatch.chdir(seed_dvc_project)

    code = main(["check"])
    dvc_code, dvc_error = dvc(seed_dvc_project, "status")

    refused = re.search(
        r"cannot redefine '([^']+)' from '([^']+)' as it already exists in '([^']+)'",
        dvc_error,
    )
    assert dvc_code != 0 and refused, dvc_error
    key, source, existing = refused.groups()
    assert capsys.readouterr().out.splitlines()[0] == (
        f"dvc.yaml:4: error: vars: '{key}' from {source} is already defined in "
        f"{existing}: DVC refuses to redefine it"
    )
    assert code == 1


def test_missing_reference_is_what_dvc_fails_on(seed_dvc_project, monkeypatch, capsys):
    edit(seed_dvc_project, [("dvc.yaml", "${dataset.url}", "${dataset.ur}")])
    monkeypatch.chdir(seed_dvc_project)

    code = main(["check"])
    dvc_code, dvc_error = dvc(seed_dvc_project, "status")

    failed = re.search(
        r"failed to parse '([^']+)' in 'dvc.yaml': Could not find '([^']+)'",
        dvc_error,
    )
    assert dvc_code != 0 and failed, dvc_error
    where, key = failed.groups()
    assert capsys.readouterr().out == (
        f"dvc.yaml:5: error: {where}: cannot resolve ${{{key}}}: '{key}' is not "
        "in params.yaml\n" + NEAREST_URL
    )
    assert code == 1


def test_missing_params_key_is_what_dvc_fails_on(seed_dvc_project, monkeypatch, capsys):
    edit(seed_dvc_project, [("dvc.yaml", "- train\n", "- trian\n")])
    (seed_dvc_project / "imagenette").mkdir()
    monkeypatch.chdir(seed_dvc_project)

    code = main(["check"])
    dvc_code, dvc_error = dvc(
        seed_dvc_project, "repro", "--single-item", "--dry", "train"
    )

    missing = re.search(r"Parameters '([^']+)' are missing from '([^']+)'", dvc_error)
    assert dvc_code != 0 and missing, dvc_error
    key, file = missing.groups()
    assert capsys.readouterr().out.splitlines()[0] == (
        f"dvc.yaml:14: error: stages.train.params: '{key}' is not in {file} "
        "(as composed from conf/)"
    )
    assert code == 1


def test_clean_pipeline_is_clean_for_dvc_too(seed_dvc_project, monkeypatch, capsys):
    edit(seed_dvc_project, [("dvc.yaml", None, LOOPS_CLEAN)])
    monkeypatch.chdir(seed_dvc_project)

    code = main(["check"])
    dvc_code, dvc_error = dvc(seed_dvc_project, "status")

    assert (dvc_code, dvc_error) == (0, "")
    assert (code, capsys.readouterr().out) == (0, "")


@pytest.mark.parametrize(
    ("text", "dvc_says", "message"),
    [
        pytest.param(
            "stages: [1, 2]\n",
            r"expected a dictionary, in stages, line (\d+)",
            "stages: is not a mapping, which DVC requires",
            id="stages-not-a-mapping",
        ),
        pytest.param(
            "stages:\n  a:\n    cmd: echo\n  a:\n    cmd: echo 2\n",
            r'Found duplicate key "a" .*, in line (\d+)',
            "stages: duplicate key 'a' (first on line 2); DVC refuses it",
            id="duplicate-stage",
        ),
    ],
)
def test_shape_is_what_dvc_refuses(
    seed_dvc_project, monkeypatch, capsys, text, dvc_says, message
):
    edit(seed_dvc_project, [("dvc.yaml", None, text)])
    monkeypatch.chdir(seed_dvc_project)

    code = main(["check"])
    dvc_code, dvc_error = dvc(seed_dvc_project, "status")

    refused = re.search(dvc_says, " ".join(dvc_error.split()))
    assert dvc_code != 0 and refused, dvc_error
    assert capsys.readouterr().out == f"dvc.yaml:{refused[1]}: error: {message}\n"
    assert code == 1
