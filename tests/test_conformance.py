"""Our params.yaml bytes against real DVC's, produced in the same test run.

Every repository is composed in its own process, by DVC and by us: Hydra
keeps one plugin registry and OmegaConf one resolver registry per process.
DVC's side is either a real ``dvc exp run`` or the step of it that composes
(``_update_params``, which reads DVC's config levels and calls
``dvc.utils.hydra.compose_and_dump``), run on an identical copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import DATA, git, make_project
from dvc_hydra.demo_files import example_dir

CASES = DATA / "cases"

# What `dvc exp run` does before it runs the pipeline: read DVC's config,
# group the -S values by params file and compose params.yaml.
DVC_COMPOSE = """
import os, sys
from dvc.repo import Repo
from dvc.utils.cli_parse import to_path_overrides

root, *set_params = sys.argv[1:]
os.chdir(root)
overrides = to_path_overrides(set_params)
overrides.setdefault("params.yaml", [])
try:
    Repo(root).experiments.workspace_queue._update_params(overrides)
except Exception as exc:
    print(f"{type(exc).__module__}.{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
"""


@dataclass
class Finished:
    code: int
    out: str
    err: str


def start(args, cwd, env=None):
    return subprocess.Popen(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process) -> Finished:
    out, err = process.communicate(timeout=120)
    return Finished(process.returncode, out, err)


def start_dvc(root, set_params=(), env=None):
    return start([sys.executable, "-c", DVC_COMPOSE, str(root), *set_params], root, env)


def start_ours(cwd, args, env=None):
    return start([sys.executable, "-m", "dvc_hydra", *args], cwd, env)


def write_dvc_config(root: Path, **hydra: str) -> None:
    """Set ``[hydra]`` keys in ``.dvc/config``, keeping the rest of the file."""
    from configobj import ConfigObj

    path = root / ".dvc" / "config"
    config = ConfigObj(str(path), encoding="utf-8")
    section = config.setdefault("hydra", {})
    section.update(hydra)
    config.write()


def hydra_project(path: Path, files: dict[str, str], **hydra: str) -> Path:
    """A committed Git + DVC project holding ``files``, Hydra enabled."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    git(path, "init", "-q", "-b", "main")
    (path / ".dvc").mkdir()
    (path / ".dvc" / "config").write_text("")
    write_dvc_config(path, enabled="true", **hydra)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


# --- the seed example under a real `dvc exp run` -------------------------

SEED_OVERRIDES = [
    "train/optimizer=adam",
    "train.optimizer.lr=2e-4",
    "params.yaml:dataset=imagewoof",
    "+train.note='no'",
    "+train.started=2024-07-18",
    "+train.label='naïve \u2013 日本語'",
    "+train.nothing=null",
    "+train.todo=???",
]


def seed_with_edited_conf(path: Path, real_dvc: bool) -> Path:
    project = make_project(path, real_dvc=real_dvc)
    # A conf/ change that params.yaml does not hold yet, so both must write.
    sgd = project / "conf" / "train" / "optimizer" / "sgd.yaml"
    sgd.write_text("name: SGD\nlr: 3e-4\nmomentum: 0.9\nnesterov: 'yes'\n")
    return project


@pytest.mark.parametrize(
    "set_params",
    [
        pytest.param([], id="no-overrides"),
        pytest.param(SEED_OVERRIDES, id="overrides-and-yaml-quirks"),
    ],
)
def test_seed_example_matches_dvc_exp_run(tmp_path, set_params):
    theirs = seed_with_edited_conf(tmp_path / "dvc", real_dvc=True)
    ours = seed_with_edited_conf(tmp_path / "ours", real_dvc=False)
    dvc_args = ["dvc", "exp", "run", *(f"--set-param={p}" for p in set_params)]
    dvc = start(dvc_args, theirs)
    our_args = ["compose", *(f"--set-param={p}" for p in set_params)]
    mine = finish(start_ours(ours, our_args))

    assert finish(dvc).code == 0
    assert mine.code == 1, mine.err
    assert (ours / "params.yaml").read_bytes() == (theirs / "params.yaml").read_bytes()


# --- the real config trees, through DVC's composition ----------------------


def case_variants():
    for case in sorted(CASES.iterdir()):
        for record in sorted(case.glob("compose*.result.json")):
            data = json.loads(record.read_text(encoding="utf-8"))
            variant = record.name.removeprefix("compose").removesuffix(".result.json")
            yield pytest.param(
                case.name, data, id=f"{case.name}{variant or '.default'}"
            )


# The environment each case's PROVENANCE.md names.
CASE_ENV = {"lightning-hydra-template": {"PROJECT_ROOT": "/proj"}}

# Variants that Hydra cannot compose (DVC fails on them too): our exact message.
CASE_ERRORS = {
    ("khuyentran-dstemplate", "config"): (
        "dvc-hydra: conf/config.yaml: primary config 'config.yaml' not found\n"
        "  hint: set `dvc config hydra.config_name NAME`; configs in the config "
        "dir: main\n"
    ),
    ("lightning-hydra-template", "train"): (
        "dvc-hydra: conf/hydra/default.yaml:6: defaults list asks for option "
        "'colorlog' of group 'hydra/job_logging', which does not exist\n"
        "  hint: available options in 'hydra/job_logging': default, disabled, "
        "none, stdout\n"
    ),
}


def case_project(path: Path, case: str, config_name: str) -> Path:
    shutil.copytree(CASES / case / "conf", path / "conf")
    git(path, "init", "-q", "-b", "main")
    (path / ".dvc").mkdir()
    own_config = CASES / case / "dvc-config.txt"
    config_text = own_config.read_text(encoding="utf-8") if own_config.exists() else ""
    (path / ".dvc" / "config").write_text(config_text, encoding="utf-8")
    write_dvc_config(path, enabled="True", config_name=config_name)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.mark.parametrize(("case", "record"), list(case_variants()))
def test_case_matches_dvc(tmp_path, case, record):
    env = CASE_ENV.get(case, {})
    theirs = case_project(tmp_path / "dvc", case, record["config_name"])
    ours = case_project(tmp_path / "ours", case, record["config_name"])
    set_params = record["overrides"]
    dvc = start_dvc(theirs, set_params, env)
    mine = finish(start_ours(ours, ["compose", *(f"-S{p}" for p in set_params)], env))
    dvc_result = finish(dvc)

    if record["composed"]:
        assert (dvc_result.code, mine.code) == (0, 1), (dvc_result.err, mine.err)
        ours_bytes = (ours / "params.yaml").read_bytes()
        assert ours_bytes == (theirs / "params.yaml").read_bytes()
    else:
        assert dvc_result.code == 1
        assert "MissingConfigException" in dvc_result.err
        assert mine.code == 2
        assert mine.err == CASE_ERRORS[case, record["config_name"]]
        assert not (ours / "params.yaml").exists()


# --- settings, layouts and YAML quirks, through DVC's composition ----------


@dataclass
class Layout:
    """One scenario built in a folder: DVC roots, where we start, our args."""

    roots: list[Path]
    cwd: Path
    args: list[str] = field(default_factory=lambda: ["compose"])
    set_params: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def seed_files(conf: str = "conf") -> dict[str, str]:
    files = {}
    for path in sorted(example_dir().joinpath("conf").rglob("*.yaml")):
        name = path.relative_to(example_dir() / "conf").as_posix()
        files[f"{conf}/{name}"] = path.read_text(encoding="utf-8")
    return files


def config_dir_nested(base: Path) -> Layout:
    root = hydra_project(
        base, seed_files("settings/hydra"), config_dir="settings/hydra"
    )
    return Layout([root], root, set_params=["train/optimizer=adam"])


def config_dir_outside_root(base: Path) -> Layout:
    for name, text in seed_files("shared-conf").items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text, encoding="utf-8")
    root = hydra_project(base / "project", {}, config_dir="../shared-conf")
    return Layout([root], root)


