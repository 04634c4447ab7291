"""``dvc-hydra sweep`` on hostile input: exit 2, one short message, nothing touched."""

from __future__ import annotations

import subprocess

import pytest

from dvc_hydra.cli import main
from dvc_hydra.gridsize import MAX_POINTS, check, values_count
from dvc_hydra.overrides import parse

LIMIT_HINT = (
    "  hint: narrow the grid (fewer values, a larger range step), or split it "
    "into several sweeps and run them one after another\n"
)
OUTSIDE_HINT = (
    "  hint: name params files by their path inside the project, "
    "for example -S 'conf/other.yaml:a=1'\n"
)
NOT_ENABLED = (
    "dvc-hydra: hydra is not enabled in {root}: as DVC does, the overrides are "
    "applied to params.yaml as it stands\n"
)


def sweep(project, *args):
    return main(["sweep", "--repo", str(project), *args])


def git_status(project):
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        pytest.param("../outside.yaml", "{parent}/outside.yaml", id="parent"),
        pytest.param("{parent}/outside.yaml", "{parent}/outside.yaml", id="absolute"),
        pytest.param("link/outside.yaml", "link/outside.yaml", id="symlinked-folder"),
        pytest.param("linked.yaml", "linked.yaml", id="symlinked-file"),
    ],
)
def test_params_file_outside_the_root(seed_project, capsys, monkeypatch, target, shown):
    parent = seed_project.parent
    (parent / "outside.yaml").write_text("a: 0\n")
    (seed_project / "link").symlink_to(parent)
    (seed_project / "linked.yaml").symlink_to(parent / "outside.yaml")
    monkeypatch.chdir(seed_project)
    target = target.format(parent=parent)

    assert sweep(seed_project, "-S", f"{target}:+b=1,2") == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"dvc-hydra: {shown.format(parent=parent)}: params file is outside the "
        f"DVC root\n{OUTSIDE_HINT}"
    )
    assert (parent / "outside.yaml").read_text() == "a: 0\n"


def test_params_file_in_a_missing_folder(seed_project, capsys, monkeypatch):
    monkeypatch.chdir(seed_project)
    before = git_status(seed_project)

    assert sweep(seed_project, "-S", "sub/dir/n.json:+c=3") == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "dvc-hydra: sub/dir/n.json: the params file's folder 'sub/dir' does not "
        "exist\n  hint: create the folder first, or fix the path: DVC creates a "
        "missing params file, but not its folder\n"
    )
    assert git_status(seed_project) == before


def test_missing_params_file_in_an_existing_folder_is_fine(seed_project, capsys):
    (seed_project / "sub").mkdir()

    assert sweep(seed_project, "-S", "sub/n.json:+c=3,4") == 0

    out, err = capsys.readouterr()
    assert out == (
        '[{"sub/n.json": ["+c=3"], "params.yaml": []}, '
        '{"sub/n.json": ["+c=4"], "params.yaml": []}]\n'
    )
    assert err == "dvc-hydra: 2 points compose\n"
    assert not (seed_project / "sub" / "n.json").exists()


def limit_error(total, override=None, alone=None):
    where = f"; {override!r} alone makes {alone}" if override else ""
    return (
        f"dvc-hydra: the sweep makes {total} points, more than the limit of "
        f"100,000{where}\n{LIMIT_HINT}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["-S", "train.optimizer.lr=range(0,1,0.0000001)", "--format", "matrix"],
            limit_error("10,000,001"),
            id="tiny-float-step",
        ),
        pytest.param(
            ["-S", "train.optimizer.lr=range(0,inf)"],
            limit_error("infinitely many"),
            id="infinite-stop",
        ),
        pytest.param(
            ["-S", "train.optimizer.lr=sort(range(0,inf),reverse=true)"],
            limit_error("infinitely many"),
            id="infinite-start",
        ),
        pytest.param(
            ["-S", "train.optimizer.lr=range(0,1,1e-300)"],
            limit_error("about 1E+300"),
            id="step-1e-300",
        ),
        pytest.param(
            ["-S", "train.optimizer.lr=range(0,10000000000000)"],
            limit_error("about 1E+13"),
            id="ten-trillion",
        ),
        pytest.param(
            ["-S", "a=range(0,1000)", "-S", "other.yaml:b=range(0,1000)"],
            limit_error("1,000,000", "a=range(0,1000)", "1,000"),
            id="product-across-files",
        ),
        pytest.param(
            ["-S", "train.optimizer.lr=range(0,40000)", "-S", "train/model=glob(*)"],
            limit_error("120,000", "train.optimizer.lr=range(0,40000)", "40,000"),
            id="glob-counted-after-listing",
        ),
        pytest.param(
            ["-S", "a=range(1,5,0)"],
            "dvc-hydra: range sweep 'a=range(1,5,0)' is invalid: its step is zero\n"
            "  hint: give a step other than zero\n",
            id="zero-int-step",
        ),
        pytest.param(
            ["-S", "a=range(0,1,0.0)"],
            "dvc-hydra: range sweep 'a=range(0,1,0.0)' is invalid: its step is "
            "zero\n  hint: give a step other than zero\n",
            id="zero-float-step",
        ),
        pytest.param(
            ["-S", "a=range(0,nan)"],
            "dvc-hydra: range sweep 'a=range(0,nan)' is invalid: a bound or the "
            "step is not a number\n"
            "  hint: give numbers, for example range(0, 1, 0.1)\n",
            id="nan-bound",
        ),
        pytest.param(
            ["-S", "+a=range(0,inf)", "-S", "+a=1,2"],
            None,
            id="replaced-range-is-not-counted",
        ),
    ],
)
def test_grid_size_and_broken_ranges(seed_project, capsys, args, message):
    (seed_project / "other.yaml").write_text("b: 0\n")
    code = sweep(seed_project, *args)

    out, err = capsys.readouterr()
    if message is None:
        assert code == 0
        assert out == '[{"params.yaml": ["+a=1"]}, {"params.yaml": ["+a=2"]}]\n'
        return
    assert code == 2
    assert out == ""
    assert err == message


