"""The ``sweep`` subcommand: DVC's shape, tables, GitHub matrices, shards, errors."""

from __future__ import annotations

import ast
import json
import re
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvc_hydra.cli import main
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.plan import MAX_SHARDS, Point, matrix, parse_shard, select_shard
from test_plan import dvc_points

GRID = ["-S", "train/optimizer=adam,sgd", "-S", "train/model=resnet,efficientnet"]
GRID_VALUES = ["train/optimizer=adam,sgd", "train/model=resnet,efficientnet"]


def sweep(project, *args):
    return main(["sweep", "--repo", str(project), *args])


def test_json_is_dvc_shape_and_nothing_else(seed_project, capsys):
    assert sweep(seed_project, *GRID) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == dvc_points(GRID_VALUES)
    assert out == json.dumps(dvc_points(GRID_VALUES)) + "\n"
    assert err == "dvc-hydra: 4 points compose\n"


def test_names_go_to_stderr(seed_project, capsys):
    assert sweep(seed_project, *GRID, "--name", "grid") == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == dvc_points(GRID_VALUES)
    assert err == "dvc-hydra: 4 points compose\ndvc-hydra: named grid-1 to grid-4\n"


def test_glob_sweep_json(seed_project, capsys):
    assert sweep(seed_project, "-S", "train/model=glob(*,exclude=alexnet)") == 0

    listed = ["train/model=efficientnet,resnet"]
    assert json.loads(capsys.readouterr().out) == dvc_points(listed)


def test_table_shows_resulting_values_that_vary(seed_project, capsys):
    args = [*GRID, "-S", "dataset=imagenette", "--format", "table"]
    assert sweep(seed_project, *args) == 0

    out, err = capsys.readouterr()
    assert out == (
        "point  train.model.name  train.model.size  train.model.weights"
        "                    train.optimizer.name  train.optimizer.momentum\n"
        "1      ResNet            50                ResNet50_Weights.IMAGENET1K_V2"
        "         Adam                  -\n"
        "2      EfficientNet      b0                "
        "EfficientNet_B0_Weights.IMAGENET1K_V1  Adam                  -\n"
        "3      ResNet            50                ResNet50_Weights.IMAGENET1K_V2"
        "         SGD                   0.9\n"
        "4      EfficientNet      b0                "
        "EfficientNet_B0_Weights.IMAGENET1K_V1  SGD                   0.9\n"
    )
    assert err == "dvc-hydra: 4 points compose\n"


def test_table_with_names_and_other_params_file(seed_project, capsys):
    (seed_project / "other.yaml").write_text("x: 0\ny: keep\n")

    args = ["-S", "train.optimizer.lr=0.5,0.25", "-S", "other.yaml:x=1,2"]
    assert sweep(seed_project, *args, "--name", "t", "--format", "table") == 0

    assert capsys.readouterr().out == (
        "point  name  train.optimizer.lr  other.yaml:x\n"
        "1      t-1   0.5                 1\n"
        "2      t-2   0.5                 2\n"
        "3      t-3   0.25                1\n"
        "4      t-4   0.25                2\n"
    )
    assert (seed_project / "other.yaml").read_text() == "x: 0\ny: keep\n"


def test_nothing_is_written(seed_project, capsys):
    before = {
        path: path.read_bytes() for path in seed_project.rglob("*") if path.is_file()
    }

    assert sweep(seed_project, *GRID, "-S", "other.yaml:+x=1,2") == 0

    after = {
        path: path.read_bytes() for path in seed_project.rglob("*") if path.is_file()
    }
    assert after == before


def test_matrix_lists_shards_not_points(seed_project, capsys):
    assert sweep(seed_project, *GRID, "-S", "dataset=imagenette,imagewoof",
                 "--format", "matrix", "--shards", "3") == 0  # fmt: skip

    out, err = capsys.readouterr()
    assert (
        out
        == json.dumps(
            {
                "include": [
                    {"shard": 1, "of": 3, "name": "points 1-3"},
                    {"shard": 2, "of": 3, "name": "points 4-6"},
                    {"shard": 3, "of": 3, "name": "points 7-8"},
                ]
            }
        )
        + "\n"
    )
    assert err == "dvc-hydra: 8 points compose\n"


