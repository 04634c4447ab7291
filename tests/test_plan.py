"""Sweep expansion compared with DVC's own expansion, in the same test run."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.plan import Point, expand
from dvc_hydra.settings import HydraSettings


def dvc_points(set_params, hydra_enabled=True):
    """What `dvc exp run --queue -S ...` queues, from DVC's own functions.

    The few lines of glue are those of dvc/repo/experiments/run.py.
    """
    from dvc.utils.cli_parse import to_path_overrides
    from dvc.utils.hydra import get_hydra_sweeps, to_hydra_overrides

    path_overrides = to_path_overrides(set_params)
    if hydra_enabled and "params.yaml" not in path_overrides:
        path_overrides["params.yaml"] = []
    sweep = any(
        override.is_sweep_override()
        for overrides in path_overrides.values()
        for override in to_hydra_overrides(overrides)
    )
    return get_hydra_sweeps(path_overrides) if sweep else [path_overrides]


def ours(set_params, root, enabled=True, name=None, warnings=None):
    hydra_settings = HydraSettings(root=root, enabled=enabled)
    warn = warnings.append if warnings is not None else lambda message: None
    return expand(set_params, hydra_settings, name, warn=warn)


CONFORMANCE = [
    pytest.param([], id="no-overrides"),
    pytest.param(["a=1"], id="single-value"),
    pytest.param(["a= 1"], id="single-value-kept-verbatim"),
    pytest.param(["a=1,2"], id="comma-list"),
    pytest.param(["a=1,2", "b=x,y,z"], id="two-lists"),
    pytest.param(["a=1,2", "b=3"], id="list-and-value"),
    pytest.param(["a= 1 , 2"], id="comma-list-with-spaces"),
    pytest.param(["a=choice(1,2)"], id="choice"),
    pytest.param(["a=choice(x)"], id="choice-of-one"),
    pytest.param(["a=range(3)"], id="range-stop-only"),
    pytest.param(["a=range(1,10,3)"], id="range-step"),
    pytest.param(["a=range(5,0,-2)"], id="range-negative-step"),
    pytest.param(["a=range(0,1,0.1)"], id="range-float-step"),
    pytest.param(["a=range(0.5,2.5)"], id="range-float-start"),
    pytest.param(["a=range(1,2,0.3)", "b=1,2"], id="range-float-and-list"),
    pytest.param(["a=sort(3,1,2)"], id="sort"),
    pytest.param(["a=sort(3,1,2,reverse=true)"], id="sort-reverse"),
    pytest.param(["a=sort(range(3,0,-1))"], id="sort-range"),
    pytest.param(["a=tag(t,choice(1,2))"], id="tagged-choice"),
    pytest.param(["+a=1,2"], id="add-prefix"),
    pytest.param(["++a=1,2", "b=3,4"], id="force-add-prefix"),
    pytest.param(["~a", "b=1,2"], id="delete-without-value"),
    pytest.param(["~a=1,2"], id="delete-sweep"),
    pytest.param(["a='x y',z"], id="quoted-with-space"),
    pytest.param(["a='a,b',c"], id="quoted-comma"),
    pytest.param(["a=x\\,y,z"], id="escaped-comma"),
    pytest.param(['a="q"', "b=1,2"], id="double-quoted-value"),
    pytest.param(["a=[1,2],[3]"], id="list-values"),
    pytest.param(["a={x:1},{y:2}"], id="dict-values"),
    pytest.param(["a=null,true,1e3,inf"], id="typed-values"),
    pytest.param(["a=${x},${y}"], id="interpolations"),
    pytest.param(["a=", "b=1,2"], id="empty-value"),
    pytest.param(["m@pk=a,b"], id="package"),
    pytest.param(["a=1,2", "a=3"], id="later-value-replaces-sweep"),
    pytest.param(["a=1", "b=2,3", "a=4,5"], id="later-sweep-keeps-first-position"),
    pytest.param(["a=1", "+a=2,3"], id="prefix-makes-another-key"),
    pytest.param(["a=range(0,0)", "a=0"], id="empty-range-replaced-later"),
    pytest.param(["a=shuffle(1,2)", "a=3,4"], id="shuffle-replaced-later"),
    pytest.param(["other.yaml:x=1,2", "a=3,4"], id="other-file-product"),
    pytest.param(["other.yaml:x=1,2"], id="other-file-only"),
    pytest.param(["other.yaml:x=1"], id="other-file-no-sweep"),
    pytest.param(["params.yaml:a=1,2", "b=3"], id="explicit-params-file"),
    pytest.param(["b.json:x=1,2", "a.yaml:y=3,4"], id="files-in-given-order"),
    pytest.param(["sub/p.yaml:+x=1,2", "a=1"], id="file-in-folder-with-prefix"),
    pytest.param(["a='http://x',y"], id="colon-after-equals-is-a-value"),
    pytest.param(["train/model=resnet,alexnet", "dataset=x,y"], id="groups"),
]


@pytest.mark.parametrize("set_params", CONFORMANCE)
def test_expansion_equals_dvc(set_params, tmp_path):
    points = ours(set_params, tmp_path)

    assert [point.overrides for point in points] == dvc_points(set_params)
    assert [point.index for point in points] == list(range(len(points)))


@pytest.mark.parametrize(
    "set_params",
    [
        pytest.param(["a=1,2"], id="sweep"),
        pytest.param(["other.yaml:x=1,2"], id="other-file-sweep"),
        pytest.param(["a=1"], id="single"),
    ],
)
def test_expansion_without_hydra_equals_dvc(set_params, tmp_path):
    points = ours(set_params, tmp_path, enabled=False)

    assert [p.overrides for p in points] == dvc_points(set_params, hydra_enabled=False)


@pytest.mark.parametrize(
    ("set_params", "names"),
    [
        pytest.param(["a=1,2,3"], ["exp-1", "exp-2", "exp-3"], id="sweep-numbered"),
        pytest.param(["a=1"], ["exp"], id="single-point-keeps-name"),
    ],
)
def test_names_follow_dvc(set_params, names, tmp_path):
    assert [p.name for p in ours(set_params, tmp_path, name="exp")] == names


def test_no_name_without_prefix(tmp_path):
    assert [p.name for p in ours(["a=1,2"], tmp_path)] == [None, None]


def test_repeated_key_warns(tmp_path):
    warnings = []

    ours(["a=1,2", "b=1", "a=3"], tmp_path, warnings=warnings)

    assert warnings == [
        "params.yaml: 'a=3' replaces the earlier 'a=1,2'; "
        "DVC silently keeps only the later one"
    ]


def test_distinct_keys_do_not_warn(tmp_path):
    warnings = []

    ours(["a=1,2", "+a=3", "other.yaml:a=4"], tmp_path, warnings=warnings)

    assert warnings == []


def group_options(project, group, include="*", exclude=()):
    """A group's options read from the config tree itself, sorted."""
    names = sorted(path.stem for path in (project / "conf" / group).glob("*.yaml"))
    return [
        name
        for name in names
        if fnmatch.fnmatch(name, include)
        and not any(fnmatch.fnmatch(name, pattern) for pattern in exclude)
    ]


