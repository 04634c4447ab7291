"""Bad input: one located line (and a hint), exit 2, params.yaml untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from dvc_hydra.cli import main

OPTIMIZER = "conf/train/optimizer/sgd.yaml"


def write(project: Path, name: str, text: str) -> None:
    (project / name).parent.mkdir(parents=True, exist_ok=True)
    (project / name).write_text(textwrap.dedent(text), encoding="utf-8")


def dvc_config(project: Path, text: str) -> None:
    write(project, ".dvc/config", text)


def snapshot(project: Path) -> tuple:
    """What a failed run must leave as it was: params.yaml and the root's names."""
    params = project / "params.yaml"
    if params.is_symlink():
        content = ("symlink", os.readlink(params))
    elif params.is_dir():
        content = ("directory", sorted(os.listdir(params)))
    elif params.is_fifo():
        content = ("fifo", params.stat().st_mode)
    else:
        content = ("file", params.read_bytes())
    return content, sorted(os.listdir(project))


# Each case: id, how to break the seed project, -S values, exact stderr.
CASES = [
    pytest.param(
        lambda p: (p / "conf").rename(p / "configuration"),
        [],
        "dvc-hydra: conf: config dir does not exist\n"
        "  hint: create it, or point `dvc config hydra.config_dir` elsewhere "
        "(now 'conf')\n",
        id="missing-config-dir",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    enabled = true\n    config_dir = dvc.yaml\n"
        ),
        [],
        "dvc-hydra: dvc.yaml: config dir is not a directory\n"
        "  hint: create it, or point `dvc config hydra.config_dir` elsewhere "
        "(now 'dvc.yaml')\n",
        id="config-dir-is-a-file",
    ),
    pytest.param(
        lambda p: (p / "conf/config.yaml").rename(p / "conf/main.yaml"),
        [],
        "dvc-hydra: conf/config.yaml: primary config 'config.yaml' not found\n"
        "  hint: set `dvc config hydra.config_name NAME`; configs in the config "
        "dir: main\n",
        id="missing-primary-config",
    ),
    pytest.param(
        lambda p: write(p, OPTIMIZER, "name: SGD\nlr: [0.001\nmomentum: 0.9\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:3: YAML syntax error: expected ',' or ']', but "
        "got ':' (while parsing a flow sequence)\n",
        id="yaml-syntax-error",
    ),
    pytest.param(
        lambda p: (p / OPTIMIZER).write_bytes(b"name: SGD\nlr: 0.001\nnote: caf\xe9\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:3: not valid UTF-8: invalid continuation byte\n"
        "  hint: save the file as UTF-8, as Hydra reads it\n",
        id="config-file-not-utf8",
    ),
    pytest.param(
        lambda p: (p / OPTIMIZER).write_bytes(b"name: SGD\nlr: \x00\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:2: YAML cannot read this file: special "
        "characters are not allowed\n",
        id="config-file-with-nul-byte",
    ),
    pytest.param(
        lambda p: write(p, "conf/config.yaml", "- dataset\n- train\n"),
        [],
        "dvc-hydra: conf/config.yaml: primary config 'config' must be a "
        "DictConfig, got ListConfig\n",
        id="primary-config-is-a-list",
    ),
    pytest.param(
        lambda p: write(
            p,
            "conf/config.yaml",
            """\
            defaults:
              - dataset: ${data_choice}
              - train/model: resnet
            """,
        ),
        [],
        "dvc-hydra: conf/config.yaml:2: Error resolving interpolation "
        "'${data_choice}', possible interpolation keys: train/model\n",
        id="defaults-list-interpolation-to-nothing",
    ),
    pytest.param(
        lambda p: write(
            p,
            "conf/config.yaml",
            """\
            defaults:
              - dataset: imagenette
              - override train/model: resnet
            """,
        ),
        [],
        "dvc-hydra: conf/config.yaml:3: In 'config': Could not override "
        "'train/model'. No match in the defaults list.\n",
        id="override-entry-without-a-default",
    ),
    pytest.param(
        lambda p: None,
        ["train/optimizer=adamw"],
        "dvc-hydra: override 'train/optimizer=adamw': 'adamw' is not an option "
        "of 'train/optimizer'\n"
        "  hint: available options in 'train/optimizer': adam, sgd\n",
        id="unknown-group-option-in-override",
    ),
    pytest.param(
        lambda p: write(
            p,
            "conf/config.yaml",
            """\
            defaults:
              - dataset: imagenette
              - train/model: resnet
              - train/optimizer: adamw
            """,
        ),
        [],
        "dvc-hydra: conf/config.yaml:4: defaults list asks for option 'adamw' of "
        "group 'train/optimizer', which does not exist\n"
        "  hint: available options in 'train/optimizer': adam, sgd\n",
        id="unknown-group-option-in-defaults-list",
    ),
    pytest.param(
        lambda p: None,
        ["optimizer=adam"],
        "dvc-hydra: Could not override 'optimizer'.\n"
        "  hint: did you mean 'train/optimizer=adam'? (To append to your config "
        "use +optimizer=adam)\n",
        id="unknown-group-in-override",
    ),
    pytest.param(
        lambda p: write(p, OPTIMIZER, "name: SGD\nlr: 0.001\nmomentum: ${.lrr}\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:3: train.optimizer.momentum: cannot resolve "
        "'${.lrr}': Interpolation key 'lrr' not found\n"
        "  hint: did you mean 'train.optimizer.lr'?\n",
        id="broken-interpolation-nearest-key",
    ),
    pytest.param(
        lambda p: (
            write(p, OPTIMIZER, "name: SGD\nlr: 0.001\nm: ${train.optimizer.lrr}\n"),
            write(p, "conf/train/optimizer/adam.yaml", "x: ${train.optimizer.lrr}\n"),
        ),
        [],
        f"dvc-hydra: {OPTIMIZER}:3: train.optimizer.m: cannot resolve "
        "'${train.optimizer.lrr}': Interpolation key 'train.optimizer.lrr' not "
        "found\n"
        "  hint: did you mean 'train.optimizer.lr'?\n",
        id="broken-interpolation-also-in-unselected-option",
    ),
    pytest.param(
        lambda p: (
            write(p, OPTIMIZER, "name: SGD\nlr: ${oc.env:LR_FROM_CI}\nmomentum: 0.9\n"),
            write(
                p,
                "conf/dataset/imagenette.yaml",
                "url: ${train.optimizer.lr}\noutput_folder: imagenette\n",
            ),
        ),
        [],
        f"dvc-hydra: {OPTIMIZER}:2: train.optimizer.lr: cannot resolve "
        "'${oc.env:LR_FROM_CI}': KeyError raised while resolving interpolation: "
        "\"Environment variable 'LR_FROM_CI' not found\"\n"
        "  hint: set LR_FROM_CI, or give a default: ${oc.env:LR_FROM_CI,DEFAULT}\n",
        id="unset-env-variable-reached-through-a-reference",
    ),
    pytest.param(
        lambda p: write(p, OPTIMIZER, "name: SGD\nlr: ${double:0.001}\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:2: train.optimizer.lr: cannot resolve "
        "'${double:0.001}': Unsupported interpolation type double\n"
        "  hint: no resolver 'double' is registered; register it in a "
        "hydra_plugins module under `hydra.plugins_path`\n",
        id="unknown-resolver",
    ),
    pytest.param(
        lambda p: write(p, OPTIMIZER, "name: SGD\nlr: ${oc.env:LR_FROM_CI}\n"),
        [],
        f"dvc-hydra: {OPTIMIZER}:2: train.optimizer.lr: cannot resolve "
        "'${oc.env:LR_FROM_CI}': KeyError raised while resolving interpolation: "
        "\"Environment variable 'LR_FROM_CI' not found\"\n"
        "  hint: set LR_FROM_CI, or give a default: ${oc.env:LR_FROM_CI,DEFAULT}\n",
        id="unset-env-variable",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    enabled = true\n    plugins_path = tols\n"
        ),
        [],
        "dvc-hydra: .dvc/config:3: 'hydra.plugins_path' does not exist: 'tols'\n"
        "  hint: point it at the folder that holds your hydra_plugins package\n",
        id="plugins-path-does-not-exist",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    enabled = true\n    plugins_path = dvc.yaml\n"
        ),
        [],
        "dvc-hydra: .dvc/config:3: 'hydra.plugins_path' is not a directory: "
        "'dvc.yaml'\n"
        "  hint: point it at the folder that holds your hydra_plugins package\n",
        id="plugins-path-is-a-file",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    enabled = true\n    config_module = proj.configs\n"
        ),
        [],
        "dvc-hydra: .dvc/config:3: cannot import 'hydra.config_module' "
        "'proj.configs': ModuleNotFoundError: No module named 'proj'\n"
        "  hint: the config module must be a package importable from this Python "
        "environment (PYTHONPATH); the dvc-hydra-compose-system hook runs in "
        "your project's own environment\n",
        id="unknown-config-module",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    enabled = true\n    config_module = json.decoder\n"
        ),
        [],
        "dvc-hydra: .dvc/config:3: cannot import 'hydra.config_module' "
        "'json.decoder': a module, not a package\n"
        "  hint: the config module must be a package importable from this Python "
        "environment (PYTHONPATH); the dvc-hydra-compose-system hook runs in "
        "your project's own environment\n",
        id="config-module-not-a-package",
    ),
    pytest.param(
        lambda p: None,
        ["train.optimizer.lr=)"],
        "dvc-hydra: cannot parse override 'train.optimizer.lr=)' at column 20: "
        "extraneous input ')' expecting {<EOF>, ':', BRACKET_OPEN, BRACE_OPEN, "
        "FLOAT, INT, BOOL, NULL, UNQUOTED_CHAR, ID, ESC, WS, QUOTED_VALUE, "
        "INTERPOLATION}\n"
        "    train.optimizer.lr=)\n"
        "                       ^\n"
        "  hint: overrides follow Hydra's grammar: "
        "https://hydra.cc/docs/advanced/override_grammar/basic/\n",
        id="unparsable-override",
    ),
    pytest.param(
        lambda p: None,
        ["train.note=naïve"],
        "dvc-hydra: cannot parse override 'train.note=naïve' at column 14: token "
        "recognition error at: 'ï'\n"
        "    train.note=naïve\n"
        "                 ^\n"
        "  hint: overrides follow Hydra's grammar: "
        "https://hydra.cc/docs/advanced/override_grammar/basic/\n",
        id="unquoted-non-ascii-override",
    ),
    pytest.param(
        lambda p: None,
        ["train.optimizer.lr=0.1,0.01"],
        "dvc-hydra: override 'train.optimizer.lr=0.1,0.01' is a sweep, but only "
        "one params.yaml is composed here\n"
        "  hint: expand sweeps with `dvc-hydra sweep` (DVC accepts them only "
        "with `dvc exp run --queue`)\n",
        id="sweep-override",
    ),
    pytest.param(
        lambda p: None,
        ["train=1"],
        "dvc-hydra: override 'train=1': Config group override must be a string "
        "or a list. Got int\n",
        id="group-override-with-a-number",
    ),
    pytest.param(
        lambda p: None,
        ["train.optimizer.nesterov=true"],
        "dvc-hydra: Could not override 'train.optimizer.nesterov'.\n"
        "  hint: To append to your config use +train.optimizer.nesterov=true\n",
        id="override-of-a-missing-key",
    ),
    pytest.param(
        lambda p: None,
        ["metrics.yaml:threshold=1"],
        "dvc-hydra: only params.yaml is composed here, not metrics.yaml\n"
        "  hint: `dvc exp run -S FILE:KEY=VALUE` edits other params files\n",
        id="override-for-another-params-file",
    ),
    pytest.param(
        lambda p: write(p, "conf/config.yaml", "defaults: dataset\n"),
        [],
        "dvc-hydra: conf/config.yaml:1: Invalid defaults list in 'config', "
        "defaults must be a list (got str)\n",
        id="defaults-list-not-a-list",
    ),
    pytest.param(
        lambda p: write(
            p,
            "conf/config.yaml",
            "defaults:\n  - dataset: imagenette\n    train/model: resnet\n",
        ),
        [],
        "dvc-hydra: conf/config.yaml:1: In config: Too many keys in default item "
        "{'dataset': 'imagenette', 'train/model': 'resnet'}\n",
        id="defaults-item-with-two-keys",
    ),
    pytest.param(
        lambda p: (p / "params.yaml").unlink() or (p / "params.yaml").mkdir(),
        [],
        "dvc-hydra: params.yaml: is a directory, not a file\n"
        "  hint: move the directory away; params.yaml must be a file\n",
        id="params-yaml-is-a-directory",
    ),
    pytest.param(
        lambda p: (
            (p / "params.yaml").unlink()
            or (p / "params.yaml").symlink_to("generated/params.yaml")
        ),
        [],
        "dvc-hydra: params.yaml: is a broken symlink (to 'generated/params.yaml')\n"
        "  hint: remove the link or restore its target\n",
        id="params-yaml-is-a-broken-symlink",
    ),
    pytest.param(
        lambda p: dvc_config(p, "[hydra\n    enabled = true\n"),
        [],
        "dvc-hydra: .dvc/config:1: DVC config does not parse: Invalid line "
        "('[hydra') (matched as neither section nor keyword)\n",
        id="dvc-config-does-not-parse",
    ),
    pytest.param(
        lambda p: (p / ".dvc/config").write_bytes(b"[hydra]\n    enabled = tr\xfce\n"),
        [],
        "dvc-hydra: .dvc/config:2: DVC config is not valid UTF-8: invalid start byte\n",
        id="dvc-config-not-utf8",
    ),
    pytest.param(
        lambda p: dvc_config(
            p,
            "[core]\n    autostage = true\n[hydra]\n    enabled = true\n"
            "    config_dir = conf\n    config_module = proj.conf\n",
        ),
        [],
        "dvc-hydra: .dvc/config:6: 'hydra.config_dir' and 'hydra.config_module' "
        "exclude each other\n"
        "  hint: keep only one of them (`dvc config --unset hydra.config_dir`)\n",
        id="config-dir-and-config-module",
    ),
    pytest.param(
        lambda p: dvc_config(
            p, "[hydra]\n    config_name = config\n    enabled = yes\n"
        ),
        [],
        "dvc-hydra: .dvc/config:3: 'hydra.enabled' must be true or false, not 'yes'\n",
        id="bad-enabled-value",
    ),
    pytest.param(
        lambda p: dvc_config(p, "[hydra]\n    enabled = true\n    config_nmae = x\n"),
        [],
        "dvc-hydra: .dvc/config:3: unknown setting 'hydra.config_nmae'\n"
        "  hint: DVC knows: enabled, config_dir, config_module, config_name, "
        "plugins_path\n",
        id="unknown-setting",
    ),
]


