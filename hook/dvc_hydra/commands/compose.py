"""``dvc-hydra compose``: write ``params.yaml`` as ``dvc exp run`` would, or check."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_hydra import overrides as overrides_mod
from dvc_hydra import paramsfile
from dvc_hydra.commands import add_set_param, enabled_settings
from dvc_hydra.errors import shown_path
from dvc_hydra.settings import HydraSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_set_param(
        parser,
        "a Hydra override, as `dvc exp run -S` takes it (repeatable)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and show the difference when params.yaml is stale",
    )
    mode.add_argument(
        "--force",
        action="store_true",
        help="rewrite params.yaml even when it holds edits made since the last "
        "commit (they are lost)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, root: Path) -> int:
    settings = enabled_settings(root, "compose")
    if settings is None:
        return 0
    overrides = overrides_mod.single_point(args.set_params)
    return compose_and_compare(
        settings, overrides, args.check, args.format, force=args.force
    )


@dataclass(frozen=True)
class Outcome:
    """What ``compose`` found in ``params.yaml`` and what it did about it."""

    settings: HydraSettings
    overrides: tuple[str, ...]
    text: str
    old_bytes: bytes | None
    # None when the old file is not YAML we can read.
    changes: list[paramsfile.KeyChange] | None
    # The file holds edits made since the last commit (see dvc_hydra.committed).
    edited: bool
    written: bool

    @property
    def name(self) -> str:
        return shown_path(self.settings.params_path)

    @property
    def status(self) -> str:
        if self.old_bytes == paramsfile.encode(self.text):
            return "current"
        return "missing" if self.old_bytes is None else "stale"


def compose_and_compare(
    settings: HydraSettings,
    overrides: list[str],
    check: bool,
    fmt: str,
    *,
    force: bool = False,
) -> int:
    from dvc_hydra.compose import compose_text
    from dvc_hydra.untracked import warn_untracked_inputs

    text = compose_text(settings, overrides)
    warn_untracked_inputs(settings, overrides, text)
    outcome = _apply(settings, tuple(overrides), text, write=not check, force=force)

    if fmt == "json":
        print(json.dumps(_json_report(outcome)))
    elif outcome.status == "current":
        pass
    elif check:
        _print_stale_report(outcome)
    elif outcome.written:
        _print_rewrite_report(outcome)
    else:
        _print_refusal(outcome)
    return 0 if outcome.status == "current" else 1


def _apply(
    settings: HydraSettings,
    overrides: tuple[str, ...],
    text: str,
    *,
    write: bool,
    force: bool,
) -> Outcome:
    """Compare ``params.yaml`` with ``text``; replace it unless that loses edits."""
    from dvc_hydra.committed import edited_since_commit

    path = settings.params_path
    old_bytes = paramsfile.read_bytes(path)
    new_bytes = paramsfile.encode(text)
    if old_bytes == new_bytes:
        return Outcome(settings, overrides, text, old_bytes, [], False, False)

    edited = old_bytes is not None and edited_since_commit(path, old_bytes)
    changes = paramsfile.key_changes(old_bytes, text)
    written = write and (force or not edited)
    if written:
        paramsfile.write_atomic(path, new_bytes)
    return Outcome(settings, overrides, text, old_bytes, changes, edited, written)


def _json_report(outcome: Outcome) -> dict[str, Any]:
    settings = outcome.settings
    return {
        "repo": str(settings.root),
        "params": str(settings.params_path),
        "status": outcome.status,
        "edited": outcome.edited,
        "written": outcome.written,
        "changes": [change.as_json() for change in outcome.changes or []],
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


def _print_stale_report(outcome: Outcome) -> None:
    name = outcome.name
    old_text = paramsfile.decode(outcome.old_bytes)
    sys.stdout.write(paramsfile.unified_diff(old_text, outcome.text, name))
    if outcome.edited:
        _say(
            f"{name}: edited since the last commit; its values belong in "
            f"{_source(outcome.settings)}, and `dvc-hydra compose --force` "
            "discards the edits"
        )
    else:
        what = "is missing" if old_text is None else "is stale"
        _say(f"{name}: {what}; run `dvc-hydra compose` to rewrite it")
    _print_changes(outcome.changes, "edited" if outcome.edited else "committed")
    _say(f"  ({_versions_line()})")


def _print_rewrite_report(outcome: Outcome) -> None:
    name = outcome.name
    verb = "created" if outcome.old_bytes is None else "rewrote"
    _say(f"{name}: {verb} from {_source(outcome.settings)} ({_versions_line()})")
    if outcome.old_bytes is not None:
        reason = _rewrite_reason(outcome)
        if reason is not None:
            _say(f"  {reason}")
        _print_changes(outcome.changes, "edited" if outcome.edited else "committed")
    _say(f"  review it, then `git add {name}` and commit again")
    _print_lock_notice(outcome.settings, outcome.text)


def _rewrite_reason(outcome: Outcome) -> str | None:
    if outcome.edited:
        return "its edits since the last commit are discarded (--force):"
    if not outcome.changes or outcome.overrides:
        return None
    return f"it was stale because {_source(outcome.settings)} changed:"


def _print_refusal(outcome: Outcome) -> None:
    """A file the user edited is left as it is: say why and the ways out."""
    from dvc_hydra.commands.compose_edits import print_refusal

    print_refusal(outcome, _source(outcome.settings), _versions_line())


def _print_lock_notice(settings: HydraSettings, text: str) -> None:
    import yaml

    from dvc_hydra.lockfile import stale_locked_params

    stages = stale_locked_params(settings.root, yaml.safe_load(text) or {})
    if stages:
        _say(
            f"  dvc.lock records other params for stage(s) {', '.join(stages)}: "
            "the pipeline needs `dvc repro` or `dvc exp run`"
        )


def _source(settings: HydraSettings) -> str:
    if settings.config_module is not None:
        return f"module {settings.config_module}"
    return f"{settings.config_dir}/"


def _print_changes(changes: list[paramsfile.KeyChange] | None, which: str) -> None:
    if changes is None:
        _say(f"  the {which} file is not valid YAML")
    elif not changes:
        _say("  same values, different formatting")
    for change in changes or []:
        _say(f"  {change.describe()}")


def _say(line: str) -> None:
    print(line, file=sys.stderr)