@pytest.mark.parametrize(
    ("glob", "include", "exclude"),
    [
        pytest.param("glob(*)", "*", (), id="all"),
        pytest.param("glob(*,exclude=alexnet)", "*", ("alexnet",), id="exclude"),
        pytest.param("glob(*net)", "*net", (), id="pattern"),
        pytest.param("glob(*,exclude=[res*,alex*])", "*", ("res*", "alex*"), id="excl"),
    ],
)
def test_glob_sweep_expands_to_group_options(seed_project, glob, include, exclude):
    options = group_options(seed_project, "train/model", include, exclude)
    listed = "train/model=" + ",".join(options)
    set_params = [f"train/model={glob}", "train.epochs=1,2"]

    points = ours(set_params, seed_project)

    expected = dvc_points([listed, "train.epochs=1,2"])
    assert [point.overrides for point in points] == expected


@pytest.mark.parametrize(
    ("set_params", "message"),
    [
        pytest.param(
            ["a=range(0,0)"],
            "sweep 'a=range(0,0)' yields no values, so the grid is empty\n"
            "  hint: check the bounds: range(start, stop) stops before stop",
            id="empty-range",
        ),
        pytest.param(
            ["a=interval(0,1)"],
            "interval sweep 'a=interval(0,1)' is continuous; a grid needs values "
            "it can list\n"
            "  hint: use range(start, stop, step) or list the values: key=a,b,c",
            id="interval",
        ),
        pytest.param(
            ["a=shuffle(1,2)"],
            "shuffled sweep 'a=shuffle(1,2)' orders its values at random, so "
            "shards and runs would not agree on the points\n"
            "  hint: list the values in the order you want, without shuffle(...)",
            id="shuffle",
        ),
        pytest.param(
            ["a=[1,"],
            "cannot parse override 'a=[1,' at column 6: no viable alternative at "
            "input '[1,'\n    a=[1,\n         ^\n"
            "  hint: overrides follow Hydra's grammar: "
            "https://hydra.cc/docs/advanced/override_grammar/basic/",
            id="unparsable",
        ),
        pytest.param(
            ["train/zz=glob(*)"],
            "glob sweep 'train/zz=glob(*)': 'train/zz' is not a config group\n"
            "  hint: groups: dataset, train, train/model, train/optimizer",
            id="glob-unknown-group",
        ),
        pytest.param(
            ["train/model=glob(vgg*)"],
            "glob sweep 'train/model=glob(vgg*)' matches no option of "
            "'train/model'\n"
            "  hint: options of 'train/model': alexnet, efficientnet, resnet",
            id="glob-matches-nothing",
        ),
        pytest.param(
            ["other.yaml:x=glob(*)"],
            "glob sweep 'x=glob(*)' for other.yaml: globs choose among a config "
            "group's options, and only params.yaml is composed from the Hydra "
            "config tree\n  hint: list the values instead: key=a,b,c",
            id="glob-other-file",
        ),
    ],
)
def test_bad_sweeps_are_errors(seed_project, set_params, message):
    with pytest.raises(DvcHydraError) as caught:
        ours(set_params, seed_project)

    assert str(caught.value) == message


