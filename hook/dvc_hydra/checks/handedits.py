"""Check 3: values in params.yaml that the composition does not produce.

Each differing key is reported with the value in the file, the composed value
and the config file and line that sets it. When a whole subtree is what
another option of a group composes, the finding says which option to select.
A file that equals its committed version was not edited: it is merely stale
(conf/ changed since), and the findings say so instead of "hand edit".
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

from dvc_hydra import paramsfile
from dvc_hydra.checks import yamllines
from dvc_hydra.checks.composition import Composition
from dvc_hydra.checks.dvcyaml import dvc_yaml_files
from dvc_hydra.checks.findings import ERROR, WARNING, Finding, display
from dvc_hydra.checks.groups import GroupResults
from dvc_hydra.checks.provenance import Origin, origin_of
from dvc_hydra.committed import edited_since_commit

CHECK = "hand-edits"
STALE = "stale"


def check(
    comp: Composition, results: GroupResults, origins: dict[str, Origin]
) -> list[Finding]:
    path = comp.settings.params_path
    name = display(path)
    current = paramsfile.read_bytes(path)
    if current is None:
        # Without a dvc.yaml nothing reads params.yaml: DVC has no stage.
        return [_missing(name)] if dvc_yaml_files(comp.settings.root) else []
    if current == paramsfile.encode(comp.text):
        return []
    findings = _differences(comp, results, origins, current)
    if not edited_since_commit(path, current):
        findings = [_as_stale(finding, name) for finding in findings]
    return findings


def _differences(
    comp: Composition,
    results: GroupResults,
    origins: dict[str, Origin],
    current: bytes,
) -> list[Finding]:
    name = display(comp.settings.params_path)
    text = paramsfile.decode(current) or ""
    changes = paramsfile.key_changes(current, comp.text)
    if changes is None:
        return [_unreadable(name, text)]
    data = yamllines.load(text)
    if data is not None and not isinstance(data, dict):
        return [_not_mapping(comp, name, data)]
    if not changes:
        return [_formatting(name, text, comp.text)]

    lines = yamllines.key_lines(data)
    findings, covered = _other_options(comp, results, data, name, lines)
    for change in changes:
        if not any(_within(change.key, package) for package in covered):
            line = _nearest_line(lines, change.key)
            origin = origin_of(origins, change.key)
            findings.append(_key_finding(comp, change, name, line, origin))
    return findings


def _as_stale(finding: Finding, name: str | None) -> Finding:
    """A difference in a file nobody edited: conf/ moved on, params.yaml did not."""
    return dataclasses.replace(
        finding,
        check=STALE,
        hint=f"{name} is stale: conf/ changed since it was composed; rewrite it "
        "with `dvc-hydra compose`",
    )


def _other_options(
    comp: Composition,
    results: GroupResults,
    data: Any,
    name: str | None,
    lines: dict[str, int],
) -> tuple[list[Finding], list[str]]:
    """Subtrees that another option of their group composes exactly."""
    findings, covered = [], []
    for group in results.groups:
        if group.multi or not group.package:
            continue
        committed = _select(data, group.package)
        if committed is _ABSENT or _same(committed, _select(comp.data, group.package)):
            continue
        for option in group.options:
            composed = results.composed.get((group.key, option))
            if composed is not None and _same(
                committed, _select(composed, group.package)
            ):
                findings.append(_option_finding(group, option, name, lines))
                covered.append(group.package)
                break
    return findings, covered


def _option_finding(
    group: Any, option: str, name: str | None, lines: dict[str, int]
) -> Finding:
    where = group.declared_at()
    return Finding(
        CHECK,
        ERROR,
        f"{group.package} is what option {group.choice(option)} composes, "
        f"but the defaults list selects {group.selected!r}",
        name,
        lines.get(group.package),
        hint=f"select `{group.choice(option)}` (in {where}), or discard the "
        "edit with `dvc-hydra compose --force`",
    )


def _key_finding(
    comp: Composition,
    change: paramsfile.KeyChange,
    name: str | None,
    line: int | None,
    origin: Origin | None,
) -> Finding:
    source = f"{comp.settings.config_dir or comp.settings.config_module}/"
    key, old, new = change.key, change.old, change.new
    if new is paramsfile.MISSING:
        return Finding(
            CHECK,
            ERROR,
            f"{key} is {_show(old)}, but no config in {source} sets it",
            name,
            line,
            hint=f"add it to a config in {source}, or remove it from {name}",
        )
    if old is paramsfile.MISSING:
        message = f"{key} is missing, but {source} composes {_show(new)}"
    else:
        message = f"{key} is {_show(old)}, but {source} composes {_show(new)}"
    rewrite = "discard the edit with `dvc-hydra compose --force`"
    if origin is None:
        return Finding(CHECK, ERROR, message, name, line, hint=rewrite)
    where = origin.describe()
    return Finding(
        CHECK,
        ERROR,
        f"{message} (set at {where})",
        name,
        line,
        hint=f"set the value at {where} (the next `dvc exp run` rewrites {name} "
        f"from {source}), or {rewrite}",
    )


def _missing(name: str | None) -> Finding:
    return Finding(
        CHECK,
        ERROR,
        "does not exist, but DVC reads params from it",
        name,
        hint="write it with `dvc-hydra compose`",
    )


def _not_mapping(comp: Composition, name: str | None, data: Any) -> Finding:
    kind = "a list" if isinstance(data, list) else f"the value {_show(data)}"
    source = f"{comp.settings.config_dir or comp.settings.config_module}/"
    return Finding(
        CHECK,
        ERROR,
        f"is {kind}, not a mapping, but {source} composes a mapping",
        name,
        1,
        hint="discard it with `dvc-hydra compose --force`",
    )


def _formatting(name: str | None, committed: str, composed: str) -> Finding:
    """Same values, other bytes: ``dvc-hydra compose`` (and its hook) rewrites
    the file, so the check says so too."""
    pairs = itertools.zip_longest(committed.splitlines(), composed.splitlines())
    line = next((n for n, (a, b) in enumerate(pairs, 1) if a != b), 1)
    return Finding(
        CHECK,
        WARNING,
        "holds the composed values, formatted differently (key order, quoting "
        "or layout): the compose hook fails the commit",
        name,
        line,
        hint="rewrite it with `dvc-hydra compose --force`",
    )


def _unreadable(name: str | None, text: str) -> Finding:
    import yaml

    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return Finding(CHECK, ERROR, f"is not valid YAML: {exc.problem}", name, line)
    return Finding(CHECK, ERROR, "is not valid YAML", name)


_ABSENT = object()


def _select(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return _ABSENT
        data = data[part]
    return data


def _same(first: Any, second: Any) -> bool:
    # JSON text tells true from 1, which == does not.
    return json.dumps(first, sort_keys=True, default=str) == json.dumps(
        second, sort_keys=True, default=str
    )


def _within(key: str, package: str) -> bool:
    return key == package or key.startswith(package + ".")


def _nearest_line(lines: dict[str, int], key: str) -> int | None:
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        line = lines.get(".".join(parts[:end]))
        if line is not None:
            return line
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
