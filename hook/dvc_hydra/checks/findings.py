"""What a check found: one record per problem, located at a file and line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem. ``check`` names the family that found it (``dvc-yaml``,
    ``groups``, ``hand-edits``, ``stale``, ``resolvers``, ``mandatory``, ``files``)."""

    check: str
    level: str
    message: str
    path: str | None = None
    line: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.path is None:
            return ""
        if self.line is None:
            return f"{self.path}: "
        return f"{self.path}:{self.line}: "

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "level": self.level,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def display(path: str | os.PathLike[str] | None) -> str | None:
    """``path`` relative to the working directory when it lies inside it."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def counts(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(finding.level == ERROR for finding in findings)
    return errors, len(findings) - errors
