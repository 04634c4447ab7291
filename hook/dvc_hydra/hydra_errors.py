"""Turn Hydra, OmegaConf and YAML exceptions into errors that name a file and line.

Hydra reports most problems as prose without a location; the functions here
recover the location from the config tree itself.
"""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import HydraSettings

OVERRIDE_GRAMMAR_URL = "https://hydra.cc/docs/advanced/override_grammar/basic/"


def translate(
    exc: Exception,
    settings: HydraSettings,
    overrides: Sequence[str],
    cfg: Any,
) -> Exception:
    """The :class:`DvcHydraError` for ``exc``; foreign bugs pass through unchanged."""
    import yaml
    from hydra.errors import (
        ConfigCompositionException,
        MissingConfigException,
        OverrideParseException,
    )
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, DvcHydraError):
        return exc
    if isinstance(exc, yaml.MarkedYAMLError):
        return _yaml_error(exc)
    if isinstance(exc, OverrideParseException):
        return override_parse_error(exc)
    if isinstance(exc, MissingConfigException):
        return _missing_config(exc, settings, overrides)
    if isinstance(exc, ConfigCompositionException):
        return _composition_error(exc, settings, overrides)
    if isinstance(exc, OmegaConfBaseException):
        return _resolution_error(exc, settings, cfg)
    return exc


def _yaml_error(exc: Any) -> DvcHydraError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    return DvcHydraError(
        f"YAML syntax error: {problem}{context}",
        path=mark.name if mark else None,
        line=mark.line + 1 if mark else None,
    )


def override_parse_error(exc: Any) -> DvcHydraError:
    """A malformed override, with the column where parsing stopped."""
    override = getattr(exc, "override", "")
    first_line = str(getattr(exc, "message", exc)).splitlines()[0]
    column = _offending_column(exc)
    where = f" at column {column + 1}" if column is not None else ""
    pointer = f"\n    {override}\n    {' ' * column}^" if column is not None else ""
    return DvcHydraError(
        f"cannot parse override {override!r}{where}: {first_line}{pointer}",
        hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
    )


def _offending_column(exc: BaseException) -> int | None:
    cause: BaseException | None = exc
    while cause is not None:
        token = getattr(cause, "offendingToken", None)
        if token is not None and getattr(token, "column", None) is not None:
            return int(token.column)
        cause = cause.__cause__ or cause.__context__
    return None


def _missing_config(
    exc: Any, settings: HydraSettings, overrides: Sequence[str]
) -> DvcHydraError:
    missing = str(exc.missing_cfg_file or "")
    message = str(exc).split("\n")[0]
    config_dir = settings.config_path

    if missing == settings.config_name and message.startswith("Cannot find primary"):
        primaries = _yaml_names(config_dir) if config_dir else []
        hint = "set `dvc config hydra.config_name NAME`"
        if primaries:
            hint += f"; configs in the config dir: {', '.join(primaries)}"
        return DvcHydraError(
            f"primary config {settings.config_name + '.yaml'!r} not found",
            path=config_dir / f"{settings.config_name}.yaml" if config_dir else None,
            hint=hint,
        )

    group, _, option = missing.rpartition("/")
    options = list(exc.options or [])
    if options:
        hint = f"available options in {group!r}: {', '.join(options)}"
    else:
        groups = _groups(config_dir) if config_dir else []
        hint = f"no config group {group!r}" + (
            f"; groups: {', '.join(groups)}" if groups else ""
        )

    override = _override_for(group, option, overrides)
    if override is not None:
        return DvcHydraError(
            f"override {override!r}: {option!r} is not an option of {group!r}",
            hint=hint,
        )

    parent_match = re.match(r"In '([^']+)': ", message)
    parent = parent_match.group(1) if parent_match else settings.config_name
    parent_file = config_dir / f"{parent}.yaml" if config_dir else None
    line = _line_mentioning(parent_file, option) if parent_file else None
    what = f"option {option!r} of group {group!r}" if group else f"config {option!r}"
    return DvcHydraError(
        f"defaults list asks for {what}, which does not exist",
        path=_display(parent_file, settings),
        line=line,
        hint=hint,
    )


def _override_for(group: str, option: str, overrides: Sequence[str]) -> str | None:
    for override in overrides:
        key, _, value = override.partition("=")
        key = key.lstrip("+~").split("@")[0]
        if key == group and option in re.split(r"[\[\],\s]+", value):
            return override
    return None


