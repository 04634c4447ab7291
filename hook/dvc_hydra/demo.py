"""Build the bundled example as a real Git + DVC project and walk through the story.

Every step runs the real tools (git, dvc, pre-commit, dvc-hydra) as a user
would type them, and checks that the outcome is the one the story promises.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dvc_hydra.demo_files import example_dir
from dvc_hydra.errors import DvcHydraError

HOOK_CONFIG = """\
# In your own project, point at the published hook instead:
#   - repo: https://github.com/<owner>/dvc-hydra
#     rev: v0.1.0
#     hooks:
#       - id: dvc-hydra-compose
repos:
  - repo: local
    hooks:
      - id: dvc-hydra-compose
        name: compose params.yaml from conf/
        entry: {python} -m dvc_hydra compose
        language: system
        always_run: true
        pass_filenames: false
        require_serial: true
"""


class Story:
    """Runs the demo's commands in one project folder, narrating as it goes."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.env = dict(os.environ, DVC_NO_ANALYTICS="1")

    def say(self, text: str) -> None:
        print(f"\n==> {text}", flush=True)

    def run(self, *command: str, expect: int | None = 0) -> int:
        print(f"$ {shlex.join(command)}", flush=True)
        result = subprocess.run(
            command,
            cwd=self.project,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if result.stdout:
            print(_indent(result.stdout), end="", flush=True)
        if expect is not None and result.returncode != expect:
            raise DemoFailed(
                f"`{shlex.join(command)}` exited {result.returncode}, expected {expect}"
            )
        return result.returncode

    def write(self, relative: str, text: str) -> None:
        (self.project / relative).write_text(text, encoding="utf-8")


class DemoFailed(Exception):
    """A step of the story did not end as promised: exit code 1."""


def _indent(text: str) -> str:
    return "".join(f"    {line}" for line in text.splitlines(keepends=True))


def require_tools() -> None:
    missing = [tool for tool in ("git", "dvc") if shutil.which(tool) is None]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        missing.append("pre-commit")
    if missing:
        raise DvcHydraError(
            f"the demo needs {', '.join(missing)}, which is not installed",
            hint="pip install 'dvc-hydra[demo]'",
        )


def build_project(story: Story) -> None:
    story.say(f"Building the example project in {story.project}")
    shutil.copytree(example_dir(), story.project, dirs_exist_ok=True)
    story.run("git", "init", "-q", "-b", "main")
    if not _has_git_identity(story):
        story.run("git", "config", "user.name", "dvc-hydra demo")
        story.run("git", "config", "user.email", "demo@dvc-hydra.invalid")
    story.run("dvc", "init", "-q")
    story.run("dvc", "config", "hydra.enabled", "true")
    story.write(".pre-commit-config.yaml", HOOK_CONFIG.format(python=sys.executable))
    story.run(sys.executable, "-m", "pre_commit", "install")
    story.run("git", "add", "-A")
    story.run("git", "commit", "-q", "-m", "Example project with Hydra composition")


def _has_git_identity(story: Story) -> bool:
    for key in ("user.name", "user.email"):
        found = subprocess.run(
            ["git", "config", key], cwd=story.project, capture_output=True, check=False
        )
        if found.returncode != 0:
            return False
    return True


def stale_commit_is_refused(story: Story) -> None:
    story.say("Raise the learning rate in conf/ and commit without recomposing")
    sgd = story.project / "conf" / "train" / "optimizer" / "sgd.yaml"
    story.write(
        "conf/train/optimizer/sgd.yaml", sgd.read_text().replace("0.001", "0.01")
    )
    story.run("git", "add", "conf")
    story.run("git", "commit", "-m", "Raise the SGD learning rate", expect=1)
    story.say("The hook refused the commit and rewrote params.yaml; review it")
    story.run("git", "diff", "--", "params.yaml")

    story.say("Stage the recomposed params.yaml and commit again: the hook passes")
    story.run("git", "add", "params.yaml")
    story.run("git", "commit", "-m", "Raise the SGD learning rate")
    story.run(sys.executable, "-m", "dvc_hydra", "compose", "--check")


def hand_edit_is_refused(story: Story) -> None:
    story.say("Edit params.yaml by hand: the next dvc exp run would undo it")
    params = story.project / "params.yaml"
    story.write("params.yaml", params.read_text().replace("ResNet", "ResNeXt", 1))
    story.run("git", "commit", "-am", "Try another model", expect=1)
    story.say("The hook refused the commit and kept the edit; discard it instead")
    dvc_hydra(story, "compose", "--force", expect=1)
    story.run("git", "status", "--short")


GRID = ("-S", "train/optimizer=adam,sgd", "-S", "train/model=resnet,efficientnet")


def dvc_hydra(story: Story, *args: str, expect: int | None = 0) -> int:
    return story.run(sys.executable, "-m", "dvc_hydra", *args, expect=expect)


def check_finds_what_dvc_would_fail_on(story: Story) -> None:
    story.say("dvc-hydra check: dvc.yaml, every group option and params.yaml agree")
    dvc_hydra(story, "check")

    story.say("Misspell a param in dvc.yaml: DVC would fail only when it runs")
    dvc_yaml = story.project / "dvc.yaml"
    original = dvc_yaml.read_text(encoding="utf-8")
    story.write("dvc.yaml", original.replace("${dataset.url}", "${dataset.ulr}"))
    dvc_hydra(story, "check", expect=1)
    story.write("dvc.yaml", original)


def grid_is_planned_and_run(story: Story) -> None:
    story.say("Plan the grid of DVC's page: every point composes, nothing runs yet")
    dvc_hydra(story, "sweep", *GRID, "--format", "table")

    story.say("Run it: four real DVC experiments, two at a time")
    with tempfile.TemporaryDirectory(prefix="dvc-hydra-demo-") as scratch:
        summary = Path(scratch) / "summary.md"
        dvc_hydra(
            story,
            "run",
            *GRID,
            "-j",
            "2",
            "--sort-by",
            "score",
            "--sort-order",
            "desc",
            "--summary",
            str(summary),
        )
        print(_indent(summary.read_text(encoding="utf-8")), flush=True)
    story.run("dvc", "exp", "list", "--name-only")

    story.say("Run the grid again: DVC's run cache answers, no stage reruns")
    dvc_hydra(story, "run", *GRID, "-j", "2")
    story.run("git", "status", "--short")


def main(directory: str | None) -> int:
    require_tools()
    if directory is None:
        project = Path(tempfile.mkdtemp(prefix="dvc-hydra-demo-")) / "example"
    else:
        project = Path(directory).resolve()
        if project.exists() and any(project.iterdir()):
            raise DvcHydraError(
                "the demo needs an empty or new directory",
                path=directory,
                hint="pass another DIR, or none for a temporary one",
            )
    story = Story(project)
    try:
        build_project(story)
        stale_commit_is_refused(story)
        hand_edit_is_refused(story)
        check_finds_what_dvc_would_fail_on(story)
        grid_is_planned_and_run(story)
    except DemoFailed as failure:
        print(f"\ndvc-hydra demo: {failure}", file=sys.stderr)
        return 1
    story.say(f"Done. The project is in {project}")
    return 0
