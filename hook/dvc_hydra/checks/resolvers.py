"""Check 4: values that may differ between machines or between runs.

Only resolvers known to be pure are trusted; ``oc.env`` and every other
resolver are named with the key and the file that uses them, and a second
composition catches values that change from one call to the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dvc_hydra.checks.composition import Composition, attempt, leaves
from dvc_hydra.checks.findings import WARNING, Finding, display
from dvc_hydra.checks.provenance import Origin, origin_of
from dvc_hydra.paramsfile import flatten

CHECK = "resolvers"
PURE_RESOLVERS = frozenset(
    {"oc.select", "oc.create", "oc.decode", "oc.dict.keys", "oc.dict.values"}
)


def check(comp: Composition, origins: dict[str, Origin]) -> list[Finding]:
    untrusted = dict(untrusted_uses(comp.raw))
    # Pure resolvers on fixed inputs give the same value every time.
    changed = _changed_keys(comp) if untrusted else {}
    findings = []
    for key, (value, names) in untrusted.items():
        again = "; it changed between two compositions" if key in changed else ""
        message = f"{key} = {value!r} uses {_describe(names)}{again}"
        findings.append(_finding(key, message, origins))
    for key in changed:
        if key not in untrusted:
            message = f"{key} changed between two compositions: {changed[key]}"
            findings.append(_finding(key, message, origins))
    return findings


def untrusted_uses(cfg: Any) -> Iterator[tuple[str, tuple[str, list[str]]]]:
    """Keys whose raw value calls resolvers other than the pure ones."""
    for key, node in leaves(cfg):
        raw = node._value()
        if not isinstance(raw, str) or "${" not in raw:
            continue
        names = [name for name in resolver_names(raw) if name not in PURE_RESOLVERS]
        if names:
            yield key, (raw, sorted(set(names)))


def resolver_names(value: str) -> list[str]:
    """The resolvers an interpolated string calls, nested calls included."""
    from omegaconf import grammar_parser
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

    try:
        tree = grammar_parser.parse(value)
    except Exception:
        return []
    names = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, OmegaConfGrammarParser.InterpolationResolverContext):
            names.append(node.resolverName().getText())  # type: ignore[no-untyped-call]
        pending.extend(node.getChildren() if hasattr(node, "getChildren") else [])
    return names


def _describe(names: list[str]) -> str:
    described = []
    for name in names:
        if name == "oc.env":
            described.append("'oc.env', which reads the environment of the machine")
        else:
            described.append(f"the resolver {name!r}, which is not known to be pure")
    return " and ".join(described)


def _changed_keys(comp: Composition) -> dict[str, str]:
    again = attempt(comp.settings, comp.overrides)
    if again.error is not None:
        return {}
    first = dict(flatten(comp.data))
    second = dict(flatten(again.data))
    return {
        key: f"{first.get(key)!r}, then {second.get(key)!r}"
        for key in list(first) + [key for key in second if key not in first]
        if first.get(key) != second.get(key)
    }


def _finding(key: str, message: str, origins: dict[str, Origin]) -> Finding:
    origin = origin_of(origins, key)
    path = display(origin.path) if origin and origin.path else None
    return Finding(
        CHECK,
        WARNING,
        message,
        path,
        origin.line if origin and origin.path else None,
        hint="params.yaml then differs between machines or runs; "
        "write the value into the config, or pass it with -S",
    )
