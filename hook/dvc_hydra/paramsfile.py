"""Read, compare and atomically replace a ``params.yaml``."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError

MISSING = object()


@dataclass(frozen=True)
class KeyChange:
    key: str
    old: Any
    new: Any

    def describe(self) -> str:
        if self.old is MISSING:
            return f"{self.key}: (absent) -> {_short(self.new)}"
        if self.new is MISSING:
            return f"{self.key}: {_short(self.old)} -> (absent)"
        return f"{self.key}: {_short(self.old)} -> {_short(self.new)}"

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"key": self.key}
        if self.old is not MISSING:
            result["committed"] = self.old
        if self.new is not MISSING:
            result["composed"] = self.new
        return result


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def target_of(path: Path) -> Path:
    """The file a write to ``path`` lands in: symlinks are followed, as DVC does."""
    if path.is_symlink() and not path.exists():
        raise DvcHydraError(
            f"is a broken symlink (to {os.readlink(path)!r})",
            path=path,
            hint="remove the link or restore its target",
        )
    if path.is_dir():
        raise DvcHydraError(
            "is a directory, not a file",
            path=path,
            hint="move the directory away; params.yaml must be a file",
        )
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        # Reading a FIFO blocks, and replacing a device would destroy it.
        raise DvcHydraError(
            f"is not a regular file but {_kind(target)}",
            path=path,
            hint="params.yaml must be a regular file (or a link to one)",
        )
    return target


def _kind(path: Path) -> str:
    mode = path.stat().st_mode
    kinds = {
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "special")


def read_bytes(path: Path) -> bytes | None:
    """The current bytes of ``path``; None when there is no file yet."""
    try:
        return target_of(path).read_bytes()
    except FileNotFoundError:
        return None


def decode(data: bytes | None) -> str | None:
    """``data`` as text for a diff: newlines as Python reads them, bad bytes shown."""
    if data is None:
        return None
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def encode(text: str) -> bytes:
    """The bytes DVC writes for ``text``: UTF-8 in the platform's newlines."""
    return text.replace("\n", os.linesep).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see old or new, never half."""
    # Limitation: the file is replaced, not rewritten in place as DVC does: a
    # hard link to it keeps the old content, and only the mode is carried over
    # (not the owner or extended attributes).
    target = target_of(path)
    mode = _mode_for(target)
    try:
        _replace(target, data, mode)
    except OSError as exc:
        raise DvcHydraError(f"cannot write: {exc.strerror or exc}", path=path) from None


def _replace(target: Path, data: bytes, mode: int) -> None:
    fd, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def unified_diff(old: str | None, new: str, name: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{name}" if old is not None else "/dev/null",
        tofile=f"b/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def key_changes(old: bytes | None, new: str) -> list[KeyChange] | None:
    """Leaf-level differences; None when the old file is not YAML we can read."""
    import yaml

    try:
        old_data = yaml.safe_load(old.decode("utf-8")) if old else {}
    except (UnicodeDecodeError, yaml.YAMLError):
        return None
    new_data = yaml.safe_load(new)
    old_leaves = dict(flatten(old_data))
    new_leaves = dict(flatten(new_data))
    changes = []
    for key in _ordered_union(new_leaves, old_leaves):
        before = old_leaves.get(key, MISSING)
        after = new_leaves.get(key, MISSING)
        # Compare types too: YAML's true and 1 are equal in Python.
        if type(before) is not type(after) or before != after:
            changes.append(KeyChange(key, before, after))
    return changes


def _ordered_union(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    return list(first) + [key for key in second if key not in first]


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted keys to leaf values; lists and empty mappings are leaves."""
    if isinstance(data, dict) and data:
        items: list[tuple[str, Any]] = []
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            items.extend(flatten(value, name))
        return items
    return [(prefix, data)] if prefix else []
