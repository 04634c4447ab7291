"""Why ``compose`` leaves an edited ``params.yaml`` alone, and the ways out.

The message names each edited key with the value the composition would give
it and, where the config files tell, the file and line that set that value.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING

from dvc_hydra import paramsfile

if TYPE_CHECKING:
    from dvc_hydra.checks.provenance import Origin
    from dvc_hydra.commands.compose import Outcome
    from dvc_hydra.settings import HydraSettings

SKIP_HINT = (
    "SKIP=dvc-hydra-compose git commit "
    "(SKIP=dvc-hydra-compose-system for the system hook)"
)


def print_refusal(outcome: Outcome, source: str, versions_line: str) -> None:
    _say(
        f"{outcome.name}: edited since the last commit, so not rewritten from "
        f"{source} ({versions_line})"
    )
    if outcome.changes:
        _print_edited_values(outcome, source)
    elif outcome.changes is None:
        _say("  the edited file is not valid YAML")
    else:
        _say("  same values, different formatting")
    force = shlex.join(
        ["dvc-hydra", "compose", "--force"]
        + [f"--set-param={override}" for override in outcome.overrides]
    )
    _say(f"  - to discard the edits, run `{force}`")
    _say(f"  - to commit them as they are, skip this hook: {SKIP_HINT}")


def _print_edited_values(outcome: Outcome, source: str) -> None:
    assert outcome.changes
    origins = _origins(outcome.settings, outcome.overrides)
    named = False
    for change in outcome.changes:
        origin = (
            origins.get(change.key) if change.new is not paramsfile.MISSING else None
        )
        where = f" (from {origin.describe()})" if origin is not None else ""
        named = named or origin is not None
        _say(f"  {change.describe()}{where}")
    _say(
        f"  these values belong in {source}: the next `dvc exp run` recomposes "
        f"{outcome.name} and drops them"
    )
    places = " where named above" if named else ""
    _say(f"  - to keep them, set them in {source}{places}, then commit again")


def _origins(settings: HydraSettings, overrides: tuple[str, ...]) -> dict[str, Origin]:
    """Where each composed key is set; empty when that cannot be told."""
    from dvc_hydra.checks.composition import compose_base
    from dvc_hydra.checks.provenance import origins
    from dvc_hydra.compose import hydra_context

    try:
        with hydra_context(settings):
            return origins(compose_base(settings, overrides))
    except Exception:
        # The composition has just succeeded; naming lines is a courtesy that
        # must never turn this report into a crash.
        return {}


def _say(line: str) -> None:
    print(line, file=sys.stderr)