def test_matrix_has_no_more_shards_than_points(seed_project, capsys):
    assert sweep(seed_project, *GRID, "--format", "matrix") == 0

    assert json.loads(capsys.readouterr().out) == {
        "include": [{"shard": k, "of": 4, "name": f"point {k}"} for k in range(1, 5)]
    }


def test_ten_thousand_points_make_a_small_matrix(tmp_path):
    from dvc_hydra.plan import expand
    from dvc_hydra.settings import HydraSettings

    points = expand(
        ["a=range(0,100)", "b=range(0,100)"], HydraSettings(root=tmp_path, enabled=True)
    )

    found = matrix(points, 10_000)

    text = json.dumps(found)
    assert len(points) == 10_000
    assert len(found["include"]) == MAX_SHARDS
    assert len(text.encode("utf-16-le")) < 50_000
    assert found["include"][0] == {"shard": 1, "of": 256, "name": "points 1-40"}
    assert found["include"][-1] == {
        "shard": 256,
        "of": 256,
        "name": "points 9962-10000",
    }
    selected = [select_shard(points, e["shard"], e["of"]) for e in found["include"]]
    assert [point for block in selected for point in block] == points


def test_union_of_shards_is_the_grid(seed_project, capsys):
    args = [*GRID, "-S", "train.optimizer.lr=1,2"]
    assert sweep(seed_project, *args) == 0
    full = json.loads(capsys.readouterr().out)

    shards = []
    for shard in range(1, 4):
        assert sweep(seed_project, *args, "--shard", f"{shard}/3") == 0
        out, err = capsys.readouterr()
        shards.append(json.loads(out))
        first = 1 + sum(len(block) for block in shards[:-1])
        last = first + len(shards[-1]) - 1
        assert err == (
            f"dvc-hydra: {len(shards[-1])} points compose "
            f"(shard {shard}/3: points {first}-{last} of 8)\n"
        )

    assert [len(block) for block in shards] == [3, 3, 2]
    assert [point for block in shards for point in block] == full


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_shards_are_contiguous_balanced_and_complete(data):
    count = data.draw(st.integers(1, 600))
    of = data.draw(st.integers(1, min(count, MAX_SHARDS)))
    points = [Point(index, None, {}) for index in range(count)]

    blocks = [select_shard(points, shard, of) for shard in range(1, of + 1)]

    assert [point for block in blocks for point in block] == points
    sizes = [len(block) for block in blocks]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1/1", (1, 1), id="one"),
        pytest.param("3/4", (3, 4), id="plain"),
        pytest.param(" 2 / 256 ", (2, 256), id="spaces"),
    ],
)
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


def test_more_shards_than_points_is_an_error():
    points = [Point(index, None, {}) for index in range(3)]

    with pytest.raises(DvcHydraError) as caught:
        select_shard(points, 1, 4)

    assert str(caught.value) == (
        "--shard 1/4: the grid has only 3 point(s), so it splits into at most "
        "3 shard(s)\n  hint: take N from `dvc-hydra sweep --format matrix`"
    )


