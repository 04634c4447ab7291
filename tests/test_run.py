"""``dvc-hydra run`` on the seed example with real DVC: experiments, run cache."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import git, isolate, make_project
from dvc_hydra import plan, results
from dvc_hydra.cli import main
from dvc_hydra.settings import load_settings

GRID = ["-S", "train/optimizer=adam,sgd", "-S", "train/model=resnet,efficientnet"]
FAILING = ["-S", "train.optimizer.lr=0.25,null,0.5"]  # train.py cannot use a null lr
EXPERIMENT_REF = re.compile(r"refs/exps/[0-9a-f]{2}/[0-9a-f]{38}/[^/]+$")
RAN = "Running stage 'train'"
PROGRESS = re.compile(r"^(\d+)/(\d+) (\S+) \d+\.\ds (\S+( run)?)$", re.MULTILINE)


def workspace(root: Path) -> dict[str, object]:
    """Everything a user could notice: files, index, stashes, refs outside refs/exps."""
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and path.relative_to(root).parts[0] != ".git"
        and path.relative_to(root).parts[:2] not in ((".dvc", "tmp"), (".dvc", "cache"))
    }
    refs = git(root, "for-each-ref", "--format=%(refname) %(objectname)")
    return {
        "files": files,
        "status": git(root, "status", "--porcelain=v2", "--untracked-files=all"),
        "index": git(root, "diff", "--cached"),
        "stash": git(root, "stash", "list"),
        "refs": [ref for ref in refs.splitlines() if not ref.startswith("refs/exps/")],
    }


def leftovers(root: Path) -> dict[str, object]:
    """What an interrupted or finished run must not leave behind."""
    exps = root / ".dvc" / "tmp" / "exps"
    return {
        "executor folders": sorted(p.name for p in exps.glob("standalone/tmp*")),
        "info files": sorted(p.name for p in exps.glob("standalone/run/*")),
        "queue info files": sorted(p.name for p in exps.glob("run/*")),
        "stash refs": [
            ref
            for ref in git(root, "for-each-ref", "--format=%(refname)").split()
            if ref.startswith("refs/exps/") and not EXPERIMENT_REF.match(ref)
        ],
    }


NOTHING_LEFT = {
    "executor folders": [],
    "info files": [],
    "queue info files": [],
    "stash refs": [],
}


def experiments(root: Path) -> dict[str, dict]:
    """``dvc exp show --json``, as name -> {rev, params, metrics}."""
    shown = json.loads(
        subprocess.run(
            ["dvc", "exp", "show", "--json"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    found = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                assert "data" in rev, f"dvc exp show failed on {rev}"
                data = rev["data"]
                found[rev["name"]] = {
                    "rev": rev["rev"],
                    "params": _read(data["params"], rev["name"]),
                    "metrics": _read(data["metrics"], rev["name"]),
                }
    return found


def _read(files: dict[str, dict], name: str) -> dict[str, object]:
    """Each file's values; a file DVC could not read fails with DVC's error."""
    unread = {path: entry for path, entry in files.items() if "data" not in entry}
    assert not unread, f"dvc exp show could not read files of {name}: {unread}"
    return {path: entry["data"] for path, entry in files.items()}


@dataclass
class Run:
    code: int
    stderr: str
    results: dict
    summary: str

    @property
    def points(self) -> list[dict]:
        return self.results["points"]


def run_cli(root: Path, out: Path, label: str, *args: str) -> Run:
    stderr = io.StringIO()
    results, summary = out / f"{label}.json", out / f"{label}.md"
    with contextlib.redirect_stderr(stderr):
        outputs = ["--json", str(results), "--summary", str(summary)]
        code = main(["run", "--repo", str(root), *outputs, *args])
    return Run(
        code,
        stderr.getvalue(),
        json.loads(results.read_text()) if results.exists() else {},
        summary.read_text() if summary.exists() else "",
    )


def conf_value(root: Path, group: str, option: str, key: str) -> object:
    return yaml.safe_load((root / "conf" / group / f"{option}.yaml").read_text())[key]


@dataclass
class Story:
    root: Path
    before: dict
    after: dict
    grid: Run
    grid_exps: dict
    failing: Run
    cached: Run
    exps: dict


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    """One project, three runs: a 2x2 grid, a grid with a failing point, the grid again.

    The project has a dvc.lock; the workspace carries a hand edit of
    params.yaml, another unstaged edit, a staged edit and an untracked file,
    which every run must leave exactly as they were.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        root = make_project(tmp_path_factory.mktemp("run") / "project", real_dvc=True)
        out = tmp_path_factory.mktemp("out")
        subprocess.run(["dvc", "repro", "-q"], cwd=root, check=True)
        git(root, "add", "dvc.lock", "metrics.json", ".gitignore")
        git(root, "commit", "-q", "-m", "reproduced")
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("lr: 0.001", "lr: 0.5"))
        with (root / ".dvcignore").open("a") as stream:
            stream.write("# an unstaged edit\n")
        woof = root / "conf" / "dataset" / "imagewoof.yaml"
        woof.write_text(woof.read_text() + "# a staged edit\n")
        git(root, "add", str(woof))
        (root / "notes.txt").write_text("untracked\n")

        before = workspace(root)
        grid = run_cli(
            root,
            out,
            "grid",
            *GRID,
            "-j",
            "2",
            "--name",
            "grid",
            "--sort-by",
            "score",
            "--sort-order",
            "desc",
        )
        grid_exps = experiments(root)
        failing = run_cli(root, out, "failing", *FAILING, "-j", "2", "--name", "bad")
        cached = run_cli(root, out, "cached", *GRID, "-j", "2", "--name", "again")
        return Story(
            root,
            before,
            workspace(root),
            grid,
            grid_exps,
            failing,
            cached,
            experiments(root),
        )


