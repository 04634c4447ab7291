"""action.yml and the example workflow: GitHub schemas, zizmor, no code expressions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / "examples").glob("*.yml"))


def tool(name: str) -> str:
    """A console script installed next to this Python (the test extra's tools)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def test_there_is_an_example_workflow():
    assert [path.name for path in WORKFLOWS] == ["grid-fanout.yml"]


@pytest.mark.parametrize(
    ("path", "schema"),
    [pytest.param(REPO_ROOT / "action.yml", "vendor.github-actions", id="action")]
    + [
        pytest.param(path, "vendor.github-workflows", id=path.name)
        for path in WORKFLOWS
    ],
)
def test_valid_against_githubs_schema(path, schema):
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "ok -- validation done\n"


def test_zizmor_offline_finds_nothing():
    files = ["action.yml", *(str(path.relative_to(REPO_ROOT)) for path in WORKFLOWS)]
    done = subprocess.run(
        # CI=true makes zizmor colour its output unless told not to.
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", *files],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("No findings to report. Good job!")


def run_steps(path: Path) -> list[str]:
    spec = yaml.safe_load(path.read_text())
    if "runs" in spec:
        return [step["run"] for step in spec["runs"]["steps"] if "run" in step]
    return [
        step["run"]
        for job in spec["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


@pytest.mark.parametrize(
    "path",
    [pytest.param(REPO_ROOT / "action.yml", id="action")]
    + [pytest.param(path, id=path.name) for path in WORKFLOWS],
)
def test_no_expression_is_pasted_into_shell_code(path):
    for code in run_steps(path):
        assert "${{" not in code


def test_actions_are_pinned_to_full_commit_shas():
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if line.strip().startswith(("uses:", "- uses:")):
                ref = line.split("uses:", 1)[1].split("#")[0].strip()
                name, _, sha = ref.partition("@")
                assert len(sha) == 40 and int(sha, 16) >= 0, line
                assert "# v" in line, f"say which release {name} is pinned to"
