"""``action.yml`` run step by step as a runner would, against real git and DVC.

Each "job" is a fresh clone of a bare ``origin``; a local folder is the DVC
remote; a fan-out is a plan job, one job per shard and a report job, with
the artifact hand-over done here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, git, isolate, make_project
from dvc_hydra import plan
from dvc_hydra.settings import load_settings
from test_action_harness import ActionRun, run_action
from test_run import experiments

ACTION = REPO_ROOT / "action.yml"
ACTION_FILES = ("action.yml", "pyproject.toml", "README.md", "hook")


@pytest.fixture(scope="module")
def forge(tmp_path_factory):
    """A bare origin holding the seed example, a DVC remote, and a job's Python."""
    top = tmp_path_factory.mktemp("forge")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        project = make_project(top / "project", real_dvc=True)
        # DVC pushes only cached outputs with the run cache: cache the metrics,
        # so that a later job can take the points from the run cache.
        dvc_yaml = project / "dvc.yaml"
        text = dvc_yaml.read_text()
        assert "      - metrics.json:\n          cache: false\n" in text
        dvc_yaml.write_text(text.replace(":\n          cache: false\n", "\n"))
        dvc = [sys.executable, "-m", "dvc"]
        subprocess.run(
            [*dvc, "remote", "add", "-d", "storage", str(top / "dvc-remote")],
            cwd=project,
            check=True,
        )
        git(project, "commit", "-q", "-am", "DVC remote, cached metrics")
        git(top, "clone", "-q", "--bare", str(project), str(top / "origin.git"))
        env = dict(os.environ)
    # The job's Python: a venv that sees this one's packages (DVC among them)
    # but gets dvc-hydra from the action's own folder, as a runner would.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "venv",
            "--system-site-packages",
            "--without-pip",
            str(top / "venv"),
        ],
        check=True,
    )
    action_path = top / "action"
    action_path.mkdir()
    for name in ACTION_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(
                source,
                action_path / name,
                ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
            )
        elif source.exists():
            shutil.copy(source, action_path / name)
        else:
            (action_path / name).write_text("")
    return {"top": top, "env": env, "action_path": action_path}


class Jobs:
    """Fresh clones of origin, each run as one job of one workflow run."""

    def __init__(self, forge, run_id: str) -> None:
        self.forge, self.run_id, self.count = forge, run_id, 0

    def checkout(self, depth: int | None = None) -> Path:
        self.count += 1
        path = self.forge["top"] / "jobs" / f"{self.run_id}-{self.count}"
        extra = ["--depth", str(depth)] if depth else []
        origin = f"file://{self.forge['top'] / 'origin.git'}"
        git(self.forge["top"], "clone", "-q", *extra, origin, str(path))
        return path

    def run(self, workspace: Path, **inputs: str) -> ActionRun:
        temp = workspace.parent / f"{workspace.name}-runner-temp"
        temp.mkdir()
        env = {
            key: value
            for key, value in self.forge["env"].items()
            if not key.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))
        }
        env.update(
            PATH=f"{self.forge['top'] / 'venv' / 'bin'}{os.pathsep}{env['PATH']}",
            GITHUB_ACTION_PATH=str(self.forge["action_path"]),
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_RUN_ID=self.run_id,
            GITHUB_RUN_ATTEMPT="1",
            RUNNER_TEMP=str(temp),
            CI="true",
            # Build the action's folder offline from this Python's setuptools.
            PIP_NO_INDEX="1",
            PIP_NO_BUILD_ISOLATION="0",
        )
        return run_action(ACTION, inputs, workspace, env)


def remote_refs(forge) -> list[str]:
    listed = git(
        forge["top"], "ls-remote", str(forge["top"] / "origin.git"), "refs/exps/*"
    )
    return sorted(line.split("/")[-1] for line in listed.splitlines())


def failures(run: ActionRun) -> str:
    """The action's log, then the log tail of every point that did not succeed."""
    found = run.outputs.get("results")
    if not found or not Path(found).is_file():
        return run.log
    points = json.loads(Path(found).read_text())["points"]
    tails = [
        f"--- point {p['name'] or p['index']} ({p['status']}) ---\n{p.get('log', '')}"
        for p in points
        if p["status"] != "ok"
    ]
    return "\n".join([run.log, *tails])


def test_one_job_runs_the_grid_pushes_it_and_reuses_the_run_cache(forge):
    jobs = Jobs(forge, "101")
    inputs = {
        "overrides": "train/model=resnet,efficientnet\n\ntrain/optimizer=adam\n",
        "jobs": "2",
        "sort-by": "score",
        "sort-order": "desc",
        "push": "true",
        "run-cache": "true",
    }
    first = jobs.checkout()
    run = jobs.run(first, **inputs)

    assert run.code == 0, failures(run)
    results = json.loads(Path(run.outputs["results"]).read_text())
    names = [p["name"] for p in results["points"]]
    assert names == ["grid-101-1-1", "grid-101-1-2"]
    assert [p["status"] for p in results["points"]] == ["ok", "ok"]
    assert run.outputs["best"] == "grid-101-1-2"  # EfficientNet scores higher
    assert "| **best** | grid-101-1-2 |" in run.summary
    assert remote_refs(forge) == names
    assert (forge["top"] / "dvc-remote" / "runs").is_dir()
    assert git(first, "config", "user.name") == "github-actions[bot]\n"
    assert git(first, "status", "--porcelain") == ""

    again = jobs.run(jobs.checkout(), **{**inputs, "push": "false"})
    assert again.code == 0, failures(again)
    for point in json.loads(Path(again.outputs["results"]).read_text())["points"]:
        assert "Stage 'train' is cached - skipping run" in point["log"]
        assert "Running stage 'train'" not in point["log"]


