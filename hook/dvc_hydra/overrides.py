"""``-S`` values as DVC reads them: an optional ``file:`` prefix, then Hydra's
grammar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import PARAMS_FILE

OVERRIDE_GRAMMAR_URL = "https://hydra.cc/docs/advanced/override_grammar/basic/"


def by_params_file(set_params: Iterable[str]) -> dict[str, list[str]]:
    """Group ``-S`` values by the params file they target, as DVC groups them.

    A colon before the first ``=`` separates a file name from the override.
    """
    grouped: dict[str, list[str]] = {}
    for value in set_params:
        name_part = value.partition("=")[0]
        if ":" in name_part:
            path, _, override = value.partition(":")
        else:
            path, override = PARAMS_FILE, value
        grouped.setdefault(path, []).append(override)
    return grouped


def parse(overrides: Sequence[str]) -> list[Any]:
    """Hydra's parsed overrides; a malformed one is a located error."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    try:
        return list(parser.parse_overrides(overrides=list(overrides)))
    except OverrideParseException as exc:
        raise override_parse_error(exc) from None


def single_point(set_params: Sequence[str]) -> list[str]:
    """The overrides of one composition of ``params.yaml``; sweeps are refused."""
    grouped = by_params_file(set_params)
    others = sorted(path for path in grouped if path != PARAMS_FILE)
    if others:
        raise DvcHydraError(
            f"compose writes only {PARAMS_FILE}, not {', '.join(others)}",
            hint="`dvc exp run -S FILE:KEY=VALUE` edits other params files",
        )
    overrides = grouped.get(PARAMS_FILE, [])
    for parsed in parse(overrides):
        if parsed.is_sweep_override():
            raise DvcHydraError(
                f"override {parsed.input_line!r} is a sweep; compose makes one "
                "params.yaml",
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
            f"cannot parse override {override!r}: {first_line}",
            hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
        )
    column, problem = found
    return DvcHydraError(
        f"cannot parse override {override!r} at column {column + 1}: {problem}"
        f"\n    {override}\n    {' ' * column}^",
        hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
    )


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
