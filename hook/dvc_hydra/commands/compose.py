"""``dvc-hydra compose``: write ``params.yaml`` as ``dvc exp run`` would, or check."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dvc_hydra import overrides as overrides_mod
from dvc_hydra import paramsfile
from dvc_hydra.errors import shown_path
from dvc_hydra.settings import HydraSettings, load_settings

SKIP_HINT = (
    "SKIP=dvc-hydra-compose git commit "
    "(SKIP=dvc-hydra-compose-system for the system hook)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-S",
        "--set-param",
        dest="set_params",
        action="append",
        default=[],
        metavar="OVERRIDE",
        help="a Hydra override, as `dvc exp run -S` takes it (repeatable)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and show the difference when params.yaml is stale",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, root: Path) -> int:
    settings = load_settings(root)
    if not settings.enabled:
        print(
            f"dvc-hydra: {_name(root)}: hydra is not enabled "
            "(`dvc config hydra.enabled true`); nothing to compose",
            file=sys.stderr,
        )
        return 0
    overrides = overrides_mod.single_point(args.set_params)
    return compose_and_compare(settings, overrides, args.check, args.format)


def compose_and_compare(
    settings: HydraSettings, overrides: list[str], check: bool, fmt: str
) -> int:
    from dvc_hydra.compose import compose_text
    from dvc_hydra.untracked import warn_untracked_inputs

    text = compose_text(settings, overrides)
    warn_untracked_inputs(settings, overrides, text)
    path = settings.params_path
    old_bytes = paramsfile.read_bytes(path)
    new_bytes = paramsfile.encode(text)
    stale = old_bytes != new_bytes
    old_text = paramsfile.decode(old_bytes) if stale else text
    changes = paramsfile.key_changes(old_bytes, text) if stale else []

    if fmt == "json":
        print(json.dumps(_json_report(settings, old_bytes, stale, changes)))
    if not stale:
        return 0
    if check:
        if fmt == "text":
            _print_stale_report(settings, old_text, text, changes)
        return 1

    paramsfile.write_atomic(path, new_bytes)
    if fmt == "text":
        _print_rewrite_report(settings, old_bytes is None, changes, text)
    return 1


def _json_report(
    settings: HydraSettings,
    old_bytes: bytes | None,
    stale: bool,
    changes: list[paramsfile.KeyChange] | None,
) -> dict[str, Any]:
    status = "current" if not stale else ("missing" if old_bytes is None else "stale")
    return {
        "repo": str(settings.root),
        "params": str(settings.params_path),
        "status": status,
        "changes": [change.as_json() for change in changes or []],
        "versions": versions(),
    }


def versions() -> dict[str, str]:
    import hydra
    import omegaconf

    return {"hydra-core": hydra.__version__, "omegaconf": omegaconf.__version__}


def _versions_line() -> str:
    found = versions()
    hydra, omegaconf = found["hydra-core"], found["omegaconf"]
    return f"composed with hydra-core {hydra}, omegaconf {omegaconf}"


def _print_stale_report(
    settings: HydraSettings,
    old_text: str | None,
    text: str,
    changes: list[paramsfile.KeyChange] | None,
) -> None:
    name = _name(settings.params_path)
    sys.stdout.write(paramsfile.unified_diff(old_text, text, name))
    what = "is missing" if old_text is None else "is stale"
    print(f"{name}: {what}; run `dvc-hydra compose` to rewrite it", file=sys.stderr)
    _print_changes(changes)
    print(f"  ({_versions_line()})", file=sys.stderr)


def _print_rewrite_report(
    settings: HydraSettings,
    created: bool,
    changes: list[paramsfile.KeyChange] | None,
    text: str,
) -> None:
    name = _name(settings.params_path)
    source = _source(settings)
    verb = "created" if created else "rewrote"
    print(f"{name}: {verb} from {source} ({_versions_line()})", file=sys.stderr)
    if created:
        pass
    elif changes == []:
        print("  same values, different formatting", file=sys.stderr)
    else:
        _print_changes(changes)
        print(
            f"  if these values were edited in {name} by hand or by "
            f"`dvc exp apply`, set them in {source} instead: the next "
            f"`dvc exp run` recomposes {name} and drops them.\n"
            f"  To commit anyway, skip this hook: {SKIP_HINT}",
            file=sys.stderr,
        )
    _print_lock_notice(settings, text)


def _print_lock_notice(settings: HydraSettings, text: str) -> None:
    import yaml

    from dvc_hydra.lockfile import stale_locked_params

    stages = stale_locked_params(settings.root, yaml.safe_load(text) or {})
    if stages:
        print(
            f"  dvc.lock records other params for stage(s) {', '.join(stages)}: "
            "the pipeline needs `dvc repro` or `dvc exp run`",
            file=sys.stderr,
        )


def _source(settings: HydraSettings) -> str:
    if settings.config_module is not None:
        return f"module {settings.config_module}"
    return f"{settings.config_dir}/"


def _print_changes(changes: list[paramsfile.KeyChange] | None) -> None:
    if changes is None:
        print("  the committed file is not valid YAML", file=sys.stderr)
        return
    for change in changes:
        print(f"  {change.describe()}", file=sys.stderr)


def _name(path: Path) -> str:
    return shown_path(path)
