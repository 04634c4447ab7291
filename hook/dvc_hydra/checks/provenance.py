"""Which config file and line sets each key of the composition.

The configs of the defaults list are read in merge order, so the last file
that sets a key is the one whose value survives, as in Hydra's own merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_hydra.checks import yamllines
from dvc_hydra.checks.composition import Composition, config_file
from dvc_hydra.checks.findings import display


@dataclass(frozen=True)
class Origin:
    """A config file and line, or a command-line override."""

    path: Path | None = None
    line: int | None = None
    override: str | None = None

    def describe(self) -> str:
        if self.override is not None:
            return f"the override {self.override!r}"
        where = display(self.path) or "?"
        return f"{where}:{self.line}" if self.line else where


def origins(comp: Composition) -> dict[str, Origin]:
    """Dotted key (of every mapping and leaf) to where its value is set."""
    found: dict[str, Origin] = {}
    for default in comp.defaults.defaults:
        config_path = default.config_path
        if config_path is None or is_hydra_path(config_path):
            continue
        path = config_file(comp.loader, config_path)
        if path is None:
            continue
        data = yamllines.load_file(path)
        for key, line in _own_keys(data, bool(default.primary)).items():
            found[_join(default.package or "", key)] = Origin(path, line)
    found.update(_override_origins(comp, found))
    return found


def is_hydra_path(config_path: str) -> bool:
    return config_path == "hydra" or config_path.startswith("hydra/")


def _own_keys(data: Any, primary: bool) -> dict[str, int]:
    if not isinstance(data, dict):
        return {}
    # The defaults list is no key of the result; Hydra removes its own node.
    skipped = {"defaults", "hydra"} if primary else {"defaults"}
    own = {key: value for key, value in data.items() if key not in skipped}
    return yamllines.key_lines(own)


def _join(package: str, key: str) -> str:
    return f"{package}.{key}" if package else key


def _override_origins(comp: Composition, found: dict[str, Origin]) -> dict[str, Origin]:
    """Value overrides (``-S key=value``) set the keys they name."""
    choices = comp.defaults.overrides.known_choices
    result = {}
    for override in comp.overrides:
        key, sep, _ = override.partition("=")
        key = key.lstrip("+")
        if sep and not key.startswith("~") and key not in choices:
            result[key] = Origin(override=override)
    return result


def origin_of(found: dict[str, Origin], key: str) -> Origin | None:
    """Where ``key`` is set, or failing that its nearest parent."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        origin = found.get(".".join(parts[:end]))
        if origin is not None:
            return origin
    return None