@pytest.mark.parametrize(("breakage", "set_params", "expected"), CASES)
def test_bad_input_is_one_located_line(
    seed_project, monkeypatch, capsys, breakage, set_params, expected
):
    monkeypatch.delenv("LR_FROM_CI", raising=False)
    breakage(seed_project)
    monkeypatch.chdir(seed_project)
    before = snapshot(seed_project)

    code = main(["compose", *(f"-S{value}" for value in set_params)])

    assert (code, capsys.readouterr()) == (2, ("", expected))
    assert snapshot(seed_project) == before


RAISING_RESOLVER = """\
    from omegaconf import OmegaConf


    def _checked(value):
        raise ValueError(f"{value} is out of range")


    OmegaConf.register_new_resolver("checked", _checked)
    """

RAISING_SEARCH_PATH = """\
    from hydra.plugins.search_path_plugin import SearchPathPlugin


    class Shared(SearchPathPlugin):
        def manipulate_search_path(self, search_path):
            raise KeyError("SHARED_CONFIGS")
    """

# Plugins live in Hydra's per-process registry: these run in a subprocess.
PLUGIN_CASES = [
    pytest.param(
        {"tools/hydra_plugins/proj/__init__.py": "def broken(:\n    pass\n"},
        "dvc-hydra: tools/hydra_plugins/proj/__init__.py:1: plugin does not "
        "compile: invalid syntax\n",
        id="plugin-syntax-error",
    ),
    pytest.param(
        {
            "tools/hydra_plugins/proj/__init__.py": RAISING_RESOLVER,
            OPTIMIZER: "name: SGD\nlr: ${checked:7}\n",
        },
        f"dvc-hydra: {OPTIMIZER}:2: train.optimizer.lr: cannot resolve "
        "'${checked:7}': ValueError raised while resolving interpolation: 7 is "
        "out of range\n"
        "  hint: raised at tools/hydra_plugins/proj/__init__.py:5\n",
        id="resolver-raises",
    ),
    pytest.param(
        {
            "tools/hydra_plugins/proj/__init__.py": "",
            "tools/hydra_plugins/proj/searchpath.py": RAISING_SEARCH_PATH,
        },
        "dvc-hydra: tools/hydra_plugins/proj/searchpath.py:6: plugin code raised "
        "KeyError: 'SHARED_CONFIGS'\n",
        id="search-path-plugin-raises",
    ),
]


