"""Check 2: every option of every group in the defaults tree composes.

The groups come from the defaults tree Hydra builds for the default
composition, so nested groups, package overrides (``db@source``) and
interpolated defaults are what Hydra itself sees. Hydra's own ``hydra/``
groups are left out.

Limitation: a group that only a non-default option declares (a nested group
of an option nobody selects) is not walked; its options are tried only when
they are selected by default.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvc_hydra.checks import yamllines
from dvc_hydra.checks.composition import Attempt, Composition, attempt, config_file
from dvc_hydra.checks.findings import ERROR, WARNING, Finding, display
from dvc_hydra.checks.provenance import is_hydra_path

CHECK = "groups"


@dataclass(frozen=True)
class Group:
    """A config group as one defaults list declares it."""

    key: str
    path: str
    package: str
    selected: str | None
    multi: bool
    options: tuple[str, ...]
    declared_in: Path | None
    line: int | None
    # The raw choice when it interpolates other choices (``${a}_${b}``).
    interpolation: str | None = None

    def choice(self, option: str) -> str:
        """The override that selects ``option`` (alone, for a multi-select)."""
        return f"{self.key}=[{option}]" if self.multi else f"{self.key}={option}"

    def declared_at(self) -> str:
        """Where the defaults list that declares the group is, for messages."""
        where = display(self.declared_in) or "the defaults list"
        return where if self.line is None else f"{where}:{self.line}"


@dataclass
class GroupResults:
    """Findings, and the data of every option that composed, for check 3."""

    groups: list[Group]
    findings: list[Finding] = field(default_factory=list)
    composed: dict[tuple[str, str], Any] = field(default_factory=dict)


def check(comp: Composition) -> GroupResults:
    results = GroupResults(groups=groups_of(comp))
    for group in results.groups:
        for option in group.options:
            if not group.multi and option == group.selected:
                continue
            outcome = attempt(comp.settings, _with_choice(comp, group, option))
            if outcome.error is None:
                results.composed[(group.key, option)] = outcome.data
            else:
                results.findings.append(_finding(comp, group, option, outcome))
    return results


def groups_of(comp: Composition) -> list[Group]:
    """Every group of the defaults tree, in tree order, once per override key."""
    found: dict[str, Group] = {}
    for node in _loaded_nodes(comp.defaults.defaults_tree):
        for group in _declared_groups(comp, node):
            found.setdefault(group.key, group)
    return list(found.values())


def _loaded_nodes(tree: Any) -> Iterator[Any]:
    """The config nodes of the tree that Hydra loaded, outside ``hydra/``."""
    from hydra.core.default_element import DefaultsTreeNode

    node = tree.node
    if _loaded(node) and not is_hydra_path(node.get_config_path()):
        yield node
    for child in tree.children or []:
        if isinstance(child, DefaultsTreeNode):
            yield from _loaded_nodes(child)
        else:
            yield from _loaded_nodes(DefaultsTreeNode(node=child))


def _loaded(node: Any) -> bool:
    if node.is_virtual() or node.is_self() or getattr(node, "deleted", None):
        return False
    return node.get_name() is not None


def _declared_groups(comp: Composition, parent: Any) -> Iterator[Group]:
    from hydra.core.default_element import GroupDefault
    from hydra.core.object_type import ObjectType

    loaded = comp.loader.repository.load_config(parent.get_config_path())
    if loaded is None:
        return
    declared_in = config_file(comp.loader, parent.get_config_path())
    choices = comp.defaults.overrides.known_choices
    for entry in copy.deepcopy(loaded.defaults_list or []):
        if not isinstance(entry, GroupDefault) or entry.is_self() or entry.override:
            continue
        entry.update_parent(parent.get_group_path(), parent.get_final_package())
        path = entry.get_group_path()
        if is_hydra_path(path):
            continue
        key = entry.get_override_key()
        options = comp.loader.repository.get_group_options(path, ObjectType.CONFIG)
        yield Group(
            key=key,
            path=path,
            package=entry.get_final_package(),
            selected=choices.get(key) if entry.is_name() else None,
            multi=entry.is_options(),
            options=tuple(options),
            declared_in=declared_in,
            line=entry_line(declared_in, entry.group, entry.package),
            interpolation=entry.get_name() if entry.is_interpolation() else None,
        )


def entry_line(
    config: Path | None, group: str | None, package: str | None = None
) -> int | None:
    """The line of the defaults list entry for ``group`` (at ``package``, when
    the entry names one) in ``config``."""
    data = yamllines.load_file(config) if config is not None else None
    entries = data.get("defaults") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for key in entry.keys() if isinstance(entry, dict) else []:
            # "optional db@source" and "override /db" name the group last.
            words = str(key).split()
            name, _, at = (words[-1] if words else "").partition("@")
            if name == group and (package is None or at == package):
                return yamllines.line_of(key)
    return None


def _with_choice(comp: Composition, group: Group, option: str) -> list[str]:
    """The base overrides, without any choice of ``group``, plus ``option``."""
    kept = [
        override
        for override in comp.overrides
        if override.partition("=")[0].lstrip("+~") != group.key
    ]
    return [*kept, group.choice(option)]


def _finding(comp: Composition, group: Group, option: str, outcome: Attempt) -> Finding:
    error = outcome.error
    assert error is not None
    option_file = config_file(comp.loader, f"{group.path}/{option}")
    path = display(error.path) if error.path else display(option_file)
    line = error.line if error.path else None
    choice = group.choice(option)
    warning = _environment_warning(choice, outcome)
    if warning is not None:
        message, hint = warning
        return Finding(CHECK, WARNING, message, path, line, hint=hint)
    return Finding(
        CHECK,
        ERROR,
        f"option {choice} does not compose: {error.message}",
        path,
        line,
        hint=error.hint,
    )


def _environment_warning(
    choice: str, outcome: Attempt
) -> tuple[str, str | None] | None:
    """Message and hint when the option fails for want of something this
    machine lacks (a Hydra plugin, an environment variable), not by a fault."""
    assert outcome.error is not None
    plugin = _missing_plugin(outcome.cause)
    if plugin is not None:
        package = plugin_package(plugin)
        return (
            f"option {choice} needs the Hydra plugin that provides {plugin!r}, "
            "which is not installed",
            f"pip install {package}" if package else None,
        )
    pattern = r"Environment variable '([^']+)' not found"
    variable = re.search(pattern, outcome.error.message)
    if variable:
        message = (
            f"option {choice} composes only with the environment variable "
            f"{variable.group(1)} set"
        )
        return message, None
    return None


def _missing_plugin(cause: Exception | None) -> str | None:
    """The ``hydra/...`` config a failure misses: a plugin that is absent."""
    from hydra.errors import MissingConfigException

    if not isinstance(cause, MissingConfigException):
        return None
    missing = str(cause.missing_cfg_file or "")
    return missing if is_hydra_path(missing) else None


def plugin_package(config_path: str) -> str | None:
    """The PyPI name of the official Hydra plugin that adds ``config_path``."""
    parts = config_path.split("/")
    if len(parts) != 3:
        return None
    kind, name = parts[1], parts[2]
    if kind in ("sweeper", "launcher"):
        return f"hydra-{name.split('_')[0]}-{kind}"
    if kind in ("job_logging", "hydra_logging"):
        return f"hydra-{name}"
    return None
