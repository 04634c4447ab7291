"""YAML loaded so that every string remembers the line it was written on."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any


class LineStr(str):
    """A string scalar (a key or a value) with the 1-based line it came from."""

    line: int

    def __new__(cls, value: str, line: int) -> LineStr:
        text = super().__new__(cls, value)
        text.line = line
        return text


def line_of(value: Any) -> int | None:
    return value.line if isinstance(value, LineStr) else None


@functools.lru_cache(maxsize=1)
def _loader() -> Any:
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def construct_str(loader: yaml.SafeLoader, node: Any) -> LineStr:
        return LineStr(loader.construct_scalar(node), node.start_mark.line + 1)

    LineLoader.add_constructor("tag:yaml.org,2002:str", construct_str)
    return LineLoader


def load(text: str) -> Any:
    """Parse ``text``; raises ``yaml.YAMLError`` as PyYAML does."""
    import yaml

    return yaml.load(text, Loader=_loader())


def load_file(path: Path) -> Any:
    """The data of ``path``, or None when it cannot be read or parsed."""
    import yaml

    try:
        return load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def key_lines(data: Any, prefix: str = "") -> dict[str, int]:
    """Dotted key to the line of the key, for every key of nested mappings."""
    lines: dict[str, int] = {}
    if not isinstance(data, dict):
        return lines
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        line = line_of(key)
        if line is not None:
            lines[name] = line
        lines.update(key_lines(value, name))
    return lines