def progress(run: Run) -> list[tuple[int, int, str, str]]:
    return [
        (int(n), int(of), name, status)
        for n, of, name, status, _ in PROGRESS.findall(run.stderr)
    ]


def test_grid_reports_progress_as_points_finish(story):
    assert story.grid.code == 0
    lines = progress(story.grid)
    assert [(n, of) for n, of, _, _ in lines] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert sorted(name for _, _, name, _ in lines) == [f"grid-{i}" for i in range(1, 5)]
    assert {status for *_, status in lines} == {"ok"}
    assert story.grid.stderr.endswith("dvc-hydra: 4 of 4 points succeeded\n")


def test_grid_points_are_experiments_in_dvc_exp_show(story):
    baseline = git(story.root, "rev-parse", "HEAD").strip()
    assert story.grid.results["baseline"] == baseline
    assert {p["name"] for p in story.grid.points} == set(story.grid_exps)
    for point in story.grid.points:
        shown = story.grid_exps[point["name"]]
        assert (
            point["ref"] == f"refs/exps/{baseline[:2]}/{baseline[2:]}/{point['name']}"
        )
        assert git(story.root, "rev-parse", point["ref"]).strip() == point["rev"]
        assert point["rev"] == shown["rev"]
        assert point["params"] == shown["params"]
        assert point["metrics"] == shown["metrics"]


def test_grid_experiments_have_the_right_params_and_metrics(story):
    settings = load_settings(story.root)
    expected = plan.expand([GRID[1], GRID[3]], settings, "grid")
    assert [p["overrides"] for p in story.grid.points] == [
        p.overrides for p in expected
    ]
    # What ``report`` compares to tell this grid's shards from another grid's.
    assert story.grid.results["grid"] == results.grid_identity(
        [p.overrides for p in expected]
    )
    for point in story.grid.points:
        choices = dict(o.split("=") for o in point["overrides"]["params.yaml"])
        train = story.grid_exps[point["name"]]["params"]["params.yaml"]["train"]
        model, optimizer = choices["train/model"], choices["train/optimizer"]
        assert train["model"]["name"] == conf_value(
            story.root, "train/model", model, "name"
        )
        assert train["optimizer"] == yaml.safe_load(
            (
                story.root / "conf" / "train" / "optimizer" / f"{optimizer}.yaml"
            ).read_text()
        )
        score = len(train["model"]["name"]) * train["optimizer"]["lr"]
        assert story.grid_exps[point["name"]]["metrics"] == {
            "metrics.json": {"score": score}
        }


