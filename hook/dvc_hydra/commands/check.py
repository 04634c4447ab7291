"""``dvc-hydra check``: consistency findings for a project.

Errors (dvc.yaml, group options, hand edits) give exit 1; warnings
(resolvers, mandatory values, files) only with ``--strict``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvc_hydra import overrides as overrides_mod
from dvc_hydra.commands import add_set_param, enabled_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "github", "json"),
        default="text",
        help="text lines, GitHub workflow annotations, or one JSON document",
    )
    parser.add_argument(
        "--strict", action="store_true", help="warnings also give exit code 1"
    )
    add_set_param(
        parser,
        "check the composition with this override, as `dvc exp run -S` "
        "would compose it (repeatable)",
    )


def run(args: argparse.Namespace, root: Path) -> int:
    from dvc_hydra.checks import run_checks
    from dvc_hydra.checks.findings import counts
    from dvc_hydra.checks.reporters import (
        render_github,
        render_json,
        render_text,
        summary,
    )

    settings = enabled_settings(root, "check")
    if settings is None:
        return 0
    overrides = overrides_mod.single_point(args.set_params)
    findings = run_checks(settings, overrides)

    renderers = {"text": render_text, "github": render_github}
    if args.format == "json":
        sys.stdout.write(render_json(findings, root))
    else:
        sys.stdout.write(renderers[args.format](findings))
    print(f"dvc-hydra check: {summary(findings)}", file=sys.stderr)
    errors, warnings = counts(findings)
    return 1 if errors or (args.strict and warnings) else 0