def _composition_error(
    exc: Any, settings: HydraSettings, overrides: Sequence[str]
) -> DvcHydraError:
    from omegaconf.errors import OmegaConfBaseException

    cause = exc.__cause__
    text = str(exc).strip()
    if not text and isinstance(cause, OmegaConfBaseException):
        return _resolution_error(cause, settings, None)

    first, *rest = text.splitlines() or ["Hydra could not compose the config"]
    hint = " ".join(line.strip() for line in rest if line.strip()) or None
    return DvcHydraError(first, hint=hint)


def _resolution_error(exc: Any, settings: HydraSettings, cfg: Any) -> DvcHydraError:
    """An interpolation or value that fails, located at the line that holds it."""
    message = str(getattr(exc, "msg", None) or exc).split("\n")[0]
    raw = getattr(exc, "value", None)
    full_key = getattr(exc, "full_key", None)
    if cfg is not None and not isinstance(raw, str):
        failing = _first_failing_node(cfg)
        if failing is not None:
            full_key, raw = failing

    path, line = (None, None)
    if isinstance(raw, str) and settings.config_path is not None:
        path, line = _locate_text(settings.config_path, raw)

    subject = f"{full_key}: cannot resolve {raw!r}: " if full_key else ""
    return DvcHydraError(
        f"{subject}{message}",
        path=_display(path, settings),
        line=line,
        hint=_resolution_hint(message, cfg),
    )


def _resolution_hint(message: str, cfg: Any) -> str | None:
    missing_key = re.search(r"Interpolation key '([^']+)' not found", message)
    if missing_key and cfg is not None:
        nearest = difflib.get_close_matches(missing_key.group(1), _all_keys(cfg), n=1)
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
    return None


def _first_failing_node(cfg: Any) -> tuple[str, str] | None:
    from omegaconf import OmegaConf

    for key, node in _walk(cfg, ""):
        if not OmegaConf.is_interpolation(node._get_parent(), node._key()):
            continue
        try:
            node._dereference_node()
        except Exception:
            return key, str(node._value())
    return None


def _walk(cfg: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    from omegaconf import DictConfig, ListConfig

    keys: Iterator[Any]
    if isinstance(cfg, DictConfig):
        keys = iter(cfg.keys())
    elif isinstance(cfg, ListConfig):
        keys = iter(range(len(cfg)))
    else:
        return
    for key in keys:
        node = cfg._get_node(key)
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(node, (DictConfig, ListConfig)) and not node._is_interpolation():
            yield from _walk(node, name)
        else:
            yield name, node


def _all_keys(cfg: Any) -> list[str]:
    keys = []
    for name, _node in _walk(cfg, ""):
        parts = name.split(".")
        keys.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(set(keys))


def _locate_text(config_dir: Path, text: str) -> tuple[Path | None, int | None]:
    for path in sorted(config_dir.rglob("*.yaml")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if text in line:
                return path, number
    return None, None


def _line_mentioning(path: Path, word: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"(?<![\w./-]){re.escape(word)}(?![\w-])")
    for number, line in enumerate(lines, start=1):
        if pattern.search(line):
            return number
    return None


def _yaml_names(config_dir: Path) -> list[str]:
    if not config_dir.is_dir():
        return []
    return sorted(path.stem for path in config_dir.glob("*.yaml"))


def _groups(config_dir: Path) -> list[str]:
    if not config_dir.is_dir():
        return []
    groups = {
        path.parent.relative_to(config_dir).as_posix()
        for path in config_dir.rglob("*.yaml")
        if path.parent != config_dir
    }
    return sorted(groups)


def _display(path: Path | str | None, settings: HydraSettings) -> str | None:
    """A path relative to the working directory when it is inside it."""
    if path is None:
        return None
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def plugin_error(exc: BaseException, settings: HydraSettings) -> DvcHydraError:
    """A plugin module under ``plugins_path`` that fails to import."""
    if isinstance(exc, SyntaxError):
        return DvcHydraError(
            f"plugin does not compile: {exc.msg}",
            path=_display(exc.filename, settings),
            line=exc.lineno,
        )
    frames = traceback.extract_tb(exc.__traceback__)
    plugins_dir = str(settings.plugins_dir.resolve())
    own = [frame for frame in frames if frame.filename.startswith(plugins_dir)]
    frame = own[-1] if own else (frames[-1] if frames else None)
    return DvcHydraError(
        f"plugin failed to load: {type(exc).__name__}: {exc}",
        path=_display(frame.filename, settings) if frame else None,
        line=frame.lineno if frame else None,
        hint="plugins are imported from `hydra.plugins_path` "
        f"({settings.plugins_dir})",
    )
