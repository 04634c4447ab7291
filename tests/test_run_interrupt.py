"""Timeouts, resuming and Ctrl-C: a run stops cleanly and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import git, isolate, make_project
from test_run import NOTHING_LEFT, leftovers, progress, run_cli, workspace

# The seed example's train.py, made to sleep for TRAIN_SLEEP seconds when the
# learning rate is 0.7 or more, so that a point can outlast a timeout or a Ctrl-C.
SLOW_TRAIN = """\
import json
import os
import time

import yaml

params = yaml.safe_load(open("params.yaml"))["train"]
if os.environ.get("READY_DIR"):  # tell the test this stage is running
    open(os.path.join(os.environ["READY_DIR"], str(os.getpid())), "w").close()
if params["optimizer"]["lr"] >= 0.7:
    time.sleep(float(os.environ.get("TRAIN_SLEEP", "0")))
score = len(params["model"]["name"]) * params["optimizer"]["lr"]
json.dump({"score": score}, open("metrics.json", "w"))
"""


@pytest.fixture(scope="module")
def slow_project(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        root = make_project(tmp_path_factory.mktemp("slow") / "project", real_dvc=True)
        (root / "train.py").write_text(SLOW_TRAIN)
        git(root, "commit", "-q", "-am", "slow training")
        return root


def processes_in(root: Path) -> list[str]:
    """Processes still running anything of this project (workers, stages)."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        cwd = process.info["cwd"] or ""
        if process.pid != os.getpid() and (
            str(root) in cmdline or cwd.startswith(str(root))
        ):
            found.append(cmdline)
    return found


def test_timeout_stops_one_point_and_resume_reruns_only_it(
    slow_project, tmp_path, monkeypatch
):
    monkeypatch.setenv("TRAIN_SLEEP", "120")
    grid = ["-S", "train.optimizer.lr=0.75,0.5", "-j", "2", "--name", "t"]
    first = run_cli(slow_project, tmp_path, "first", *grid, "--timeout", "4")

    assert first.code == 1
    assert [p["status"] for p in first.points] == ["timeout", "ok"]
    assert "Running stage 'train'" in first.points[0]["log"]
    assert first.stderr.count("point 1 ran longer than") == 1
    assert "point 1 ran longer than 4s; stopping it\n" in first.stderr
    assert leftovers(slow_project) == NOTHING_LEFT
    assert processes_in(slow_project) == []

    monkeypatch.setenv("TRAIN_SLEEP", "0")
    second = run_cli(
        slow_project,
        tmp_path,
        "second",
        *grid,
        "--resume",
        str(tmp_path / "first.json"),
    )
    assert second.code == 0
    assert "1 of 2 points already succeeded" in second.stderr
    assert [(n, of, name) for n, of, name, _ in progress(second)] == [(1, 1, "t-1")]
    assert [p["status"] for p in second.points] == ["ok", "ok"]
    assert second.points[1] == first.points[1]
    assert second.points[0]["metrics"] == {"metrics.json": {"score": 6 * 0.75}}


def test_ctrl_c_stops_every_worker_and_leaves_the_workspace_as_it_was(
    slow_project, tmp_path
):
    before = workspace(slow_project)
    results = tmp_path / "results.json"
    command = [sys.executable, "-m", "dvc_hydra", "run", "--repo", str(slow_project)]
    command += ["-S", "train.optimizer.lr=0.8,0.9,0.95", "-j", "2", "--name", "c"]
    running = subprocess.Popen(
        [*command, "--json", str(results)],
        env={**os.environ, "TRAIN_SLEEP": "120"},
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while sum("train.py" in p for p in processes_in(slow_project)) < 2:
        assert time.monotonic() < deadline, "the stages never started"
        time.sleep(0.2)

    running.send_signal(signal.SIGINT)  # what a terminal does on Ctrl-C
    _, err = running.communicate(timeout=60)

    assert running.returncode == 130
    assert err.endswith(
        "dvc-hydra: 0 of 3 points succeeded; interrupted: c-1, c-2; not run: c-3\n"
        "dvc-hydra: interrupted\n"
    )
    statuses = [p["status"] for p in json.loads(results.read_text())["points"]]
    assert statuses == ["interrupted", "interrupted", "not run"]
    assert processes_in(slow_project) == []
    assert leftovers(slow_project) == NOTHING_LEFT
    assert workspace(slow_project) == before


def wait_for(found, what: str) -> None:
    deadline = time.monotonic() + 60
    while not found():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.01)


def workers_started(root: Path, ready: Path, stderr) -> None:
    wait_for(lambda: any("dvc_hydra.worker" in p for p in processes_in(root)), "them")


def executor_copied(root: Path, ready: Path, stderr) -> None:
    standalone = root / ".dvc" / "tmp" / "exps" / "standalone"
    wait_for(lambda: any(standalone.glob("**/dvc.yaml")), "an executor's copy")


def stage_running(root: Path, ready: Path, stderr) -> None:
    wait_for(lambda: any(ready.iterdir()), "a stage start")


def first_point_done(root: Path, ready: Path, stderr) -> None:
    line = "-"
    while line and not line.startswith("1/"):
        line = stderr.readline()


MOMENTS = [
    pytest.param(workers_started, "120", id="while-workers-import-dvc"),
    pytest.param(executor_copied, "120", id="while-claiming"),
    pytest.param(stage_running, "120", id="while-stages-run"),
    pytest.param(first_point_done, "0", id="between-short-points"),
]


@pytest.mark.parametrize(("moment", "sleep"), MOMENTS)
def test_ctrl_c_at_any_moment_leaves_nothing_and_names_claimed_points(
    slow_project, tmp_path, moment, sleep
):
    before, ready, results = (
        workspace(slow_project),
        tmp_path / "ready",
        tmp_path / "r.json",
    )
    ready.mkdir()
    command = [sys.executable, "-m", "dvc_hydra", "run", "--repo", str(slow_project)]
    command += ["-S", "train.optimizer.lr=0.8,0.9,0.95,0.96,0.97,0.98", "-j", "2"]
    running = subprocess.Popen(
        [*command, "--json", str(results)],
        env={**os.environ, "TRAIN_SLEEP": sleep, "READY_DIR": str(ready)},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    moment(slow_project, ready, running.stderr)
    os.killpg(running.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole group
    _, err = running.communicate(timeout=60)

    assert running.returncode == 130, err
    assert err.endswith("dvc-hydra: interrupted\n")
    assert processes_in(slow_project) == []
    assert leftovers(slow_project) == NOTHING_LEFT
    assert workspace(slow_project) == before
    # Interrupted before the grid validated, a run writes no results.
    points = json.loads(results.read_text())["points"] if results.exists() else []
    started = [p for p in points if "Running stage" in p["log"]]
    assert [p["name"] for p in started if p["name"] is None] == []
    if moment is stage_running:
        assert "interrupted" in {p["status"] for p in started}
