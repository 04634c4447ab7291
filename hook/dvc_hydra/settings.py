"""DVC's ``[hydra]`` settings, read from every config level as DVC reads them."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.git import LISTED_FILES, git_output, git_paths

DVC_DIR = ".dvc"
PARAMS_FILE = "params.yaml"
HYDRA_KEYS = ("enabled", "config_dir", "config_module", "config_name", "plugins_path")


@dataclass(frozen=True)
class HydraSettings:
    """Where the Hydra tree of one DVC project lives and how to compose it."""

    root: Path
    enabled: bool = False
    config_dir: str | None = "conf"
    config_module: str | None = None
    config_name: str = "config"
    plugins_path: str = ""
    # Where each setting was read: (key, config file, line), for error messages.
    origins: tuple[tuple[str, str, int | None], ...] = ()

    def origin(self, key: str) -> tuple[str | None, int | None]:
        """The config file and line that set ``key``; (None, None) for a default."""
        for name, path, line in self.origins:
            if name == key:
                return path, line
        return None, None

    @property
    def config_path(self) -> Path | None:
        """The config dir as an absolute path (it is relative to the root)."""
        if self.config_module is not None or self.config_dir is None:
            return None
        return self.root / self.config_dir

    @property
    def plugins_dir(self) -> Path:
        # An unset plugins_path joins to the root itself, so the root is
        # always searched for plugins, exactly as DVC does.
        return Path(os.path.join(self.root, self.plugins_path))

    @property
    def params_path(self) -> Path:
        return self.root / PARAMS_FILE


def config_files(root: Path) -> list[Path]:
    """DVC's config files of ``root``, in the order they shadow each other."""
    import platformdirs

    system_dir = os.getenv("DVC_SYSTEM_CONFIG_DIR") or platformdirs.site_config_dir(
        "dvc", "iterative"
    )
    global_dir = os.getenv("DVC_GLOBAL_CONFIG_DIR") or platformdirs.user_config_dir(
        "dvc", "iterative"
    )
    return [
        Path(system_dir) / "config",
        Path(global_dir) / "config",
        root / DVC_DIR / "config",
        root / DVC_DIR / "config.local",
    ]


def load_settings(root: Path) -> HydraSettings:
    merged: dict[str, tuple[str, Path]] = {}
    for path in config_files(root):
        for key, value in _read_hydra_section(path).items():
            merged[key] = (value, path)
    return _validate(root, merged)


def _read_hydra_section(path: Path) -> dict[str, str]:
    from configobj import ConfigObj, ConfigObjError

    try:
        with open(path, "rb") as stream:
            parsed = ConfigObj(stream)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise DvcHydraError(
            "DVC config is a directory, not a file", path=path
        ) from None
    except UnicodeDecodeError as exc:
        raise DvcHydraError(
            f"DVC config is not valid UTF-8: {exc.reason}",
            path=path,
            line=exc.object[: exc.start].count(b"\n") + 1,
        ) from None
    except ConfigObjError as exc:
        line = getattr(exc, "line_number", None)
        message = re.sub(r"\s*at line \d+\.?$", "", str(exc))
        raise DvcHydraError(
            f"DVC config does not parse: {message}", path=path, line=line
        ) from None

    sections = {key.lower(): value for key, value in parsed.dict().items()}
    hydra = sections.get("hydra", {})
    if not isinstance(hydra, dict):
        # DVC drops such a value without a word and composes nothing.
        where = DvcHydraError("", path=path, line=_line_of(path, "hydra", None))
        print(
            f"dvc-hydra: warning: {where.location()}'hydra' is a value, not a "
            "section; DVC ignores it (write `[hydra]` and `enabled = true` below)",
            file=sys.stderr,
        )
        return {}
    return {key.lower(): value for key, value in hydra.items()}


Origins = dict[str, tuple[Path, Optional[int]]]