def config_name_other(base: Path) -> Layout:
    files = seed_files()
    files["conf/experiment.yaml"] = """\
        defaults:
          - config
          - override train/model: efficientnet
          - _self_
        train:
          epochs: 3
        """
    root = hydra_project(base, files, config_name="experiment")
    return Layout([root], root)


def config_module(base: Path) -> Layout:
    files = {f"pkgs/proj_conf/{k[5:]}": v for k, v in seed_files().items()}
    files["pkgs/proj_conf/__init__.py"] = ""
    root = hydra_project(base, files, config_module="proj_conf", config_name="config")
    return Layout([root], root, env={"PYTHONPATH": str(root / "pkgs")})


RESOLVER_PLUGIN = """\
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("times", lambda a, b: a * b)
    OmegaConf.register_new_resolver("shout", lambda text: text.upper() + "!")
    """

SEARCH_PATH_PLUGIN = """\
    from pathlib import Path

    from hydra.core.config_search_path import ConfigSearchPath
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    SHARED = Path(__file__).resolve().parents[3] / "shared-configs"


    class SharedConfigs(SearchPathPlugin):
        def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
            search_path.append(provider="shared", path=SHARED.as_uri())
    """


def plugins_resolver(base: Path) -> Layout:
    files = seed_files()
    files["tools/hydra_plugins/proj_resolvers/__init__.py"] = RESOLVER_PLUGIN
    files["conf/train/baseline.yaml"] = """\
        epochs: ${times:4,5}
        tag: ${shout:${.optimizer.name}}
        """
    files["conf/config.yaml"] = """\
        defaults:
          - dataset: imagenette
          - train/model: resnet
          - train/optimizer: sgd
          - train: baseline
          - _self_
        """
    root = hydra_project(base, files, plugins_path="tools")
    return Layout([root], root, set_params=["train/optimizer=adam"])


