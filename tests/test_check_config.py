"""``dvc-hydra check`` on the config tree: group options, hand edits,
resolvers, mandatory values and files that do not count.

Each case edits the seed example and compares the whole output.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import git
from dvc_hydra.cli import main
from test_check_dvcyaml import edit

EFFICIENTNET = """\
  model:
    name: EfficientNet
    size: b0
    weights: EfficientNet_B0_Weights.IMAGENET1K_V1
"""
RESNET = """\
  model:
    name: ResNet
    size: 50
    weights: ResNet50_Weights.IMAGENET1K_V2
"""
OPTUNA = """\
# @package _global_
defaults:
  - override /hydra/sweeper: optuna
train:
  model:
    name: AlexNet
"""
LR_HINT = (
    "  hint: set the value at conf/train/optimizer/sgd.yaml:2 (the next `dvc exp "
    "run` rewrites params.yaml from conf/), or discard the edit with "
    "`dvc-hydra compose --force`\n"
)
STALE_HINT = (
    "  hint: params.yaml is stale: conf/ changed since it was composed; rewrite "
    "it with `dvc-hydra compose`\n"
)
RESOLVER_HINT = (
    "  hint: params.yaml then differs between machines or runs; write the value "
    "into the config, or pass it with -S\n"
)

REWRITE_HINT = "  hint: discard it with `dvc-hydra compose --force`\n"
FORMATTING = (
    "warning: holds the composed values, formatted differently (key order, "
    "quoting or layout): the compose hook fails the commit\n"
    "  hint: rewrite it with `dvc-hydra compose --force`\n"
)

CASES = [
    pytest.param(
        [("conf/train/model/alexnet.yaml", None, "name: AlexNet\n size: 1\n")],
        "conf/train/model/alexnet.yaml:2: error: option train/model=alexnet does "
        "not compose: YAML syntax error: mapping values are not allowed here\n",
        id="option-with-yaml-error",
    ),
    pytest.param(
        [("conf/dataset/imagewoof.yaml", None, "url: ${nowhere}\n")],
        "conf/dataset/imagewoof.yaml:1: error: option dataset=imagewoof does not "
        "compose: dataset.url: cannot resolve '${nowhere}': Interpolation key "
        "'nowhere' not found\n",
        id="option-with-missing-interpolation",
    ),
    pytest.param(
        [
            (
                "conf/train/model/alexnet.yaml",
                None,
                "defaults:\n  - /train/optimizer: rmsprop\nname: AlexNet\n",
            )
        ],
        "conf/train/model/alexnet.yaml:2: error: option train/model=alexnet does "
        "not compose: defaults list asks for option 'rmsprop' of group "
        "'train/optimizer', which does not exist\n"
        "  hint: available options in 'train/optimizer': adam, sgd\n",
        id="option-asking-for-a-missing-option",
    ),
    pytest.param(
        [("conf/train/model/alexnet.yaml", None, OPTUNA)],
        "conf/train/model/alexnet.yaml:3: warning: option train/model=alexnet "
        "needs the Hydra plugin that provides 'hydra/sweeper/optuna', which is "
        "not installed\n"
        "  hint: pip install hydra-optuna-sweeper\n",
        id="option-needing-an-absent-plugin",
    ),
    pytest.param(
        [("conf/train/model/alexnet.yaml", None, "name: ${oc.env:DVC_HYDRA_UNSET}\n")],
        "conf/train/model/alexnet.yaml:1: warning: option train/model=alexnet "
        "composes only with the environment variable DVC_HYDRA_UNSET set\n",
        id="option-needing-an-environment-variable",
    ),
    pytest.param(
        [("params.yaml", "lr: 0.001", "lr: 0.01")],
        "params.yaml:11: error: train.optimizer.lr is 0.01, but conf/ composes "
        "0.001 (set at conf/train/optimizer/sgd.yaml:2)\n" + LR_HINT,
        id="hand-edited-learning-rate",
    ),
    pytest.param(
        [("conf/train/optimizer/sgd.yaml", "lr: 0.001", "lr: 0.002")],
        "params.yaml:11: error: train.optimizer.lr is 0.001, but conf/ composes "
        "0.002 (set at conf/train/optimizer/sgd.yaml:2)\n" + STALE_HINT,
        id="params-stale-after-config-edit",
    ),
    pytest.param(
        [("params.yaml", RESNET, EFFICIENTNET)],
        "params.yaml:5: error: train.model is what option train/model=efficientnet "
        "composes, but the defaults list selects 'resnet'\n"
        "  hint: select `train/model=efficientnet` (in conf/config.yaml:3), or "
        "discard the edit with `dvc-hydra compose --force`\n",
        id="model-subtree-of-another-option",
    ),
    pytest.param(
        [("params.yaml", "    momentum: 0.9\n", "    momentum: 0.9\n  epochs: 3\n")],
        "params.yaml:13: error: train.epochs is 3, but no config in conf/ sets it\n"
        "  hint: add it to a config in conf/, or remove it from params.yaml\n",
        id="key-no-config-sets",
    ),
    pytest.param(
        [("params.yaml", "    momentum: 0.9\n", "")],
        "params.yaml:9: error: train.optimizer.momentum is missing, but conf/ "
        "composes 0.9 (set at conf/train/optimizer/sgd.yaml:3)\n"
        "  hint: set the value at conf/train/optimizer/sgd.yaml:3 (the next `dvc "
        "exp run` rewrites params.yaml from conf/), or discard the edit with "
        "`dvc-hydra compose --force`\n",
        id="key-missing-from-params",
    ),
    pytest.param(
        [("params.yaml", "lr: 0.001", "lr: 1.0e-3")],
        "params.yaml:11: " + FORMATTING,
        id="same-values-other-spelling",
    ),
    pytest.param(
        [
            (
                "conf/dataset/imagenette.yaml",
                "output_folder: imagenette",
                "output_folder: ${oc.env:USER,imagenette}",
            )
        ],
        "conf/dataset/imagenette.yaml:2: warning: dataset.output_folder = "
        "'${oc.env:USER,imagenette}' uses 'oc.env', which reads the environment "
        "of the machine\n" + RESOLVER_HINT,
        id="oc-env-value",
    ),
    pytest.param(
        [
            (
                "conf/dataset/imagenette.yaml",
                "output_folder: imagenette",
                "output_folder: ${oc.select:nowhere,imagenette}\n"
                "keys: ${oc.dict.keys:train.model}",
            ),
            (
                "params.yaml",
                "output_folder: imagenette\n",
                "output_folder: imagenette\n  keys:\n  - name\n  - size\n  - weights\n",
            ),
        ],
        "",
        id="pure-resolvers-are-trusted",
    ),
    pytest.param(
        [
            ("conf/train/optimizer/sgd.yaml", "momentum: 0.9", "momentum: ???"),
            ("params.yaml", "momentum: 0.9", "momentum: ???"),
        ],
        "conf/train/optimizer/sgd.yaml:3: warning: train.optimizer.momentum is "
        "'???', a mandatory value that no config sets: code that reads it fails\n"
        "  hint: set it in a config, or pass -S 'train.optimizer.momentum=VALUE'\n",
        id="mandatory-value-left",
    ),
    pytest.param(
        [
            ("conf/train/optimizer/rmsprop.yml", None, "name: RMSprop\nlr: 0.01\n"),
            ("conf/dataset/imagenette.yml", None, "url: elsewhere\n"),
        ],
        "conf/dataset/imagenette.yml: warning: Hydra reads only .yaml files: "
        "imagenette.yml is never used\n"
        "  hint: conf/dataset/imagenette.yaml exists next to it: merge the two "
        "and remove this one\n"
        "conf/train/optimizer/rmsprop.yml: warning: Hydra reads only .yaml files: "
        "rmsprop.yml is never used\n"
        "  hint: rename it to rmsprop.yaml\n",
        id="yml-files",
    ),
    pytest.param(
        [
            (
                "conf/config.yaml",
                "  - train/optimizer: sgd\n",
                "  - train/optimizer: sgd\n  - optional train/schedule: cosine\n",
            ),
            ("conf/train/schedule/cosin.yaml", None, "name: cosine\n"),
        ],
        "conf/train/schedule/cosin.yaml: warning: cosin.yaml is one edit away "
        "from 'train/schedule/cosine', which conf/config.yaml:5 asks for as "
        "optional: Hydra skips the missing config without a word\n"
        "  hint: rename it to cosine.yaml if it is meant to be used\n",
        id="misspelled-optional-option-file",
    ),
    pytest.param(
        [
            (
                "conf/config.yaml",
                "  - train/optimizer: sgd\n",
                "  - train/optimizer: sgd\n  - optional train/schedule: cosine\n",
            ),
            ("conf/train/schedule/step.yaml", None, "name: step\n"),
        ],
        "",
        id="optional-option-absent-nothing-close",
    ),
    pytest.param(
        [("conf/train/baseline.yaml", None, "epochs: [\n")],
        "",
        id="unselected-group-outside-the-defaults-tree",
    ),
    pytest.param(
        [("params.yaml", None, "- 1\n- 2\n")],
        "params.yaml:1: error: is a list, not a mapping, but conf/ composes a "
        "mapping\n" + REWRITE_HINT,
        id="params-a-list",
    ),
    pytest.param(
        [("params.yaml", None, "3\n")],
        "params.yaml:1: error: is the value 3, not a mapping, but conf/ composes "
        "a mapping\n" + REWRITE_HINT,
        id="params-a-scalar",
    ),
    pytest.param(
        [("params.yaml", "    name: ResNet\n", "    name: 'ResNet'\n")],
        "params.yaml:6: " + FORMATTING,
        id="params-quoted-differently",
    ),
    pytest.param(
        [
            (
                "params.yaml",
                "    lr: 0.001\n    momentum: 0.9\n",
                "    momentum: 0.9\n    lr: 0.001\n",
            )
        ],
        "params.yaml:11: " + FORMATTING,
        id="params-keys-reordered",
    ),
]


@pytest.mark.parametrize(("edits", "expected"), CASES)
def test_config_findings(seed_project, monkeypatch, capsys, edits, expected):
    monkeypatch.delenv("DVC_HYDRA_UNSET", raising=False)
    edit(seed_project, edits)
    monkeypatch.chdir(seed_project)

    code = main(["check"])

    assert capsys.readouterr().out == expected
    errors = any(": error: " in line for line in expected.splitlines())
    assert code == (1 if errors else 0)


def test_untracked_file_that_changes_the_composition(seed_project, monkeypatch, capsys):
    (seed_project / "conf/dataset/local.yaml").write_text(
        "url: file:///data/local.tgz\noutput_folder: local\n"
    )
    (seed_project / "conf/dataset/notes.yaml").write_text("unused: true\n")
    edit(seed_project, [("conf/config.yaml", "dataset: imagenette", "dataset: local")])
    git(seed_project, "rm", "-q", "--cached", "conf/dataset/local.yaml")
    git(seed_project, "rm", "-q", "--cached", "conf/dataset/notes.yaml")
    monkeypatch.chdir(seed_project)
    assert main(["compose"]) == 1
    git(seed_project, "add", "params.yaml")
    capsys.readouterr()

    code = main(["check"])

    assert capsys.readouterr().out == (
        "conf/dataset/local.yaml: warning: untracked file changes the "
        "composition, but is not part of the commit\n"
        "  hint: `git add conf/dataset/local.yaml`, or move it out of the config "
        "tree\n"
    )
    assert code == 0


PLUGIN = """\
import itertools