def test_empty_range_is_an_empty_grid_in_dvc(tmp_path):
    # DVC queues nothing, silently; we refuse.
    assert dvc_points(["a=range(0,0)", "b=1,2"]) == []
    with pytest.raises(DvcHydraError):
        ours(["a=range(0,0)", "b=1,2"], tmp_path)


def test_point_is_immutable_record(tmp_path):
    point = ours(["a=1,2"], tmp_path)[1]

    assert point == Point(1, None, {"params.yaml": ["a=2"]})


# Generated override lists, compared with DVC.
KEYS = st.sampled_from(["a", "b", "x.y", "g/h", "m@p"])
PREFIXES = st.sampled_from(["", "", "+", "++", "~"])
FILES = st.sampled_from(["", "", "", "other.yaml:", "params.yaml:", "b.json:"])
SCALARS = st.one_of(
    st.integers(-50, 50).map(str),
    st.floats(-10, 10, allow_nan=False).map(repr),
    st.sampled_from(["null", "true", "False", "abc", "'x y'", "'a,b'", '"q"', ""]),
    st.sampled_from(["[1,2]", "{k:1}", "${a}", "x\\,y", "inf", "1e3", "0.1"]),
)


@st.composite
def sweeps(draw):
    kind = draw(st.sampled_from(["value", "list", "choice", "range", "sort"]))
    if kind == "value":
        return draw(SCALARS)
    items = draw(st.lists(SCALARS.filter(bool), min_size=1, max_size=4))
    if kind == "list":
        return ",".join(items) if len(items) > 1 else items[0] + ",z"
    if kind == "choice":
        return f"choice({','.join(items)})"
    if kind == "sort":
        digits = draw(st.lists(st.integers(0, 9).map(str), min_size=1, max_size=4))
        return f"sort({','.join(digits)})"
    start = draw(st.integers(-5, 5))
    stop = start + draw(st.integers(0, 6))
    step = draw(st.sampled_from(["", ",1", ",2", ",0.5", ",0.1", ",0.3", ",1.5"]))
    if draw(st.booleans()):
        return f"range({float(start)},{stop}{step})"
    return f"range({start},{stop}{step})"


@st.composite
def override_lists(draw):
    count = draw(st.integers(0, 4))
    return [
        f"{draw(FILES)}{draw(PREFIXES)}{draw(KEYS)}={draw(sweeps())}"
        for _ in range(count)
    ]


@settings(max_examples=150, deadline=None)
@given(set_params=override_lists())
def test_generated_expansion_equals_dvc(set_params):
    from pathlib import Path

    try:
        expected = dvc_points(set_params)
    except Exception:
        # DVC refuses it (choice(null), say): so must we, as a usage error.
        with pytest.raises(DvcHydraError):
            ours(set_params, Path("/nonexistent"))
        return
    if expected == []:
        with pytest.raises(DvcHydraError, match="yields no values"):
            ours(set_params, Path("/nonexistent"))
        return
    points = ours(set_params, Path("/nonexistent"))
    assert [point.overrides for point in points] == expected