def test_runs_leave_the_workspace_exactly_as_it_was(story):
    assert story.after == story.before
    assert leftovers(story.root) == NOTHING_LEFT


def test_summary_marks_the_best_point_and_charts_the_metric(story):
    ranked = sorted(
        story.grid.points, key=lambda p: -p["metrics"]["metrics.json"]["score"]
    )
    top = ranked[0]
    score = top["metrics"]["metrics.json"]["score"]
    summary = story.grid.summary
    assert summary.startswith("## dvc-hydra: 4 experiments, 4 succeeded, 0 failed\n")
    assert f"| **best** | {top['name']} |" in summary
    assert summary.count("**best**") == 1
    assert (
        f"Best by `metrics.json:score` (highest): **{top['name']}** with {score}"
        in summary
    )
    names = ", ".join(f'"{p["name"]}"' for p in ranked)
    values = ", ".join(
        repr(float(p["metrics"]["metrics.json"]["score"])) for p in ranked
    )
    assert '```mermaid\nxychart-beta\n    title "metrics.json:score"\n' in summary
    assert (
        f'    x-axis [{names}]\n    y-axis "score"\n    bar [{values}]\n```' in summary
    )


def test_a_failing_point_is_reported_while_the_others_succeed(story):
    run = story.failing
    assert run.code == 1
    assert [p["status"] for p in run.points] == ["ok", "failed", "ok"]
    assert "TypeError" in run.points[1]["log"]
    assert run.points[1]["ref"] is None and run.points[1]["metrics"] == {}
    assert run.points[1]["params"]["params.yaml"]["train"]["optimizer"]["lr"] is None
    assert {"bad-1", "bad-3"} <= set(story.exps) and "bad-2" not in story.exps
    assert run.stderr.endswith("dvc-hydra: 2 of 3 points succeeded; failed: bad-2\n")
    assert "### Failed points" in run.summary
    assert "<details><summary>bad-2: failed after " in run.summary
    assert "overrides: train.optimizer.lr=null\n" in run.summary


def test_second_run_of_the_grid_is_served_from_the_run_cache(story):
    ran = [p["name"] for p in story.grid.points if RAN in p["log"]]
    # grid-3 (sgd, resnet) is what dvc.lock already records: DVC skips it.
    assert ran == ["grid-1", "grid-2", "grid-4"]
    assert story.cached.code == 0
    for first, again in zip(story.grid.points, story.cached.points):
        assert again["overrides"] == first["overrides"]
        assert RAN not in again["log"]
        if RAN in first["log"]:
            assert "Stage 'train' is cached - skipping run" in again["log"]
        assert again["metrics"] == first["metrics"]
        assert story.exps[again["name"]]["metrics"] == first["metrics"]


def test_taken_experiment_names_are_refused_before_anything_runs(story, capsys):
    code = main(["run", "--repo", str(story.root), *GRID, "--name", "grid"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "dvc-hydra: experiment(s) 'grid-1', 'grid-2', 'grid-3', 'grid-4' already exist"
    )
    assert "hint: choose another --name" in err


def test_a_point_that_does_not_compose_stops_the_run_before_it_starts(story, capsys):
    refs_before = git(story.root, "for-each-ref", "refs/exps")
    code = main(["run", "--repo", str(story.root), "-S", "train/model=resnet,nope"])
    assert code == 2
    assert "1 of 2 points do not compose" in capsys.readouterr().err
    assert git(story.root, "for-each-ref", "refs/exps") == refs_before


def test_shallow_clone_is_refused_with_the_fix(story, tmp_path, capsys):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{story.root}", str(clone))
    assert main(["run", "--repo", str(clone), *GRID]) == 2
    err = capsys.readouterr().err
    assert "shallow clone" in err and "`fetch-depth: 0`" in err


def test_resume_refuses_results_of_another_commit(story, tmp_path, capsys):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 1, "baseline": "0" * 40, "points": []}))
    assert main(["run", "--repo", str(story.root), *GRID, "--resume", str(other)]) == 2
    assert "these results are from commit 0000000" in capsys.readouterr().err


