"""Check 6: files in the config tree that do not count.

``.yml`` files (Hydra reads only ``.yaml``), files or folders one small edit
away from an optional config that the defaults list asks for but that does
not exist, and untracked files that change the composition.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dvc_hydra.checks.composition import (
    Composition,
    config_file,
    project_sources,
    source_dir,
)
from dvc_hydra.checks.findings import WARNING, Finding, display
from dvc_hydra.checks.groups import Group, entry_line
from dvc_hydra.checks.provenance import is_hydra_path
from dvc_hydra.settings import HydraSettings

CHECK = "files"
YAML_SUFFIXES = (".yaml", ".yml")
# Limitation: an interpolated choice over more combinations than this is
# checked against the first ones only.
NAMES_LIMIT = 10_000


def check_tree(comp: Composition, groups: list[Group]) -> list[Finding]:
    """The checks that need Hydra's view of the tree (inside its context)."""
    folders = [
        folder
        for folder in map(source_dir, project_sources(comp.loader))
        if folder is not None
    ]
    findings = [_yml_finding(path) for path in _misnamed_yaml(folders)]
    for node, parent in _absent_optional(comp):
        for folder in folders:
            findings.extend(_near_misses(comp, folder, node, parent))
    for group in groups:
        if group.interpolation is not None:
            findings.extend(_unreachable_options(comp, group, groups))
    return findings


def _misnamed_yaml(folders: list[Path]) -> Iterator[Path]:
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            suffix = path.suffix
            if path.is_file() and suffix.lower() in YAML_SUFFIXES and suffix != ".yaml":
                yield path


def _yml_finding(path: Path) -> Finding:
    wanted = path.with_suffix(".yaml")
    if wanted.exists():
        hint = f"{display(wanted)} exists next to it: merge the two and remove this one"
    else:
        hint = f"rename it to {wanted.name}"
    return Finding(
        CHECK,
        WARNING,
        f"Hydra reads only .yaml files: {path.name} is never used",
        display(path),
        hint=hint,
    )


def _absent_optional(comp: Composition) -> Iterator[tuple[Any, Any]]:
    """Optional configs the defaults tree asks for that do not exist, with
    the node whose defaults list asks for them."""
    from hydra.core.default_element import DefaultsTreeNode

    pending = [comp.defaults.defaults_tree]
    while pending:
        tree = pending.pop()
        for child in tree.children or []:
            if isinstance(child, DefaultsTreeNode):
                pending.append(child)
            elif _skipped_as_absent(comp, child):
                yield child, tree.node


def _skipped_as_absent(comp: Composition, node: Any) -> bool:
    if node.is_virtual() or node.is_self() or not node.is_optional():
        return False
    if not getattr(node, "deleted", None) or node.get_name() is None:
        return False
    config_path = node.get_config_path()
    exists = comp.loader.repository.config_exists(config_path)
    return not is_hydra_path(config_path) and not exists


def _near_misses(
    comp: Composition, folder: Path, node: Any, parent: Any
) -> Iterator[Finding]:
    """Files (or, when the group folder is absent, folders) close to the name."""
    group, _, name = node.get_config_path().rpartition("/")
    group_dir = folder / group if group else folder
    if group_dir.is_dir():
        candidates = [(path, _base(path.name), name) for path in group_dir.iterdir()]
    elif group_dir.parent.is_dir():
        wanted = group_dir.name
        siblings = [path for path in group_dir.parent.iterdir() if path.is_dir()]
        candidates = [(path, path.name, wanted) for path in siblings]
    else:
        candidates = []
    for path, base, wanted in sorted(candidates):
        already_reported = path.suffix.lower() == ".yml" and base == wanted
        if one_edit_apart(base, wanted) and not already_reported:
            yield _near_miss_finding(comp, path, node, parent)


