"""The ``dvc-hydra`` command line: parse, dispatch, turn errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
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


# A grid and its results belong to one project: these refuse to guess.
SINGLE_PROJECT_COMMANDS = ("sweep", "run")


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
    except BrokenPipeError:
        # The reader went away (`dvc-hydra sweep | head`): nothing left to say.
        _silence_stdout()
        return 141
    except Exception as exc:
        return report_crash(exc)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


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
    if args.command in SINGLE_PROJECT_COMMANDS:
        names = ", ".join(_shown(root) for root in roots)
        raise DvcHydraError(
            f"{args.command} works on one DVC project, and {len(roots)} are "
            f"below the Git root: {names}",
            hint=f"pass --repo PATH, or run `dvc-hydra {args.command}` from inside "
            "the project",
        )
    if getattr(args, "format", None) == "json":
        return _json_for_each(roots, argv)
    return max(_in_own_process(root, argv).returncode for root in roots)


def _in_own_process(
    root: Path, argv: list[str], capture: bool = False
) -> subprocess.CompletedProcess[str]:
    # Hydra's plugin registry lives for the whole process: one process per project.
    return subprocess.run(
        [sys.executable, "-m", "dvc_hydra", *argv, "--repo", str(root)],
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=False,
    )


def _json_for_each(roots: list[Path], argv: list[str]) -> int:
    """One JSON document for several projects: a list, one entry per project."""
    documents, codes = [], []
    for root in roots:
        result = _in_own_process(root, argv, capture=True)
        codes.append(result.returncode)
        # Each document names its project ("repo"); a project that failed
        # to compose printed none and is null here, its error on stderr.
        documents.append(json.loads(result.stdout) if result.stdout.strip() else None)
    print(json.dumps(documents, indent=2))
    return max(codes)


def _shown(root: Path) -> str:
    try:
        return str(root.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(root)