def test_limit_is_inclusive():
    (lr,) = parse(["lr=range(0,100000)"])
    (model,) = parse(["m=a,b"])
    assert values_count(lr) == MAX_POINTS

    check([(lr, values_count(lr))])
    with pytest.raises(Exception, match="makes 200,000 points"):
        check([(lr, values_count(lr)), (model, values_count(model))])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["-S", "train/model=glob(*),resnet"],
            "dvc-hydra: sweep 'train/model=glob(*),resnet' mixes glob(...) with "
            "other values\n  hint: sweep a glob alone, for example "
            "train/model=glob(*), or list the options: key=a,b\n",
            id="glob-in-a-list",
        ),
        pytest.param(
            ["-S", "="],
            "dvc-hydra: override '=' has an empty key\n"
            "  hint: write KEY=VALUE, for example train.optimizer.lr=0.1\n",
            id="empty-key",
        ),
        pytest.param(
            ["-S", "train/model=resnet,efficientnet", "--shard", "1/\u0663"],
            "dvc-hydra: --shard '1/\u0663' is not of the form K/N\n"
            "  hint: for example --shard 2/4: the second of four shards\n",
            id="non-ascii-digit-in-shard",
        ),
        pytest.param(
            ["-S", "train/model=resnet,efficientnet", "--shard", "\u00a01/2"],
            "dvc-hydra: --shard '\\xa01/2' is not of the form K/N\n"
            "  hint: for example --shard 2/4: the second of four shards\n",
            id="non-ascii-space-in-shard",
        ),
        pytest.param(
            ["-S", "train.optimizer.name=" + "[" * 150 + "]" * 150],
            "dvc-hydra: override 'train.optimizer.name="
            + "[" * 150
            + "]" * 27
            + "… nests lists or dicts more than 32 levels deep\n"
            "  hint: put deeply nested values in a config file instead\n",
            id="deeply-nested",
        ),
    ],
)
def test_messages(seed_project, capsys, args, message):
    assert sweep(seed_project, *args) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == message


def test_hydra_off_glob_over_params_yaml_asks_for_hydra(seed_project, capsys):
    (seed_project / ".dvc" / "config").write_text("")

    assert sweep(seed_project, "-S", "train/model=glob(*)") == 2

    assert capsys.readouterr().err == (
        NOT_ENABLED.format(root=seed_project)
        + "dvc-hydra: glob sweep 'train/model=glob(*)' chooses among a config "
        "group's options, and Hydra is not enabled\n"
        "  hint: enable it with `dvc config hydra.enabled true`, or list the "
        "values instead: key=a,b,c\n"
    )


def test_hydra_off_group_override_asks_for_hydra(seed_project, capsys):
    (seed_project / ".dvc" / "config").write_text("")

    assert sweep(seed_project, "-S", "train/optimizer=adam") == 2

    assert capsys.readouterr().err == (
        NOT_ENABLED.format(root=seed_project)
        + "dvc-hydra: 1 of 1 points do not compose:\n"
        "  point 1: train/optimizer=adam\n"
        "    params.yaml: cannot apply the overrides: Could not override "
        "'train/optimizer'.\n"
        "    hint: 'train/optimizer' looks like a config group, which needs "
        "Hydra: `dvc config hydra.enabled true`\n"
    )


def test_failing_point_shows_a_long_override_cut_on_one_line(seed_project, capsys):
    value = "x\n" + "y" * 300
    override = f"+train.note='{value}',ok"

    assert sweep(seed_project, "-S", override, "-S", "train.nope=1") == 2

    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == [
        "dvc-hydra: 2 of 2 points do not compose:",
        "  point 1: +train.note='x\\n" + "y" * 183 + "… train.nope=1",
    ]