def _base(name: str) -> str:
    """A file name without its YAML suffix and whatever follows it."""
    lowered = name.lower()
    for suffix in YAML_SUFFIXES:
        index = lowered.find(suffix)
        if index > 0:
            return name[:index]
    return name


def _near_miss_finding(
    comp: Composition, path: Path, node: Any, parent: Any
) -> Finding:
    asked = node.get_config_path()
    declared_in = config_file(comp.loader, parent.get_config_path())
    where = display(declared_in) or parent.get_config_path()
    line = entry_line(
        declared_in, getattr(node, "group", None), getattr(node, "package", None)
    )
    if line is not None:
        where += f":{line}"
    return Finding(
        CHECK,
        WARNING,
        f"{path.name} is one edit away from {asked!r}, which {where} asks "
        "for as optional: Hydra skips the missing config without a word",
        display(path),
        hint=f"rename it to {asked.rpartition('/')[2]}.yaml if it is meant to be used",
    )


def _unreachable_options(
    comp: Composition, group: Group, groups: list[Group]
) -> Iterator[Finding]:
    """Options of an interpolated group that no combination of choices names,
    but that are one edit away from a name that one does."""
    assert group.interpolation is not None
    names = interpolated_names(group.interpolation, groups)
    for option in group.options:
        if option in names:
            continue
        near = sorted(name for name in names if one_edit_apart(option, name))
        if near:
            path = config_file(comp.loader, f"{group.path}/{option}")
            where = group.declared_at()
            yield Finding(
                CHECK,
                WARNING,
                f"{group.path}/{option} is one edit away from {near[0]!r}, which "
                f"{group.interpolation} at {where} asks for; no choice of the "
                "other groups selects this file",
                display(path),
                hint=f"rename it to {near[0]}.yaml if it is meant to be used",
            )


def interpolated_names(template: str, groups: list[Group]) -> set[str]:
    """Every name ``${a}_${b}`` can take over the options of groups a and b."""
    options = {group.key: group.options for group in groups}
    keys = re.findall(r"\$\{([^}]*)\}", template)
    if not keys or any(key.strip() not in options for key in keys):
        return set()
    pieces = re.split(r"\$\{[^}]*\}", template)
    names = set()
    choices = [options[key.strip()] for key in keys]
    for combination in itertools.islice(itertools.product(*choices), NAMES_LIMIT):
        parts = [piece + choice for piece, choice in zip(pieces, combination)]
        names.add("".join(parts) + pieces[-1])
    return names


def one_edit_apart(first: str, second: str) -> bool:
    """Equal but for case, or one insertion, deletion, substitution or swap."""
    if first.lower() == second.lower():
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    start = 0
    while start < len(first) and first[start] == second[start]:
        start += 1
    if len(first) < len(second):
        return first[start:] == second[start + 1 :]
    rest = start + 1
    if first[rest:] == second[rest:]:
        return True
    swapped = first[start : start + 2] == second[start : start + 2][::-1]
    return swapped and first[start + 2 :] == second[start + 2 :]


def check_untracked(
    settings: HydraSettings, overrides: Sequence[str], composed: str
) -> list[Finding]:
    """Untracked configs that change the result (outside Hydra's context)."""
    from dvc_hydra.untracked import result_without, untracked_files

    # Limitation: only a config dir is searched, not a config module or the
    # plugins under plugins_path.
    config_path = settings.config_path
    if config_path is None or not config_path.is_dir():
        return []
    found = [path for path in untracked_files(config_path) if path.suffix == ".yaml"]
    if not found or result_without(settings, overrides, found) == composed:
        return []
    guilty = [
        path
        for path in found
        if result_without(settings, overrides, [path]) != composed
    ]
    return [_untracked_finding(path) for path in guilty or found]


def _untracked_finding(path: Path) -> Finding:
    return Finding(
        CHECK,
        WARNING,
        "untracked file changes the composition, but is not part of the commit",
        display(path),
        hint=f"`git add {display(path)}`, or move it out of the config tree",
    )