ERRORS = [
    pytest.param(
        ["-S", "train.optimizer.lr=[1,"],
        "dvc-hydra: cannot parse override 'train.optimizer.lr=[1,' at column 23: "
        "no viable alternative at input '[1,'\n"
        "    train.optimizer.lr=[1,\n"
        "                          ^\n"
        "  hint: overrides follow Hydra's grammar: "
        "https://hydra.cc/docs/advanced/override_grammar/basic/\n",
        id="unparsable",
    ),
    pytest.param(
        ["-S", "train.optimizer.lr=range(0,0)", "-S", "train/model=resnet,alexnet"],
        "dvc-hydra: sweep 'train.optimizer.lr=range(0,0)' yields no values, so the "
        "grid is empty\n"
        "  hint: check the bounds: range(start, stop) stops before stop\n",
        id="no-points",
    ),
    pytest.param(
        [*GRID, "--shard", "5/4"],
        "dvc-hydra: --shard '5/4' is out of range: K must be between 1 and N\n"
        "  hint: valid shards are 1/4 to 4/4\n",
        id="shard-out-of-range",
    ),
    pytest.param(
        [*GRID, "--shard", "0/0"],
        "dvc-hydra: --shard '0/0' is out of range: K must be between 1 and N\n"
        "  hint: N must be at least 1\n",
        id="shard-zero",
    ),
    pytest.param(
        [*GRID, "--shard", "2of4"],
        "dvc-hydra: --shard '2of4' is not of the form K/N\n"
        "  hint: for example --shard 2/4: the second of four shards\n",
        id="shard-malformed",
    ),
    pytest.param(
        [*GRID, "--shard", "1/8"],
        "dvc-hydra: --shard 1/8: the grid has only 4 point(s), so it splits into "
        "at most 4 shard(s)\n"
        "  hint: take N from `dvc-hydra sweep --format matrix`\n",
        id="more-shards-than-points",
    ),
    pytest.param(
        [*GRID, "--shards", "2"],
        "dvc-hydra: --shards applies to --format matrix only\n"
        "  hint: to take one shard's points, use --shard K/N\n",
        id="shards-without-matrix",
    ),
    pytest.param(
        [*GRID, "--format", "matrix", "--shards", "0"],
        "dvc-hydra: --shards must be at least 1, not 0\n",
        id="zero-shards",
    ),
    pytest.param(
        [*GRID, "--format", "matrix", "--shard", "1/2"],
        "dvc-hydra: --shard and --format matrix exclude each other: the matrix "
        "lists every shard\n",
        id="shard-with-matrix",
    ),
    pytest.param(
        ["-S", "train/model=resnet,alexnet", "-S", "other.yaml:x=1"],
        "dvc-hydra: 2 of 2 points do not compose:\n"
        "  point 1: train/model=resnet other.yaml:x=1\n"
        "    other.yaml: cannot apply the overrides: Could not override 'x'.\n"
        "    hint: To append to your config use +x=1\n"
        "  point 2: train/model=alexnet other.yaml:x=1\n"
        "    other.yaml: cannot apply the overrides: Could not override 'x'.\n"
        "    hint: To append to your config use +x=1\n",
        id="other-file-missing-key",
    ),
    pytest.param(
        ["-S", "train/model=glob(*)", "-S", "train.optimizer.nope=${train.x}"],
        None,
        id="every-point-reported",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_bad_input_is_exit_2_and_one_message(seed_project, capsys, args, message):
    assert sweep(seed_project, *args) == 2

    out, err = capsys.readouterr()
    assert out == ""
    if message is None:
        assert err.startswith("dvc-hydra: 3 of 3 points do not compose:\n")
        assert [int(n) for n in re.findall(r"^  point (\d+):", err, re.M)] == [1, 2, 3]
    else:
        assert err == message


def composition_error(project, overrides):
    """What composing one point on its own says, from the composer itself."""
    from dvc_hydra.compose import compose_config
    from dvc_hydra.settings import load_settings

    with pytest.raises(DvcHydraError) as caught:
        compose_config(load_settings(project), overrides)
    return caught.value


def failure_lines(number, overrides, error):
    text = f"  point {number}: {' '.join(overrides)}\n"
    text += f"    {error.location()}{error.message}\n".replace("\n", "\n    ")
    text = text.rstrip(" ")
    return text + (f"    hint: {error.hint}\n" if error.hint else "")


@pytest.mark.parametrize(
    ("values", "failing"),
    [
        pytest.param(
            ["train/model=resnet,vgg", "train.optimizer.lr=1,2"],
            {3: ["train/model=vgg", "train.optimizer.lr=1"],
             4: ["train/model=vgg", "train.optimizer.lr=2"]},
            id="unknown-option",
        ),
        pytest.param(
            ["train/zz=a,b"],
            {1: ["train/zz=a"], 2: ["train/zz=b"]},
            id="unknown-group",
        ),
        pytest.param(
            ["train/optimizer=sgd,adam", "train.optimizer.momentum=0.5"],
            {2: ["train/optimizer=adam", "train.optimizer.momentum=0.5"]},
            id="key-missing-in-one-option",
        ),
        pytest.param(
            ["train.optimizer.lr=1,2", "+train.tag=${train.model.nam}"],
            {1: ["train.optimizer.lr=1", "+train.tag=$\\{train.model.nam\\}"],
             2: ["train.optimizer.lr=2", "+train.tag=$\\{train.model.nam\\}"]},
            id="interpolation",
        ),
    ],
)  # fmt: skip
def test_failing_points_are_all_reported(seed_project, capsys, values, failing):
    total = len(dvc_points(values))

    assert sweep(seed_project, *(arg for value in values for arg in ("-S", value))) == 2

    out, err = capsys.readouterr()
    expected = f"dvc-hydra: {len(failing)} of {total} points do not compose:\n"
    for number, overrides in failing.items():
        error = composition_error(seed_project, overrides)
        expected += failure_lines(number, overrides, error)
    assert (out, err) == ("", expected)


def test_duplicates_are_warnings(seed_project, capsys):
    assert sweep(seed_project, "-S", "train/model=resnet,alexnet,resnet") == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == dvc_points(["train/model=resnet,alexnet,resnet"])
    assert err == (
        "dvc-hydra: warning: point 3 composes exactly as point 1 "
        "(train/model=resnet vs train/model=resnet)\n"
        "dvc-hydra: 3 points compose\n"
    )


def test_different_groups_with_equal_values_are_duplicates(seed_project, capsys):
    values = [
        "train/model=resnet,alexnet",
        "train.model.name=Net",
        "train.model.size=1",
        "train.model.weights=W",
    ]

    assert sweep(seed_project, *(arg for value in values for arg in ("-S", value))) == 0

    assert capsys.readouterr().err == (
        "dvc-hydra: warning: point 2 composes exactly as point 1 (train/model=alexnet "
        "train.model.name=Net train.model.size=1 train.model.weights=W vs "
        "train/model=resnet train.model.name=Net train.model.size=1 "
        "train.model.weights=W)\n"
        "dvc-hydra: 2 points compose\n"
    )


def test_repeated_key_warns_and_matches_dvc(seed_project, capsys):
    values = [
        "train.optimizer.lr=1,2",
        "train/model=resnet,alexnet",
        "train.optimizer.lr=3",
    ]

    assert sweep(seed_project, *(arg for value in values for arg in ("-S", value))) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == dvc_points(values)
    assert err == (
        "dvc-hydra: warning: params.yaml: 'train.optimizer.lr=3' replaces the "
        "earlier 'train.optimizer.lr=1,2'; DVC silently keeps only the later one\n"
        "dvc-hydra: 2 points compose\n"
    )


def test_hydra_disabled_applies_overrides_to_params_yaml(seed_project, capsys):
    (seed_project / ".dvc" / "config").write_text("")

    values = ["train.optimizer.lr=1,2", "+train.new=3"]
    assert sweep(seed_project, "-S", values[0], "-S", values[1]) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == dvc_points(values, hydra_enabled=False)
    assert err == (
        f"dvc-hydra: hydra is not enabled in {seed_project}: as DVC does, the "
        "overrides are applied to params.yaml as it stands\n"
        "dvc-hydra: 2 points compose\n"
    )


def queued_points(output):
    """The override dicts and names `dvc exp run --queue` printed, in order."""
    overrides = [
        ast.literal_eval(match)
        for match in re.findall(r"^Queueing with overrides '(.*)'\.$", output, re.M)
    ]
    names = re.findall(
        r"^Queued experiment '(.*)' for future execution\.$", output, re.M
    )
    return overrides, names


def test_real_dvc_queue_matches(seed_dvc_project, capsys):
    # Float ranges, a group, and a params file that does not exist yet.
    values = [
        "train/model=resnet,efficientnet",
        "train.optimizer.lr=range(0.1,0.35,0.1)",
        "other.yaml:+x=1,2",
    ]
    set_args = [arg for value in values for arg in ("-S", value)]
    queued = subprocess.run(
        ["dvc", "exp", "run", "--queue", *set_args, "--name", "seed"],
        cwd=seed_dvc_project,
        capture_output=True,
        text=True,
        check=True,
    )

    assert sweep(seed_dvc_project, *set_args, "--name", "seed") == 0

    out, err = capsys.readouterr()
    overrides, names = queued_points(queued.stdout)
    assert len(overrides) == 12
    assert json.loads(out) == overrides
    assert names == [f"seed-{index}" for index in range(1, 13)]
    assert err == "dvc-hydra: 12 points compose\ndvc-hydra: named seed-1 to seed-12\n"
