"""Consistency checks: what DVC only finds when a stage fails, or never.

One module per family of checks; :func:`run_checks` runs them all on one
project and returns the findings in the order the families are numbered.
"""

from __future__ import annotations

from collections.abc import Sequence

from dvc_hydra.checks.findings import Finding
from dvc_hydra.settings import HydraSettings


def run_checks(settings: HydraSettings, overrides: Sequence[str] = ()) -> list[Finding]:
    """Every finding for the project; a default composition that fails raises."""
    from dvc_hydra.checks import (
        dvcyaml,
        files,
        groups,
        handedits,
        mandatory,
        provenance,
        resolvers,
    )
    from dvc_hydra.checks.composition import compose_base
    from dvc_hydra.compose import hydra_context

    with hydra_context(settings):
        comp = compose_base(settings, overrides)
        origins = provenance.origins(comp)
        group_results = groups.check(comp)
        hand_edits = handedits.check(comp, group_results, origins)
        unstable = resolvers.check(comp, origins)
        unset = mandatory.check(comp, origins)
        tree = files.check_tree(comp, group_results.groups)
    # Outside Hydra's context: these compose on their own or not at all.
    pipeline = dvcyaml.check(settings, comp.data)
    untracked = files.check_untracked(settings, overrides, comp.text)
    return [
        *pipeline,
        *group_results.findings,
        *hand_edits,
        *unstable,
        *unset,
        *tree,
        *untracked,
    ]
