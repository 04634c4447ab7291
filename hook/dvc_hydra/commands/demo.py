"""``dvc-hydra demo``: the bundled example as a real project, walked through."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        metavar="DIR",
        help="where to build the example (default: a new temporary folder)",
    )


def run(args: argparse.Namespace) -> int:
    from dvc_hydra.demo import main

    return main(args.directory)