def plugins_search_path(base: Path) -> Layout:
    files = seed_files()
    files["tools/hydra_plugins/proj_searchpath/searchpath.py"] = SEARCH_PATH_PLUGIN
    files["tools/hydra_plugins/proj_searchpath/__init__.py"] = ""
    files["shared-configs/logging/quiet.yaml"] = "level: warning\nhandlers: []\n"
    files["shared-configs/logging/loud.yaml"] = "level: debug\nhandlers: [console]\n"
    files["conf/config.yaml"] = """\
        defaults:
          - dataset: imagenette
          - train/model: resnet
          - train/optimizer: sgd
          - logging: quiet
        """
    root = hydra_project(base, files, plugins_path="tools")
    return Layout([root], root, set_params=["logging=loud"])


def config_levels(base: Path) -> Layout:
    """Every level contributes one value the result depends on."""
    files = seed_files("cfg")
    files["cfg/main.yaml"] = "defaults:\n  - config\n  - _self_\nlevel: local\n"
    root = base / "project"
    root.mkdir(parents=True)
    hydra_project(root, files, config_dir="conf")
    (root / ".dvc" / "config").write_text("[hydra]\n    config_dir = wrong\n")
    (root / ".dvc" / "config.local").write_text("[hydra]\n    config_dir = cfg\n")
    levels = {
        "DVC_SYSTEM_CONFIG_DIR": "enabled = True",
        "DVC_GLOBAL_CONFIG_DIR": "config_name = main",
    }
    for variable, line in levels.items():
        folder = Path(os.environ[variable])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config").write_text(f"[hydra]\n    {line}\n")
    return Layout([root], root)


def repo_option_from_elsewhere(base: Path) -> Layout:
    root = hydra_project(base / "project", seed_files())
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Layout([root], elsewhere, args=["compose", "--repo", str(root)])


def started_in_subfolder(base: Path) -> Layout:
    files = {**seed_files(), "src/train/notes.txt": "started here\n"}
    root = hydra_project(base, files)
    return Layout([root], root / "src" / "train", set_params=["dataset=imagewoof"])


