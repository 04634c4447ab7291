"""Whether the user changed ``params.yaml``, judged against what Git holds.

A ``params.yaml`` that equals its committed version was generated: when it is
stale, the config tree (or the settings) changed, and rewriting it loses
nothing. One that differs from its committed version holds the user's own
edits (by hand or by ``dvc exp apply``) and must not be overwritten.

pre-commit stashes unstaged changes before running hooks, so there the file
equals its staged version; comparing with ``HEAD`` rather than with the index
catches a staged edit as well as an unstaged one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dvc_hydra.git import git_output
from dvc_hydra.paramsfile import target_of


@dataclass(frozen=True)
class GitVersions:
    """A file's bytes in ``HEAD`` and in the index; None where it is absent."""

    head: bytes | None
    index: bytes | None


def edited_since_commit(path: Path, current: bytes) -> bool:
    """Whether ``current``, the content of ``path``, is an edit of the user's.

    Outside Git, or for a file Git neither tracks nor has committed, it is not:
    such a file can only have been written by a composition. A file staged
    but never committed counts as edited, since no commit holds it.
    """
    # Limitation: a composition written earlier and not committed yet (a
    # rewrite that was staged, then conf/ changed again) counts as an edit; the
    # user is told to discard it with `--force`, which loses nothing of theirs.
    versions = git_versions(target_of(path))
    if versions is None or (versions.head is None and versions.index is None):
        return False
    if versions.head is None:
        return True
    # Git may convert newlines on checkout (core.autocrlf): compare lines.
    return _lines(versions.head) != _lines(current)


def git_versions(path: Path) -> GitVersions | None:
    """The versions of ``path`` in ``HEAD`` and the index; None outside Git."""
    if "\n" in path.name:
        return None  # cannot be named on cat-file's line-based input
    names = f"HEAD:./{path.name}\n:./{path.name}\n".encode("utf-8", "surrogateescape")
    output = git_output(("cat-file", "--batch"), path.parent, stdin=names)
    if output is None:
        return None
    head, rest = _next_blob(output)
    index, _ = _next_blob(rest)
    return GitVersions(head=head, index=index)


def _next_blob(output: bytes) -> tuple[bytes | None, bytes]:
    """The first object of ``git cat-file --batch`` output, and what follows."""
    header, _, rest = output.partition(b"\n")
    if header.endswith((b" missing", b" ambiguous")) or not header:
        return None, rest
    _, kind, size = header.rsplit(b" ", 2)
    content, rest = rest[: int(size)], rest[int(size) + 1 :]
    # A folder or a submodule of that name is no version of the file.
    return (content if kind == b"blob" else None), rest


def _lines(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")
