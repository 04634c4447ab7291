"""The ``dvc-hydra`` command line: parse, dispatch, turn errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from collections.abc import Sequence
from types import ModuleType

from dvc_hydra import __version__
from dvc_hydra.errors import DvcHydraError, report_crash, report_error

# Subcommands that work on DVC projects take --repo and run once per project.
PROJECT_COMMANDS: dict[str, str] = {
    "compose": "compose params.yaml from the Hydra config tree",
    "sweep": "expand a sweep as DVC would and compose every point",
    "check": "report what DVC would only find when a stage fails",
    "run": "run every point of a grid as a DVC experiment",
}
OTHER_COMMANDS: dict[str, str] = {
    "demo": "build the bundled example and walk through the story",
    "report": "merge the results files of several shards into one summary",
}


def command_module(name: str) -> ModuleType:
    """The module of subcommand ``name``; imported on demand to keep start-up lean."""
    return importlib.import_module(f"dvc_hydra.commands.{name}")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``selected`` subcommand's options are loaded
    (every subcommand's, when ``selected`` is None)."""
    parser = argparse.ArgumentParser(
        prog="dvc-hydra",
        description="Hydra composition for DVC projects, outside `dvc exp run`.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name, help_text in {**PROJECT_COMMANDS, **OTHER_COMMANDS}.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if selected is not None and name != selected:
            continue
        if name in PROJECT_COMMANDS:
            sub.add_argument(
                "--repo",
                metavar="PATH",
                help="the DVC root (default: found from the working directory)",
            )
        command_module(name).add_arguments(sub)
    return parser


def _selected_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in {**PROJECT_COMMANDS, **OTHER_COMMANDS} else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_selected_command(argv)).parse_args(argv)
    try:
        if args.command in PROJECT_COMMANDS:
            return _run_on_projects(args, argv)
        return int(command_module(args.command).run(args))
    except DvcHydraError as error:
        return report_error(error)
    except KeyboardInterrupt:
        print("dvc-hydra: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return report_crash(exc)


def _run_on_projects(args: argparse.Namespace, argv: list[str]) -> int:
    from dvc_hydra.settings import resolve_roots

    module = command_module(args.command)
    roots = resolve_roots(args.repo)
    if not roots:
        print(
            "dvc-hydra: no DVC project found here or below the Git root; nothing to do",
            file=sys.stderr,
        )
        return 0
    if len(roots) == 1:
        return int(module.run(args, roots[0]))
    # Hydra's plugin registry lives for the whole process: one process per project.
    codes = [
        subprocess.run(
            [sys.executable, "-m", "dvc_hydra", *argv, "--repo", str(root)],
            check=False,
        ).returncode
        for root in roots
    ]
    return max(codes)