def monorepo(base: Path) -> Layout:
    roots = [base / "vision", base / "speech"]
    base.mkdir(parents=True)
    git(base, "init", "-q", "-b", "main")
    for number, root in enumerate(roots):
        for name, text in seed_files().items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        (root / ".dvc").mkdir()
        (root / ".dvc" / "config").write_text("")
        write_dvc_config(root, enabled="true", config_name="config")
        (root / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
        optimizer = ["sgd", "adam"][number]
        config = root / "conf" / "config.yaml"
        config.write_text(config.read_text().replace("sgd", optimizer))
    git(base, "add", "-A")
    git(base, "commit", "-q", "-m", "initial")
    return Layout(roots, base)


YAML_QUIRKS = """\
    defaults:
      - _self_
      - opt: fast
    answer: 'no'
    bare_no: no
    on_key: on
    null_string: 'null'
    date: 2024-07-18
    quoted_date: "2024-07-18"
    timestamp: 2024-07-18T17:44:35
    quoted_timestamp: "2024-07-18T17-44-35"
    lr: 2e-4
    lr_dot: 1.0e-3
    big: 1e10
    int_like: "007"
    octal: 0o17
    hex: 0x1F
    inf: .inf
    nan: .nan
    mandatory: ???
    nothing: null
    tilde: ~
    empty:
    explicit_null: !!null
    text: "naïve \u2013 日本語 ✓ 🙂"
    unicode_key_ä: ü
    multiline: |
      first line
      second line
    colon: "a: b"
    hash: "a # b"
    flag: "--no-cache"
    float_string: "1.5"
    items: [1, 'two', 3.0, null, 'yes']
    nested:
      ref: ${lr}
      text_ref: "lr is ${lr}"
      env: ${oc.env:QUIRK_VALUE,unset}
      mandatory: ???
    """


def yaml_quirks(base: Path) -> Layout:
    files = {
        "conf/config.yaml": YAML_QUIRKS,
        "conf/opt/fast.yaml": "speed: fast\nratio: 0.5\n",
    }
    root = hydra_project(base, files)
    return Layout(
        [root],
        root,
        set_params=["+extra='off'", "+when=2024-01-02", "opt.ratio=1e-3"],
        env={"QUIRK_VALUE": "ünïcode from the environment"},
    )


SCENARIOS = [
    pytest.param(config_dir_nested, id="config-dir-nested"),
    pytest.param(config_dir_outside_root, id="config-dir-outside-root"),
    pytest.param(config_name_other, id="config-name"),
    pytest.param(config_module, id="config-module-on-pythonpath"),
    pytest.param(plugins_resolver, id="plugins-path-custom-resolver"),
    pytest.param(plugins_search_path, id="plugins-path-search-path-plugin"),
    pytest.param(config_levels, id="system-global-repo-local-levels"),
    pytest.param(repo_option_from_elsewhere, id="repo-option"),
    pytest.param(started_in_subfolder, id="started-in-subfolder"),
    pytest.param(monorepo, id="monorepo-two-projects-below-git-root"),
    pytest.param(yaml_quirks, id="yaml-quirks"),
]


@pytest.mark.parametrize("build", SCENARIOS)
def test_scenario_matches_dvc(tmp_path, build):
    theirs = build(tmp_path / "dvc")
    ours = build(tmp_path / "ours")
    our_args = [*ours.args, *(f"-S{p}" for p in ours.set_params)]
    our_process = start_ours(ours.cwd, our_args, ours.env)
    # One after the other: DVC stages params.yaml, and a monorepo's projects
    # share one Git index.
    dvc_results = [
        finish(start_dvc(root, theirs.set_params, theirs.env)) for root in theirs.roots
    ]
    mine = finish(our_process)

    assert [r.code for r in dvc_results] == [0] * len(theirs.roots), [
        r.err for r in dvc_results
    ]
    assert mine.code == 1, mine.err
    for their_root, our_root in zip(theirs.roots, ours.roots):
        expected = (their_root / "params.yaml").read_bytes()
        assert (our_root / "params.yaml").read_bytes() == expected
    assert not (ours.cwd / "params.yaml").exists() or ours.cwd in ours.roots
