"""The one exception family of dvc-hydra and how it reaches the user."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback


class DvcHydraError(Exception):
    """A problem the user can act on: printed as one line, exit code 2.

    ``path`` and ``line`` locate the problem, ``hint`` is an optional second
    line saying what to run or which options exist.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.line = line
        self.hint = hint

    def location(self) -> str:
        if self.path is None:
            return ""
        if self.line is None:
            return f"{shown_path(self.path)}: "
        return f"{shown_path(self.path)}:{self.line}: "

    def render(self) -> str:
        text = f"{self.location()}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the working directory when it lies below it.

    Symlinks are not followed: the message names the path the user knows.
    """
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd)
    return absolute


def report_error(error: DvcHydraError) -> int:
    print(f"dvc-hydra: {error.render()}", file=sys.stderr)
    return error.exit_code


def report_crash(exc: BaseException) -> int:
    """Save the traceback where a bug report can pick it up; exit code 3."""
    fd, log_path = tempfile.mkstemp(prefix="dvc-hydra-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=log)
    print(
        f"dvc-hydra: unexpected error: {type(exc).__name__}: {exc}\n"
        f"  the traceback is saved in {log_path}; please attach it to a bug report",
        file=sys.stderr,
    )
    return 3