def test_fan_out_plan_shards_and_report_see_every_experiment(forge):
    jobs = Jobs(forge, "202")
    overrides = "train/optimizer=adam,sgd\ntrain/model=resnet,efficientnet"
    planned = jobs.run(jobs.checkout(), mode="plan", overrides=overrides, shards="2")
    assert planned.code == 0, failures(planned)
    matrix = json.loads(planned.outputs["matrix"])
    settings = load_settings(REPO_ROOT / "hook" / "dvc_hydra" / "example")
    points = plan.expand(overrides.splitlines(), settings)
    assert matrix == plan.matrix(points, 2)

    artifacts = forge["top"] / "artifacts-202"
    for entry in matrix["include"]:
        shard = f"{entry['shard']}/{entry['of']}"
        run = jobs.run(
            jobs.checkout(), mode="shard", shard=shard, overrides=overrides, jobs="2"
        )
        assert run.code == 0, failures(run)
        handed = artifacts / f"dvc-hydra-shard-{entry['shard']}"
        handed.mkdir(parents=True)
        shutil.copy(run.outputs["results"], handed)
        shutil.copy(run.outputs["bundle"], handed)

    reporter = jobs.checkout()
    report = jobs.run(
        reporter,
        mode="report",
        results=str(artifacts),
        **{"sort-by": "score", "sort-order": "desc"},
    )
    assert report.code == 0, failures(report)
    merged = json.loads(Path(report.outputs["results"]).read_text())
    names = [f"grid-202-1-{i}" for i in range(1, 5)]
    assert [p["name"] for p in merged["points"]] == names
    assert report.summary.startswith(
        "## dvc-hydra: 4 experiments, 4 succeeded, 0 failed"
    )
    # The experiments' refs, not `dvc exp show`: their cached metrics were
    # never pushed to the DVC remote, so this job cannot read them.
    refs = git(reporter, "for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps")
    assert sorted(refs.split()) == names
    best = max(merged["points"], key=lambda p: p["metrics"]["metrics.json"]["score"])
    assert report.outputs["best"] == best["name"]


INJECTED = ["$(touch pwned)", "`touch pwned`", "a;touch pwned", "it's"]
NAME = "inj;`touch${IFS}pwned`$(touch${IFS}pwned)"


def test_inputs_reach_dvc_literally_and_create_no_file(forge):
    jobs = Jobs(forge, "303")
    quoted = ",".join(f'"{v}"' if "'" in v else f"'{v}'" for v in INJECTED)
    workspace = jobs.checkout()
    run = jobs.run(workspace, overrides=f"train.model.weights={quoted}", name=NAME)
    assert run.code == 0, failures(run)
    shown = experiments(workspace)
    names = [f"{NAME}-303-1-{i}" for i in range(1, 5)]
    weights = [
        shown[n]["params"]["params.yaml"]["train"]["model"]["weights"] for n in names
    ]
    assert weights == INJECTED

    # One -S value per line: a newline splits a value, and Hydra refuses the halves.
    split = jobs.run(jobs.checkout(), overrides="train.model.weights='a\ntouch pwned'")
    assert split.code == 2
    assert 'dvc-hydra: cannot parse override "train.model.weights=\'a"' in split.log
    assert list(forge["top"].rglob("pwned")) == []


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param(
            {"mode": "shard", "overrides": "a=1"},
            "input 'shard' (K/N) is required in shard mode",
            id="shard-without-k-n",
        ),
        pytest.param(
            {"overrides": " \n\t\n"},
            "input 'overrides' is required in run mode",
            id="blank-overrides",
        ),
        pytest.param(
            {"mode": "plan; touch pwned", "overrides": "a=1"},
            "input 'mode' must be run, plan, shard or report",
            id="unknown-mode",
        ),
    ],
)
def test_missing_or_wrong_inputs_stop_before_anything_runs(
    forge, inputs, message, request
):
    jobs = Jobs(forge, f"404-{request.node.callspec.id}")
    run = jobs.run(jobs.checkout(), **inputs)
    assert run.code == 2
    assert f"::error title=dvc-hydra::{message}" in run.log
    assert run.ran == ["Check inputs"]


def test_shallow_clone_is_refused_with_the_fix(forge):
    jobs = Jobs(forge, "505")
    run = jobs.run(jobs.checkout(depth=1), overrides="train/optimizer=adam,sgd")
    assert run.code == 2
    assert "shallow clone" in run.log and "set `fetch-depth: 0`" in run.log


def test_empty_grid_is_a_clear_error(forge):
    jobs = Jobs(forge, "606")
    run = jobs.run(
        jobs.checkout(), mode="plan", overrides="train.optimizer.lr=range(0,0)"
    )
    assert run.code == 2
    assert "so the grid is empty" in run.log
