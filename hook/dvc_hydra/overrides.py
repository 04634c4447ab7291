"""``-S`` values as DVC reads them: an optional ``file:`` prefix, then Hydra's
grammar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import PARAMS_FILE


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
        from dvc_hydra.hydra_errors import override_parse_error

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
