"""The shape of a ``dvc.yaml`` that DVC refuses before resolving anything.

DVC reads ``dvc.yaml`` with a YAML loader that rejects duplicate keys, then
validates it against a schema: the file, ``stages`` and every stage must be
mappings. These are found on the YAML node tree, which keeps every line.

Limitation: only these structural rules are checked, not DVC's whole schema
(the type of each stage field, for instance).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Merge keys (``<<: *defaults``) may repeat; the YAML loader merges them.
MERGE_TAG = "tag:yaml.org,2002:merge"


def problems(text: str) -> list[tuple[str, int]]:
    """What DVC refuses in the shape of ``text``: (message, line) pairs."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return []  # DVC accepts an empty dvc.yaml
    return [*_duplicates(root, "", set()), *_not_mappings(root)]


def _duplicates(node: Any, where: str, seen: set[int]) -> Iterator[tuple[str, int]]:
    import yaml

    if id(node) in seen:
        return  # an alias of a node already walked
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, f"{where}[{index}]", seen)
    if not isinstance(node, yaml.MappingNode):
        return
    first: dict[str, int] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name is not None and key.tag != MERGE_TAG:
            line = key.start_mark.line + 1
            if name in first:
                yield (
                    _in(
                        where,
                        f"duplicate key {name!r} (first on line "
                        f"{first[name]}); DVC refuses it",
                    ),
                    line,
                )
            first.setdefault(name, line)
        yield from _duplicates(value, _join(where, name or "?"), seen)


def _not_mappings(root: Any) -> Iterator[tuple[str, int]]:
    import yaml

    if not isinstance(root, yaml.MappingNode):
        yield "is not a mapping, which DVC requires", _line(root)
        return
    stages = _value_of(root, "stages")
    if stages is None:
        return
    if not isinstance(stages, yaml.MappingNode):
        yield "stages: is not a mapping, which DVC requires", _line(stages)
        return
    for key, value in stages.value:
        if not isinstance(value, yaml.MappingNode):
            name = _join("stages", str(key.value))
            yield f"{name}: is not a mapping, which DVC requires", _line(value)


def _value_of(mapping: Any, name: str) -> Any:
    for key, value in mapping.value:
        if getattr(key, "value", None) == name:
            return value
    return None


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _in(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message
