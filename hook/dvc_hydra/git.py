"""Ask Git about the work tree; every question tolerates a missing Git."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

# Files Git tracks plus those it would track: untracked but not ignored.
LISTED_FILES = ("ls-files", "--cached", "--others", "--exclude-standard", "-z")


def git_output(
    args: Sequence[str], cwd: Path, stdin: bytes | None = None
) -> bytes | None:
    """Standard output of ``git ARGS`` in ``cwd``; None when Git is missing,
    ``cwd`` is no folder, or the command fails (outside a repository, say)."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def git_paths(args: Sequence[str], cwd: Path) -> list[Path] | None:
    """The paths a ``git ls-files -z ...`` command lists, below ``cwd``."""
    output = git_output(args, cwd)
    if output is None:
        return None
    names = output.decode("utf-8", "surrogateescape").split("\0")
    return [cwd / name for name in names if name]
