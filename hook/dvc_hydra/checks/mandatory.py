"""Check 5: mandatory values (``???``) that nobody set.

DVC writes them into params.yaml as they are; the run fails only when the
code reads one.
"""

from __future__ import annotations

from dvc_hydra.checks.composition import Composition, leaves
from dvc_hydra.checks.findings import WARNING, Finding, display
from dvc_hydra.checks.provenance import Origin, origin_of

CHECK = "mandatory"


def check(comp: Composition, origins: dict[str, Origin]) -> list[Finding]:
    findings = []
    for key, node in leaves(comp.resolved):
        if not node._is_missing():
            continue
        origin = origin_of(origins, key)
        findings.append(
            Finding(
                CHECK,
                WARNING,
                f"{key} is '???', a mandatory value that no config sets: "
                "code that reads it fails",
                display(origin.path) if origin and origin.path else None,
                origin.line if origin and origin.path else None,
                hint=f"set it in a config, or pass -S '{key}=VALUE'",
            )
        )
    return findings