def _validate(root: Path, merged: dict[str, tuple[Any, Path]]) -> HydraSettings:
    """Check the merged ``[hydra]`` values as DVC's config schema does."""
    origins: Origins = {
        key: (path, _line_of(path, key)) for key, (_, path) in merged.items()
    }
    values = _checked_values(merged, origins)
    enabled = values.get("enabled", "false")
    if enabled.lower() not in ("true", "false"):
        raise DvcHydraError(
            f"'hydra.enabled' must be true or false, not {enabled!r}",
            path=origins["enabled"][0],
            line=origins["enabled"][1],
        )
    if "config_dir" in values and "config_module" in values:
        raise DvcHydraError(
            "'hydra.config_dir' and 'hydra.config_module' exclude each other",
            path=origins["config_module"][0],
            line=origins["config_module"][1],
            hint="keep only one of them (`dvc config --unset hydra.config_dir`)",
        )

    module = values.get("config_module")
    return HydraSettings(
        root=root,
        enabled=enabled.lower() == "true",
        config_dir=None if module is not None else values.get("config_dir", "conf"),
        config_module=module,
        config_name=values.get("config_name", "config"),
        plugins_path=values.get("plugins_path", ""),
        origins=tuple((key, str(path), line) for key, (path, line) in origins.items()),
    )


def _checked_values(
    merged: dict[str, tuple[Any, Path]], origins: Origins
) -> dict[str, str]:
    for key, (value, _) in merged.items():
        path, line = origins[key]
        if key not in HYDRA_KEYS:
            raise DvcHydraError(
                f"unknown setting 'hydra.{key}'",
                path=path,
                line=line,
                hint=f"DVC knows: {', '.join(HYDRA_KEYS)}",
            )
        if not isinstance(value, str):
            raise DvcHydraError(
                f"'hydra.{key}' must be a single value", path=path, line=line
            )
    return {key: value for key, (value, _) in merged.items()}


def _line_of(path: Path, key: str, section: str | None = "hydra") -> int | None:
    """The line of ``path`` that sets ``key`` in ``section``, for error messages.

    ConfigObj keeps no line numbers, so the file is scanned again; a key of the
    same name in another section does not count. ``section=None`` looks
    outside every section.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    header = re.compile(r"^\s*\[+\s*['\"]?([^\]'\"]*)")
    setting = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*=", re.IGNORECASE)
    current: str | None = None
    for number, text in enumerate(lines, start=1):
        found = header.match(text)
        if found:
            current = found.group(1).strip().lower()
        elif current == section and setting.match(text):
            return number
    return None


def find_dvc_root(start: Path) -> Path | None:
    """The DVC root above ``start``, searched as DVC does (up to a mount point)."""
    current = start.resolve()
    while True:
        if (current / DVC_DIR).is_dir():
            return current
        if os.path.ismount(current) or current.parent == current:
            return None
        current = current.parent


def git_root(start: Path) -> Path | None:
    output = git_output(("rev-parse", "--show-toplevel"), start)
    return Path(output.decode("utf-8", "surrogateescape").strip()) if output else None


def dvc_roots_below(top: Path) -> list[Path]:
    """Every DVC project inside the Git work tree ``top``, Git's ignores honoured."""
    patterns = (":(glob)**/.dvc/config", ":(glob)**/.dvc/.gitignore")
    found = git_paths((*LISTED_FILES, "--", *patterns), top) or []
    return sorted({path.parent.parent for path in found if path.parent.is_dir()})


def resolve_roots(repo: str | None, cwd: Path | None = None) -> list[Path]:
    """The DVC roots a command works on, per the command-line contract.

    An explicit ``repo`` must be a DVC project; otherwise the root above the
    working directory wins, and failing that every project below the Git root.
    """
    if repo is not None:
        path = Path(repo)
        if not (path / DVC_DIR).is_dir():
            raise DvcHydraError(
                "not a DVC project (no .dvc directory)",
                path=repo,
                hint="pass the folder that holds .dvc/, or run `dvc init` there",
            )
        return [path.resolve()]

    start = cwd or Path.cwd()
    root = find_dvc_root(start)
    if root is not None:
        return [root]
    top = git_root(start)
    if top is None:
        return []
    return dvc_roots_below(top)