INJECTED = [
    "$(touch pwned)",
    "`touch pwned`",
    "a;touch pwned",
    "it's",
    "a\ntouch pwned",
]


def test_shell_characters_reach_dvc_literally(story, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    quoted = [f'"{v}"' if "'" in v else f"'{v}'" for v in INJECTED]
    sweep = "train.model.weights=" + ",".join(quoted)
    code = main(
        ["run", "--repo", str(story.root), "-S", sweep, "-j", "2", "--name", "inj"]
    )
    assert code == 0, capsys.readouterr().err
    shown = experiments(story.root)
    weights = [
        shown[f"inj-{i}"]["params"]["params.yaml"]["train"]["model"]["weights"]
        for i in range(1, len(INJECTED) + 1)
    ]
    assert weights == INJECTED
    assert list(story.root.rglob("pwned")) == []
    assert list(tmp_path.rglob("pwned")) == []


@pytest.mark.parametrize(
    ("option", "target", "message"),
    [
        pytest.param(
            "--json",
            "/proc/nope/x.json",
            "/proc/nope/x.json: cannot write --json here: No such file or directory\n",
            id="json-under-proc",
        ),
        pytest.param(
            "--json",
            "afile/x.json",
            "afile/x.json: cannot write --json here: {tmp}/afile is a file, "
            "not a folder\n",
            id="json-under-a-file",
        ),
        pytest.param(
            "--bundle",
            "afile/deeper/b.bundle",
            "afile/deeper/b.bundle: cannot write --bundle here: {tmp}/afile is a "
            "file, not a folder\n",
            id="bundle-under-a-file",
        ),
        pytest.param(
            "--json",
            "adir",
            "adir: --json names a folder; it takes a file\n"
            "  hint: name a file in it, such as --json adir/results.json\n",
            id="json-folder",
        ),
        pytest.param(
            "--summary",
            "adir",
            "adir: --summary names a folder; it takes a file\n"
            "  hint: name a file in it, such as --summary adir/summary.md\n",
            id="summary-folder",
        ),
    ],
)
def test_outputs_that_cannot_be_written_are_refused_before_anything_runs(
    story, tmp_path, monkeypatch, capsys, option, target, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    (tmp_path / "adir").mkdir()
    refs_before = git(story.root, "for-each-ref", "refs/exps")
    code = main(["run", "--repo", str(story.root), *GRID, option, target])
    assert (code, capsys.readouterr().err) == (
        2,
        "dvc-hydra: " + message.format(tmp=tmp_path),
    )
    assert git(story.root, "for-each-ref", "refs/exps") == refs_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile"]
    assert list((tmp_path / "adir").iterdir()) == []


def test_missing_output_folders_are_not_left_behind_by_the_check(tmp_path):
    from dvc_hydra.commands.run import check_outputs

    check_outputs(("--json", tmp_path / "a" / "b" / "r.json"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("inf", id="infinite"),
        pytest.param("nan", id="not-a-number"),
        pytest.param("1e300", id="absurd"),
        pytest.param("0", id="zero"),
        pytest.param("soon", id="text"),
    ],
)
def test_timeouts_that_are_no_number_of_seconds_are_usage_errors(value, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", "-S", "a=1", "--timeout", value])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.endswith(
        "dvc-hydra run: error: argument --timeout: must be a number of seconds "
        f"more than 0 and at most 604800, not {value!r}\n"
    )


def test_resume_file_of_the_wrong_shape_is_a_usage_error(story, tmp_path, capsys):
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"version": 1, "baseline": 5, "points": []}))
    code = main(["run", "--repo", str(story.root), *GRID, "--resume", str(previous)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"dvc-hydra: {previous}: 'baseline' must be a commit or null\n"
        "  hint: results files are written by `dvc-hydra run --json PATH`; "
        "was it edited?\n",
    )
