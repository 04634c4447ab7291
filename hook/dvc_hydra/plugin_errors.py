"""Problems in the user's own code under ``plugins_path``: plugins that do not
import, and plugin code that raises while Hydra composes."""

from __future__ import annotations

import re
from typing import Any

from dvc_hydra import locate
from dvc_hydra.errors import DvcHydraError, shown_path
from dvc_hydra.settings import HydraSettings


def user_code_error(
    exc: BaseException, settings: HydraSettings
) -> DvcHydraError | None:
    """``exc`` raised by the user's code, located there; None if it was not."""
    frame = locate.user_frame(exc, settings)
    if frame is None:
        return None
    return DvcHydraError(
        f"plugin code raised {type(exc).__name__}: {exc}",
        path=frame.filename,
        line=frame.lineno,
    )


def plugin_error(exc: BaseException, settings: HydraSettings) -> DvcHydraError:
    """A plugin module under ``plugins_path`` that fails to import."""
    if isinstance(exc, SyntaxError):
        return DvcHydraError(
            f"plugin does not compile: {exc.msg}", path=exc.filename, line=exc.lineno
        )
    frame = locate.user_frame(exc, settings)
    return DvcHydraError(
        f"plugin failed to load: {type(exc).__name__}: {exc}",
        path=frame.filename if frame else None,
        line=frame.lineno if frame else None,
        hint="plugins are imported from `hydra.plugins_path` "
        f"({shown_path(settings.plugins_dir)})",
    )


def plugin_warning(warning: Any, settings: HydraSettings) -> str:
    """One line for a warning raised while Hydra scanned the plugins."""
    text = str(warning.message).strip()
    skipped = re.match(r"Error importing '([^']+)'", text)
    if skipped is None:
        where = f"{shown_path(warning.filename)}:{warning.lineno}"
        return f"{where}: {warning.category.__name__}: {text.splitlines()[0]}"
    module = settings.plugins_dir.joinpath(*skipped.group(1).split("."))
    path = module / "__init__.py" if module.is_dir() else module.with_suffix(".py")
    reason = " ".join(text.splitlines()[-1].split()).replace(" : ", ": ", 1)
    return f"{shown_path(path)}: plugin skipped, it does not import: {reason}"
