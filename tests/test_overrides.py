"""``-S`` values: params files inside the project, readable messages, sane values."""

from __future__ import annotations

import pytest

from dvc_hydra.errors import DvcHydraError, shown_path
from dvc_hydra.overrides import (
    MAX_NESTING,
    SHOWN_CHARS,
    by_params_file,
    parse,
    shown,
    single_point,
)

GRAMMAR_HINT = (
    "  hint: overrides follow Hydra's grammar: "
    "https://hydra.cc/docs/advanced/override_grammar/basic/"
)
OUTSIDE_HINT = (
    "  hint: name params files by their path inside the project, "
    "for example -S 'conf/other.yaml:a=1'"
)


def error_of(function, *args):
    with pytest.raises(DvcHydraError) as caught:
        function(*args)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "shown_as"),
    [
        pytest.param("../outside.yaml:+a=1", "{parent}/outside.yaml", id="parent"),
        pytest.param("sub/../../o.yaml:a=1", "{parent}/o.yaml", id="parent-in-middle"),
        pytest.param("{parent}/abs.yaml:+a=1", "{parent}/abs.yaml", id="absolute"),
        pytest.param("..:a=1", "{parent}", id="parent-itself"),
    ],
)
def test_params_file_outside_the_root_is_refused(
    tmp_path, monkeypatch, value, shown_as
):
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    value = value.format(parent=tmp_path)

    message = error_of(by_params_file, [value], root)

    expected = shown_as.format(parent=tmp_path)
    assert message == f"{expected}: params file is outside the DVC root\n{OUTSIDE_HINT}"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("../outside.yaml:+a=1", id="parent"),
        pytest.param("/abs.yaml:+a=1", id="absolute"),
    ],
)
def test_params_file_outside_is_refused_without_a_root(value):
    name = shown_path(value.partition(":")[0])
    assert error_of(by_params_file, [value]) == (
        f"{name}: params file is outside the DVC root\n{OUTSIDE_HINT}"
    )


def test_params_file_through_a_symlink_out_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    (root / "other.yaml").symlink_to(tmp_path / "elsewhere" / "x.yaml")
    monkeypatch.chdir(root)

    for value in ("link/p.yaml:+a=1", "other.yaml:+a=1"):
        name = value.partition(":")[0]
        assert error_of(by_params_file, [value], root) == (
            f"{name}: params file is outside the DVC root\n{OUTSIDE_HINT}"
        )


def test_params_files_inside_the_root_are_grouped(tmp_path):
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "link.yaml").symlink_to(tmp_path / "p.yaml")
    values = ["sub/../a.yaml:x=1", "inner/link.yaml:y=2", "z=3", "./p.json:w=4"]

    assert by_params_file(values, tmp_path) == {
        "sub/../a.yaml": ["x=1"],
        "inner/link.yaml": ["y=2"],
        "params.yaml": ["z=3"],
        "./p.json": ["w=4"],
    }


def test_empty_params_file_name_is_refused():
    assert error_of(by_params_file, [":a=1"]) == (
        "the params file name before ':' is empty\n"
        "  hint: write FILE:KEY=VALUE, for example -S 'other.yaml:a=1'"
    )


@pytest.mark.parametrize(
    ("set_params", "message"),
    [
        pytest.param(
            ["a=1,2"],
            "override 'a=1,2' is a sweep, but only one params.yaml is composed "
            "here\n  hint: expand sweeps with `dvc-hydra sweep` (DVC accepts "
            "them only with `dvc exp run --queue`)",
            id="sweep",
        ),
        pytest.param(
            ["other.yaml:a=1"],
            "only params.yaml is composed here, not other.yaml\n"
            "  hint: `dvc exp run -S FILE:KEY=VALUE` edits other params files",
            id="other-file",
        ),
    ],
)
def test_single_point_names_no_subcommand(set_params, message):
    assert error_of(single_point, set_params) == message


@pytest.mark.parametrize(
    "override",
    [
        pytest.param("=", id="bare"),
        pytest.param("=1", id="value-only"),
        pytest.param("+=x", id="append"),
        pytest.param("++=x", id="force"),
    ],
)
def test_empty_key_is_refused(override):
    assert error_of(parse, [override]) == (
        f"override {override!r} has an empty key\n"
        "  hint: write KEY=VALUE, for example train.optimizer.lr=0.1"
    )


def nested(levels):
    return "[" * levels + "]" * levels


def test_nesting_up_to_the_limit_is_accepted():
    (parsed,) = parse([f"a={nested(MAX_NESTING)}"])
    assert parsed.key_or_group == "a"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(nested(MAX_NESTING + 1), id="lists-past-the-limit"),
        pytest.param(nested(150), id="lists-150"),
        pytest.param("{k:" * 40 + "1" + "}" * 40, id="dicts"),
        pytest.param(nested(5000), id="past-python-recursion"),
    ],
)
def test_deep_nesting_is_refused_with_a_short_message(value):
    override = f"train.optimizer.name={value}"
    message = error_of(parse, [override])

    assert message == (
        f"override {shown(override)} nests lists or dicts more than "
        f"{MAX_NESTING} levels deep\n"
        "  hint: put deeply nested values in a config file instead"
    )
    assert len(message) < 2 * SHOWN_CHARS + 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a=1", "'a=1'", id="short"),
        pytest.param("a\nb", "'a\\nb'", id="newline-escaped"),
        pytest.param("x" * 300, "'" + "x" * (SHOWN_CHARS - 2) + "…", id="long"),
        pytest.param(
            "x" * (SHOWN_CHARS - 2),
            "'" + "x" * (SHOWN_CHARS - 2) + "'",
            id="exactly-at-the-limit",
        ),
    ],
)
def test_shown(text, expected):
    assert shown(text) == expected
    assert len(shown(text)) <= SHOWN_CHARS


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param(
            "a=[1,\n2",
            "cannot parse override 'a=[1,\\n2' at column 6: token recognition "
            "error at: '\\n'\n"
            "    a=[1,\\n2\n"
            "         ^",
            id="newline-in-list",
        ),
        pytest.param(
            "a='x\ty' ]",
            "cannot parse override \"a='x\\ty' ]\" at column 8: extraneous "
            "input ' ]' expecting <EOF>\n"
            "    a='x\\ty' ]\n"
            "            ^",
            id="caret-after-an-escaped-tab",
        ),
        pytest.param(
            "a=[1,\x07]",
            "cannot parse override 'a=[1,\\x07]' at column 6: token recognition "
            "error at: '\\x07'\n"
            "    a=[1,\\x07]\n"
            "         ^",
            id="control-character",
        ),
        pytest.param(
            "k='é'\n[",
            "cannot parse override \"k='é'\\n[\" at column 6: token recognition "
            "error at: '\\n'\n"
            "    k='é'\\n[\n"
            "         ^",
            id="non-ascii-kept",
        ),
    ],
)
def test_parse_error_escapes_and_points_at_the_right_character(override, message):
    assert error_of(parse, [override]) == f"{message}\n{GRAMMAR_HINT}"


def test_long_parse_error_is_cut_around_the_column():
    override = "a=[" + "x," * 300

    first, problem_line, caret_line, _hint = error_of(parse, [override]).split("\n")

    assert first.startswith(f"cannot parse override {shown(override)} at column 604")
    assert len(first) < 2 * SHOWN_CHARS + 100
    assert problem_line == "    …" + "x," * 50
    assert caret_line == "    " + " " * 101 + "^"
