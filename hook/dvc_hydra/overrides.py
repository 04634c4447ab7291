"""``-S`` values as DVC reads them: an optional ``file:`` prefix, then Hydra's
grammar."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import PARAMS_FILE

OVERRIDE_GRAMMAR_URL = "https://hydra.cc/docs/advanced/override_grammar/basic/"
# Longest stretch of an override a message echoes.
SHOWN_CHARS = 200
# Deeper values make OmegaConf exhaust Python's recursion limit; no real
# config nests anywhere near this.
MAX_NESTING = 32


def by_params_file(
    set_params: Iterable[str], root: Path | None = None
) -> dict[str, list[str]]:
    """Group ``-S`` values by the params file they target, as DVC groups them.

    A colon before the first ``=`` separates a file name from the override.
    Every file must lie inside the DVC root (``root``, when given, also
    settles symlinks): DVC would write to it.
    """
    grouped: dict[str, list[str]] = {}
    for value in set_params:
        name_part = value.partition("=")[0]
        if ":" in name_part:
            path, _, override = value.partition(":")
        else:
            path, override = PARAMS_FILE, value
        grouped.setdefault(path, []).append(override)
    for path in grouped:
        check_params_path(path, root)
    return grouped


def check_params_path(name: str, root: Path | None) -> None:
    """Refuse a params file DVC would write outside the project."""
    where = str(root / name) if root is not None else name
    if not name:
        raise DvcHydraError(
            "the params file name before ':' is empty",
            hint="write FILE:KEY=VALUE, for example -S 'other.yaml:a=1'",
        )
    parts = os.path.normpath(name).split(os.sep)
    escapes = os.path.isabs(name) or parts[0] == os.pardir
    if not escapes and root is not None:
        real_root = os.path.realpath(root)
        real = os.path.realpath(root / name)
        escapes = os.path.commonpath([real_root, real]) != real_root
    if escapes:
        raise DvcHydraError(
            "params file is outside the DVC root",
            path=where,
            hint="name params files by their path inside the project, "
            "for example -S 'conf/other.yaml:a=1'",
        )


def parse(overrides: Sequence[str]) -> list[Any]:
    """Hydra's parsed overrides; a malformed one is a located error."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            parsed.extend(parser.parse_overrides(overrides=[text]))
        except OverrideParseException as exc:
            raise override_parse_error(exc) from None
        except RecursionError:
            raise _too_deep(text) from None
        _check_parsed(parsed[-1])
    return parsed


def _check_parsed(override: Any) -> None:
    text = str(override.input_line)
    if not override.key_or_group:
        raise DvcHydraError(
            f"override {shown(text)} has an empty key",
            hint="write KEY=VALUE, for example train.optimizer.lr=0.1",
        )
    if _nesting(override.value()) > MAX_NESTING:
        raise _too_deep(text)


def _nesting(value: Any) -> int:
    """How deeply lists and dicts nest in ``value``, walked without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _too_deep(text: str) -> DvcHydraError:
    return DvcHydraError(
        f"override {shown(text)} nests lists or dicts more than {MAX_NESTING} "
        "levels deep",
        hint="put deeply nested values in a config file instead",
    )


def shown(text: str) -> str:
    """``text`` quoted as ``repr`` does, cut to a readable length."""
    return _cut(repr(text))


def clipped(text: str) -> str:
    """``text`` unquoted on one line, cut to a readable length."""
    return _cut(_escaped(text))


def single_point(set_params: Sequence[str]) -> list[str]:
    """The overrides of one composition of ``params.yaml``; sweeps are refused."""
    grouped = by_params_file(set_params)
    others = sorted(path for path in grouped if path != PARAMS_FILE)
    if others:
        raise DvcHydraError(
            f"only {PARAMS_FILE} is composed here, not {', '.join(others)}",
            hint="`dvc exp run -S FILE:KEY=VALUE` edits other params files",
        )
    overrides = grouped.get(PARAMS_FILE, [])
    for parsed in parse(overrides):
        if parsed.is_sweep_override():
            raise DvcHydraError(
                f"override {shown(str(parsed.input_line))} is a sweep, but only "
                f"one {PARAMS_FILE} is composed here",
                hint="expand sweeps with `dvc-hydra sweep` "
                "(DVC accepts them only with `dvc exp run --queue`)",
            )
    return overrides


def override_parse_error(exc: Any) -> DvcHydraError:
    """A malformed override, with the column where parsing stopped."""
    override = str(getattr(exc, "override", ""))
    found = _syntax_error(override)
    if found is None:
        first_line = str(getattr(exc, "message", exc)).splitlines()[0]
        return DvcHydraError(
            f"cannot parse override {shown(override)}: {first_line}",
            hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
        )
    column, problem = found
    line, caret = _pointed(override, column)
    return DvcHydraError(
        f"cannot parse override {shown(override)} at column {column + 1}: "
        f"{_cut(_escaped(problem))}\n    {line}\n    {' ' * caret}^",
        hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
    )


def _pointed(override: str, column: int) -> tuple[str, int]:
    """The override as one escaped line around ``column``, and the caret's offset.

    Control characters are escaped as ``repr`` escapes them, so the line
    stays one line and the caret stays under the character it names.
    """
    half = SHOWN_CHARS // 2
    start = max(0, column - half)
    before = ("…" if start else "") + _escaped(override[start:column])
    after = _escaped(override[column : column + half])
    if column + half < len(override):
        after += "…"
    return before + after, len(before)


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _escaped(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _syntax_error(override: str) -> tuple[int, str] | None:
    """The column and message of the first syntax error in ``override``.

    Hydra's own error listener drops the column, so the override is parsed
    again with Hydra's generated parser and a listener that keeps it.
    """
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from hydra.grammar.gen.OverrideLexer import OverrideLexer
    from hydra.grammar.gen.OverrideParser import OverrideParser

    class FirstError(ErrorListener):  # type: ignore[misc]
        found: tuple[int, str] | None = None

        def syntaxError(self, *args: Any) -> None:
            _recognizer, _symbol, _line, column, message, _error = args
            if self.found is None:
                self.found = (int(column), str(message))

    listener = FirstError()
    lexer = OverrideLexer(InputStream(override))
    parser = OverrideParser(CommonTokenStream(lexer))
    for recognizer in (lexer, parser):
        recognizer.removeErrorListeners()
        recognizer.addErrorListener(listener)
    parser.override()  # type: ignore[no-untyped-call]
    return listener.found
