"""The values a ``dvc.yaml`` can interpolate, built as DVC builds them.

DVC starts from the ``params.yaml`` next to ``dvc.yaml``, then merges each
``vars`` entry (a params file, optionally ``file:key1,key2``, or an inline
mapping). Merging never overwrites: a key defined twice is an error.
"""

from __future__ import annotations

import copy
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dvc_hydra.checks.yamllines import line_of

# What DVC accepts between ``${`` and ``}``: names joined by ``.`` or ``[i]``.
EXPRESSION = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[[^.\[\]]+\])*")
MISSING = object()
# A params file in a format we do not read (DVC also reads Python files).
UNKNOWN = object()
# A value that is there but unknown (the item of a loop that cannot be
# expanded): everything under it is opaque too, never missing.
OPAQUE = object()


class ContextError(Exception):
    """Something DVC fails on while building the context, at a dvc.yaml line."""

    def __init__(self, message: str, line: int | None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


@dataclass
class Context:
    """Nested values, the source each key came from, and the files imported."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    imports: dict[str, list[str] | None] = field(default_factory=dict)
    # False once a vars file we cannot read (a .py file) was merged: then a
    # key that seems missing may be defined there.
    complete: bool = True

    def clone(self) -> Context:
        return copy.deepcopy(self)

    def with_values(self, values: dict[str, Any]) -> Context:
        """A shallow copy with loop variables (``item``, ``key``) set."""
        return Context(
            {**self.data, **values}, self.sources, self.imports, self.complete
        )

    def merge(self, update: dict[Any, Any], source: str, line: int | None) -> None:
        _merge(self, self.data, update, source, "", line)

    def select(self, expression: str) -> Any:
        """The value ``expression`` (``a.b[0]``) names, or ``MISSING``."""
        normalized = expression.replace("[", ".").replace("]", "")
        return lookup(self.data, [part.strip() for part in normalized.split(".")])

    def keys(self) -> list[str]:
        return list(dotted_keys(self.data))

    def source_names(self) -> list[str]:
        names = (self.sources.get(key) for key in self.data)
        return list(dict.fromkeys(name for name in names if name is not None))


def lookup(data: Any, parts: list[str]) -> Any:
    """The value under the keys (or list indices) ``parts``, or ``MISSING``."""
    for part in parts:
        data = _child(data, part)
        if data is MISSING:
            return MISSING
    return data


def _child(value: Any, part: str) -> Any:
    if value is OPAQUE:
        return OPAQUE
    if isinstance(value, dict):
        return value.get(part, MISSING)
    if isinstance(value, list):
        try:
            return value[int(part)]
        except (ValueError, IndexError):
            return MISSING
    return MISSING


def _merge(
    ctx: Context,
    into: dict[str, Any],
    update: dict[Any, Any],
    source: str,
    prefix: str,
    line: int | None,
) -> None:
    for key, value in update.items():
        if not isinstance(key, str):
            continue  # DVC ignores keys that are no strings
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(into.get(key), dict) and isinstance(value, dict):
            _merge(ctx, into[key], value, source, path, line_of(key) or line)
        elif key in into:
            raise ContextError(
                f"'{path}' from {source} is already defined in "
                f"{ctx.sources.get(path, '?')}: DVC refuses to redefine it",
                line_of(key) or line,
                hint="give it another name, or leave it in one place only",
            )
        else:
            into[str(key)] = value
            for name in [path, *dotted_keys(value, path)]:
                ctx.sources[name] = source


def dotted_keys(data: Any, prefix: str = "") -> Iterator[str]:
    """Every key of nested mappings, dotted, parents before children."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        yield name
        yield from dotted_keys(value, name)


@dataclass(frozen=True)
class VarsLoader:
    """Loads ``vars`` entries: ``load(path)`` gives a params file's data, or
    ``MISSING`` when the file does not exist."""

    load: Callable[[str], Any]

    def merge_vars(
        self, ctx: Context, entries: Any, wdir: str, stage: str = ""
    ) -> Iterator[ContextError]:
        """Merge each entry into ``ctx``; yield what DVC would fail on."""
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            try:
                if isinstance(entry, str):
                    self.merge_file(ctx, entry, wdir, line_of(entry))
                elif isinstance(entry, dict):
                    name = f"{stage}.vars[{index}]" if stage else f"vars[{index}]"
                    ctx.merge(entry, name, None)
            except ContextError as error:
                yield error

    def merge_file(self, ctx: Context, entry: str, wdir: str, line: int | None) -> None:
        name, _, keys_text = entry.partition(":")
        path = posixpath.normpath(posixpath.join(wdir, name))
        keys = [key for key in keys_text.split(",") if key] or None
        if path in ctx.imports:
            if keys is None and ctx.imports[path] is None:
                return  # DVC allows naming a whole file twice
            _check_loaded(ctx.imports[path], entry, keys, line)
        try:
            data = self.load(path)
        except ContextError as error:
            raise ContextError(error.message, line) from None
        if data is UNKNOWN:
            ctx.complete = False
            return
        if data is MISSING:
            raise ContextError(f"{path} does not exist", line)
        if not isinstance(data, dict):
            raise ContextError(f"{path} holds no mapping", line)
        if keys is not None:
            data = {key: _pick(data, key, path, line) for key in keys}
        ctx.merge(data, path, line)
        if path not in ctx.imports:
            ctx.imports[path] = keys
        elif keys:
            ctx.imports[path] = [*(ctx.imports[path] or []), *keys]


def _pick(data: dict[str, Any], key: str, path: str, line: int | None) -> Any:
    if key not in data:
        raise ContextError(f"{path} has no key {key!r}", line)
    return data[key]


def _check_loaded(
    imported: list[str] | None, entry: str, keys: list[str] | None, line: int | None
) -> None:
    whole_then_part = keys and imported is None
    part_then_whole = not keys and isinstance(imported, list)
    overlap = keys and isinstance(imported, list) and set(keys) & set(imported)
    if whole_then_part or part_then_whole or overlap:
        raise ContextError(
            f"{entry!r} loads keys that an earlier entry already loaded",
            line,
        )