from omegaconf import OmegaConf

calls = itertools.count()
OmegaConf.register_new_resolver("calls", lambda: next(calls))
OmegaConf.register_new_resolver("double", lambda x: 2 * x)
"""


def test_custom_resolvers_are_named_and_unstable_ones_caught(seed_project):
    plugin = seed_project / "plugins/hydra_plugins/counting/__init__.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(PLUGIN)
    edit(
        seed_project,
        [
            (
                ".dvc/config",
                None,
                "[hydra]\n    enabled = true\n    plugins_path = plugins\n",
            ),
            (
                "conf/train/optimizer/sgd.yaml",
                "momentum: 0.9",
                "seed: ${calls:}\nscale: ${double:2}",
            ),
            ("params.yaml", "momentum: 0.9", "seed: 0\n    scale: 4"),
        ],
    )

    # Hydra scans plugins once per process: this project gets its own.
    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "check", "--strict"],
        cwd=seed_project,
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )

    assert result.stdout == (
        "conf/train/optimizer/sgd.yaml:3: warning: train.optimizer.seed = "
        "'${calls:}' uses the resolver 'calls', which is not known to be pure; "
        "it changed between two compositions\n"
        + RESOLVER_HINT
        + "conf/train/optimizer/sgd.yaml:4: warning: train.optimizer.scale = "
        "'${double:2}' uses the resolver 'double', which is not known to be "
        "pure\n" + RESOLVER_HINT
    )
    assert result.stderr == "dvc-hydra check: 0 errors, 2 warnings\n"
    assert result.returncode == 1


def test_missing_params_file_is_an_error_only_with_a_pipeline(
    seed_project, monkeypatch, capsys
):
    (seed_project / "params.yaml").unlink()
    monkeypatch.chdir(seed_project)

    with_pipeline = main(["check"])
    with_pipeline_out = capsys.readouterr().out
    (seed_project / "dvc.yaml").unlink()
    without_pipeline = main(["check"])

    assert (with_pipeline, with_pipeline_out) == (
        1,
        "params.yaml: error: does not exist, but DVC reads params from it\n"
        "  hint: write it with `dvc-hydra compose`\n",
    )
    assert (without_pipeline, capsys.readouterr().out) == (0, "")


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param([("params.yaml", "lr: 0.001", "lr: 1.0e-3")], id="spelling"),
        pytest.param([("params.yaml", "name: SGD", "name: 'SGD'")], id="quoting"),
    ],
)
def test_check_and_compose_agree_on_formatting(
    seed_project, monkeypatch, capsys, edits
):
    edit(seed_project, edits)
    monkeypatch.chdir(seed_project)

    compose_code = main(["compose", "--check"])
    strict_code = main(["check", "--strict"])

    assert (compose_code, strict_code) == (1, 1)
    assert FORMATTING in capsys.readouterr().out