@pytest.mark.parametrize(("files", "expected"), PLUGIN_CASES)
def test_bad_plugin_is_one_located_line(seed_project, files, expected):
    for name, text in files.items():
        write(seed_project, name, text)
    dvc_config(seed_project, "[hydra]\n    enabled = true\n    plugins_path = tools\n")
    before = snapshot(seed_project)

    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "compose"],
        cwd=seed_project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected)
    assert snapshot(seed_project) == before


def test_params_yaml_that_is_a_named_pipe(seed_project):
    """Reading a FIFO would block: a subprocess with a timeout keeps that visible."""
    (seed_project / "params.yaml").unlink()
    os.mkfifo(seed_project / "params.yaml")
    before = snapshot(seed_project)

    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "compose"],
        cwd=seed_project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "dvc-hydra: params.yaml: is not a regular file but a named pipe\n"
        "  hint: params.yaml must be a regular file (or a link to one)\n",
    )
    assert snapshot(seed_project) == before


def test_plugin_that_does_not_import_is_skipped_with_a_warning(seed_project):
    """Hydra, and so DVC, skip such a plugin and compose: so do we, but say so."""
    write(seed_project, "tools/hydra_plugins/proj/__init__.py", "import numpyy\n")
    dvc_config(seed_project, "[hydra]\n    enabled = true\n    plugins_path = tools\n")
    expected = (seed_project / "params.yaml").read_bytes()

    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "compose"],
        cwd=seed_project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "",
        "dvc-hydra: warning: tools/hydra_plugins/proj/__init__.py: plugin "
        "skipped, it does not import: ModuleNotFoundError: No module named "
        "'numpyy'\n",
    )
    assert (seed_project / "params.yaml").read_bytes() == expected


