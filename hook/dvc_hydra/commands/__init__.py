"""One module per subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

What several subcommands share lives here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvc_hydra.errors import shown_path
from dvc_hydra.settings import HydraSettings, load_settings


def add_set_param(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``-S``/``--set-param``, repeatable, as ``dvc exp run`` spells it."""
    parser.add_argument(
        "-S",
        "--set-param",
        dest="set_params",
        action="append",
        default=[],
        metavar="OVERRIDE",
        help=help_text,
    )


def enabled_settings(root: Path, nothing_to: str) -> HydraSettings | None:
    """The settings of ``root``; None, after one line, when Hydra is off there."""
    settings = load_settings(root)
    if settings.enabled:
        return settings
    print(
        f"dvc-hydra: {shown_path(root)}: hydra is not enabled "
        f"(`dvc config hydra.enabled true`); nothing to {nothing_to}",
        file=sys.stderr,
    )
    return None
