"""Interpolations that do not resolve, located at the line that writes them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dvc_hydra import locate
from dvc_hydra.errors import DvcHydraError, shown_path
from dvc_hydra.settings import HydraSettings


def resolution_error(
    exc: Any, settings: HydraSettings, overrides: Sequence[str], cfg: Any
) -> DvcHydraError:
    """An interpolation or value that fails, located at the line that holds it."""
    message = str(getattr(exc, "msg", None) or exc).split("\n")[0]
    raw = getattr(exc, "value", None)
    full_key = getattr(exc, "full_key", None)
    if cfg is not None:
        failing = locate.failing_node(cfg)
        if failing is not None:
            full_key, raw = failing
    where = _value_location(settings, overrides, str(full_key or ""), raw)

    subject = f"{full_key}: cannot resolve {raw!r}: " if full_key else ""
    return DvcHydraError(
        f"{subject}{message}",
        path=where[0] if where else None,
        line=where[1] if where else None,
        hint=_resolution_hint(exc, message, cfg, settings, str(full_key), raw),
    )


def _value_location(
    settings: HydraSettings, overrides: Sequence[str], key: str, raw: Any
) -> tuple[Path, int] | None:
    if not isinstance(raw, str):
        return None
    files = locate.composition_files(settings, overrides) or locate.tree_files(settings)
    return locate.value_line(files, key, raw)


def _resolution_hint(
    exc: Any,
    message: str,
    cfg: Any,
    settings: HydraSettings,
    full_key: str,
    raw: Any,
) -> str | None:
    missing_key = re.search(r"Interpolation key '([^']+)' not found", message)
    if missing_key and cfg is not None:
        wanted = _absolute_key(missing_key.group(1), full_key, raw)
        nearest = difflib.get_close_matches(wanted, locate.all_keys(cfg), n=1)
        if nearest:
            return f"did you mean '{nearest[0]}'?"
    resolver = re.search(r"Unsupported interpolation type (\S+)", message)
    if resolver:
        return (
            f"no resolver {resolver.group(1)!r} is registered; register it in a "
            "hydra_plugins module under `hydra.plugins_path`"
        )
    env = re.search(r"Environment variable '([^']+)' not found", message)
    if env:
        name = env.group(1)
        return f"set {name}, or give a default: ${{oc.env:{name},DEFAULT}}"
    frame = locate.user_frame(exc, settings)
    if frame is not None:
        return f"raised at {shown_path(frame.filename)}:{frame.lineno}"
    return None


def _absolute_key(missing: str, full_key: str, raw: Any) -> str:
    """``missing`` as a full key when ``raw`` reached it relatively (``${..x}``)."""
    relative = re.search(rf"\$\{{(\.+){re.escape(missing)}\}}", str(raw))
    if relative is None:
        return missing
    parents = full_key.split(".")[: -len(relative.group(1))]
    return ".".join([*parents, missing])
