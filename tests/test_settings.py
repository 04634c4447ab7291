"""DVC's ``[hydra]`` settings and project discovery, compared with DVC's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import HydraSettings, load_settings, resolve_roots


def level_files(root: Path) -> dict[str, Path]:
    return {
        "system": Path(os.environ["DVC_SYSTEM_CONFIG_DIR"]) / "config",
        "global": Path(os.environ["DVC_GLOBAL_CONFIG_DIR"]) / "config",
        "repo": root / ".dvc" / "config",
        "local": root / ".dvc" / "config.local",
    }


def write_levels(root: Path, levels: dict[str, str]) -> None:
    (root / ".dvc").mkdir(parents=True, exist_ok=True)
    for level, path in level_files(root).items():
        if level in levels:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(levels[level], encoding="utf-8")


def dvc_view(root: Path) -> tuple:
    """What DVC composes with: its config, with the defaults `exp run` applies."""
    from dvc.config import Config

    hydra = Config(dvc_dir=str(root / ".dvc"))["hydra"]
    module = hydra.get("config_module")
    return (
        hydra.get("enabled", False),
        hydra.get("config_dir", "conf") if module is None else None,
        module,
        hydra.get("config_name", "config"),
        hydra.get("plugins_path", ""),
    )


def our_view(settings: HydraSettings) -> tuple:
    return (
        settings.enabled,
        settings.config_dir,
        settings.config_module,
        settings.config_name,
        settings.plugins_path,
    )


VALID = [
    pytest.param({}, id="no-config-at-all"),
    pytest.param({"repo": "[core]\n    autostage = true\n"}, id="no-hydra-section"),
    pytest.param({"repo": "[hydra]\n    enabled = true\n"}, id="enabled"),
    pytest.param({"repo": "[HYDRA]\n    Enabled = TRUE\n"}, id="upper-case"),
    pytest.param({"repo": '[hydra]\n    "enabled" = True\n'}, id="quoted-key"),
    pytest.param(
        {"repo": "[hydra]\n    enabled = false\n    config_dir = settings/hydra\n"},
        id="disabled-with-config-dir",
    ),
    pytest.param(
        {"repo": "[hydra]\n    enabled = true\n    config_module = proj.conf\n"},
        id="config-module",
    ),
    pytest.param(
        {"repo": '[hydra]\n    enabled = true\n    config_dir = ""\n'},
        id="empty-config-dir",
    ),
    pytest.param(
        {
            "system": "[hydra]\n    enabled = true\n    config_name = system\n",
            "global": "[hydra]\n    config_name = global\n    plugins_path = g\n",
            "repo": "[hydra]\n    config_dir = repo\n    plugins_path = r\n",
            "local": "[hydra]\n    config_dir = local\n",
        },
        id="later-levels-win",
    ),
    pytest.param(
        {
            "global": "[hydra]\n    enabled = true\n",
            "local": "[hydra]\n    enabled = false\n",
        },
        id="local-disables",
    ),
    pytest.param(
        {
            "repo": "[core]\n    remote = origin\n['remote \"origin\"']\n"
            "    url = gs://bucket\n[hydra]\n    enabled = True\n",
        },
        id="quoted-remote-section",
    ),
]


@pytest.mark.parametrize("levels", VALID)
def test_settings_match_dvc_config(tmp_path, levels):
    write_levels(tmp_path, levels)

    assert our_view(load_settings(tmp_path)) == dvc_view(tmp_path)


INVALID = [
    pytest.param(
        {"repo": "[hydra]\n    enabled = yes\n"},
        ("repo", 2, "'hydra.enabled' must be true or false, not 'yes'"),
        id="enabled-yes",
    ),
    pytest.param(
        {
            "global": "[hydra]\n    config_dir = conf\n",
            "local": "[hydra]\n    config_module = proj.conf\n",
        },
        ("local", 2, "'hydra.config_dir' and 'hydra.config_module' exclude each other"),
        id="dir-and-module-from-two-levels",
    ),
    pytest.param(
        {"system": "[hydra]\n    enabled = true\n    config-dir = conf\n"},
        ("system", 3, "unknown setting 'hydra.config-dir'"),
        id="unknown-key-in-system-level",
    ),
    pytest.param(
        {"repo": "[hydra]\n    config_dir = a, b\n"},
        ("repo", 2, "'hydra.config_dir' must be a single value"),
        id="list-value",
    ),
    pytest.param(
        {"repo": "[hydra]\n    enabled = true\n    [[sub]]\n    x = 1\n"},
        ("repo", None, "unknown setting 'hydra.sub'"),
        id="subsection",
    ),
    pytest.param(
        {"local": "[hydra]\n    enabled = true\n  [broken\n"},
        (
            "local",
            3,
            "DVC config does not parse: Invalid line ('  [broken') "
            "(matched as neither section nor keyword)",
        ),
        id="local-does-not-parse",
    ),
]


@pytest.mark.parametrize(("levels", "expected"), INVALID)
def test_invalid_settings_are_refused_like_dvc(tmp_path, levels, expected):
    from dvc.config import ConfigError

    write_levels(tmp_path, levels)
    level, line, message = expected

    with pytest.raises(ConfigError):
        dvc_view(tmp_path)
    with pytest.raises(DvcHydraError) as raised:
        load_settings(tmp_path)
    error = raised.value
    assert (error.path, error.line, error.message) == (
        str(level_files(tmp_path)[level]),
        line,
        message,
    )


def test_hydra_value_instead_of_section_is_ignored_like_dvc(tmp_path, capsys):
    write_levels(tmp_path, {"repo": "hydra = true\n[core]\n    autostage = true\n"})

    assert our_view(load_settings(tmp_path)) == dvc_view(tmp_path)
    assert capsys.readouterr().err == (
        f"dvc-hydra: warning: {level_files(tmp_path)['repo']}:1: 'hydra' is a "
        "value, not a section; DVC ignores it (write `[hydra]` and "
        "`enabled = true` below)\n"
    )


def test_config_dir_level_moves_with_its_environment_variable(tmp_path, monkeypatch):
    write_levels(tmp_path, {"global": "[hydra]\n    enabled = true\n"})
    assert load_settings(tmp_path).enabled is True

    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "elsewhere"))

    assert load_settings(tmp_path).enabled is False


def test_origin_names_the_file_and_line_of_each_setting(tmp_path):
    write_levels(
        tmp_path,
        {
            "global": "[core]\n    autostage = true\n[hydra]\n    config_name = main\n",
            "local": "[hydra]\n\n    enabled = true\n",
        },
    )
    files = level_files(tmp_path)

    settings = load_settings(tmp_path)

    assert settings.origin("config_name") == (str(files["global"]), 4)
    assert settings.origin("enabled") == (str(files["local"]), 3)
    assert settings.origin("config_dir") == (None, None)


def test_paths_are_taken_relative_to_the_dvc_root(tmp_path):
    write_levels(
        tmp_path,
        {"repo": "[hydra]\n    config_dir = ../shared\n    plugins_path = tools\n"},
    )

    settings = load_settings(tmp_path)

    assert settings.config_path == tmp_path / "../shared"
    assert settings.plugins_dir == tmp_path / "tools"
    assert settings.params_path == tmp_path / "params.yaml"


def test_unset_plugins_path_is_the_root_itself(tmp_path):
    write_levels(tmp_path, {})

    assert load_settings(tmp_path).plugins_dir == tmp_path


def dvc_project(path: Path) -> Path:
    (path / ".dvc").mkdir(parents=True)
    (path / ".dvc" / "config").write_text("")
    return path


def test_root_is_found_upwards_from_a_subfolder(tmp_path):
    root = dvc_project(tmp_path / "project")
    (root / "src" / "deep").mkdir(parents=True)

    assert resolve_roots(None, cwd=root / "src" / "deep") == [root]


def test_nearest_project_wins_over_an_outer_one(tmp_path):
    outer = dvc_project(tmp_path / "outer")
    inner = dvc_project(outer / "inner")

    assert resolve_roots(None, cwd=inner) == [inner]


def test_every_project_below_the_git_root_when_none_is_above(tmp_path):
    git(tmp_path, "init", "-q")
    first = dvc_project(tmp_path / "vision")
    second = dvc_project(tmp_path / "audio" / "speech")
    ignored = dvc_project(tmp_path / "vendor" / "other")
    (tmp_path / ".gitignore").write_text("/vendor/\n")
    git(tmp_path, "add", "vision")
    (tmp_path / "docs").mkdir()

    assert resolve_roots(None, cwd=tmp_path / "docs") == [second, first]
    assert ignored not in resolve_roots(None, cwd=tmp_path)


def test_nothing_found_outside_git_and_dvc(tmp_path):
    assert resolve_roots(None, cwd=tmp_path) == []


def test_explicit_repo_is_taken_as_it_is(tmp_path, monkeypatch):
    root = dvc_project(tmp_path / "project")
    monkeypatch.chdir(tmp_path)

    assert resolve_roots("project") == [root]