def test_explicit_repo_that_is_no_dvc_project(tmp_path, monkeypatch, capsys):
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path)

    assert main(["compose", "--repo", "plain"]) == 2

    assert capsys.readouterr() == (
        "",
        "dvc-hydra: plain: not a DVC project (no .dvc directory)\n"
        "  hint: pass the folder that holds .dvc/, or run `dvc init` there\n",
    )


def test_crash_saves_the_traceback_and_exits_3(seed_project, monkeypatch, capsys):
    """An error in our own code is a crash, not the user's problem."""
    import dvc_hydra.paramsfile

    def broken(old, new):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(dvc_hydra.paramsfile, "key_changes", broken)
    logs = seed_project.parent / "logs"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))
    write(seed_project, OPTIMIZER, "name: SGD\nlr: 0.01\nmomentum: 0.9\n")
    monkeypatch.chdir(seed_project)
    before = snapshot(seed_project)

    code = main(["compose"])

    [log] = logs.iterdir()
    assert (code, capsys.readouterr()) == (
        3,
        (
            "",
            "dvc-hydra: unexpected error: RuntimeError: injected fault\n"
            f"  the traceback is saved in {log}; please attach it to a bug "
            "report\n",
        ),
    )
    trace = log.read_text(encoding="utf-8")
    assert trace.startswith("Traceback (most recent call last):\n")
    assert trace.endswith("RuntimeError: injected fault\n")
    assert snapshot(seed_project) == before
