"""Untracked files under the config dir: they feed the composition but are not
committed, and pre-commit does not stash them away."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dvc_hydra.git import git_paths
from dvc_hydra.settings import HydraSettings


def untracked_files(directory: Path) -> list[Path]:
    """Files Git does not track (and does not ignore) under ``directory``."""
    found = git_paths(
        ("ls-files", "--others", "--exclude-standard", "-z", "--", "."), directory
    )
    return found or []


def result_without(
    settings: HydraSettings, overrides: Sequence[str], left_out: list[Path]
) -> str | None:
    """The composed text with ``left_out`` removed; None if it does not compose.

    Raises OSError when the config dir cannot be copied.
    """
    from dvc_hydra.compose import compose_text
    from dvc_hydra.errors import DvcHydraError

    config_path = settings.config_path
    assert config_path is not None
    # Compared as written, not resolved: a symlink loop must not stop us.
    skipped = {os.path.abspath(path) for path in left_out}
    with tempfile.TemporaryDirectory(prefix="dvc-hydra-tracked-") as temp:
        copy = Path(temp) / "conf"
        shutil.copytree(
            config_path,
            copy,
            ignore=lambda folder, names: [
                name for name in names if os.path.join(folder, name) in skipped
            ],
            ignore_dangling_symlinks=True,
        )
        try:
            return compose_text(
                dataclasses.replace(settings, config_dir=str(copy)), overrides
            )
        except DvcHydraError:
            return None


def warn_untracked_inputs(
    settings: HydraSettings, overrides: Sequence[str], composed: str
) -> list[Path]:
    """Warn about untracked files that change ``composed``; return them."""
    # Limitation: only the config dir is looked at, not a config module or
    # untracked plugins under `hydra.plugins_path`.
    config_path = settings.config_path
    if config_path is None or not config_path.is_dir():
        return []
    found = untracked_files(config_path)
    if not found:
        return []
    try:
        if result_without(settings, overrides, found) == composed:
            return []
    except (OSError, shutil.Error):
        return []  # no copy, no comparison: better silent than wrong
    names = ", ".join(str(path.relative_to(settings.root)) for path in found)
    print(
        f"dvc-hydra: warning: untracked files change the composition: {names}\n"
        "  they are not part of the commit; `git add` them or move them away",
        file=sys.stderr,
    )
    return found
