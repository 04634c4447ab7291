"""Turn Hydra, OmegaConf and YAML exceptions into errors that name a file and line.

Hydra reports most problems as prose without a location; :mod:`dvc_hydra.locate`
recovers the location from the config tree and the traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dvc_hydra import locate
from dvc_hydra.errors import DvcHydraError, shown_path
from dvc_hydra.settings import HydraSettings

OVERRIDE_GRAMMAR_URL = "https://hydra.cc/docs/advanced/override_grammar/basic/"


def translate(
    exc: Exception,
    settings: HydraSettings,
    overrides: Sequence[str],
    cfg: Any,
) -> Exception:
    """The :class:`DvcHydraError` for ``exc``; our own bugs pass through unchanged."""
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
        return _resolution_error(exc, settings, overrides, cfg)
    return _foreign_error(exc, settings, overrides)


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
    override = str(getattr(exc, "override", ""))
    found = _syntax_error(override)
    if found is None:
        first_line = str(getattr(exc, "message", exc)).splitlines()[0]
        return DvcHydraError(
            f"cannot parse override {override!r}: {first_line}",
            hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
        )
    column, problem = found
    return DvcHydraError(
        f"cannot parse override {override!r} at column {column + 1}: {problem}"
        f"\n    {override}\n    {' ' * column}^",
        hint=f"overrides follow Hydra's grammar: {OVERRIDE_GRAMMAR_URL}",
    )


def _syntax_error(override: str) -> tuple[int, str] | None:
    """The column and message of the first syntax error in ``override``.

    Hydra's own error listener drops the column, so the override is parsed
    again with Hydra's generated parser and a listener that keeps it.
    """
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from hydra.grammar.gen.OverrideLexer import OverrideLexer
    from hydra.grammar.gen.OverrideParser import OverrideParser

    class FirstError(ErrorListener):  # type: ignore[misc]
        found: tuple[int, str] | None = None

        def syntaxError(self, *args: Any) -> None:
            _recognizer, _symbol, _line, column, message, _error = args
            if self.found is None:
                self.found = (int(column), str(message))

    listener = FirstError()
    lexer = OverrideLexer(InputStream(override))
    parser = OverrideParser(CommonTokenStream(lexer))
    for recognizer in (lexer, parser):
        recognizer.removeErrorListeners()
        recognizer.addErrorListener(listener)
    parser.override()  # type: ignore[no-untyped-call]
    return listener.found


def _missing_config(
    exc: Any, settings: HydraSettings, overrides: Sequence[str]
) -> DvcHydraError:
    missing = str(exc.missing_cfg_file or "")
    message = str(exc).split("\n")[0]
    root = locate.config_root(settings)

    if message.startswith("Primary config module"):
        return DvcHydraError(message, hint=_module_hint())
    if missing == settings.config_name and message.startswith("Cannot find primary"):
        return _missing_primary(settings, root)

    group, _, option = missing.rpartition("/")
    hint = _options_hint(group, list(exc.options or []), settings)
    override = _override_for(group, option, overrides)
    if override is not None:
        return DvcHydraError(
            f"override {override!r}: {option!r} is not an option of {group!r}",
            hint=hint,
        )
    what = f"option {option!r} of group {group!r}" if group else f"config {option!r}"
    path, line = _defaults_entry(message, group, option, settings)
    return DvcHydraError(
        f"defaults list asks for {what}, which does not exist",
        path=path,
        line=line,
        hint=hint,
    )


def _missing_primary(settings: HydraSettings, root: Path | None) -> DvcHydraError:
    primaries = sorted(path.stem for path in root.glob("*.yaml")) if root else []
    hint = "set `dvc config hydra.config_name NAME`"
    if primaries:
        hint += f"; configs in the config dir: {', '.join(primaries)}"
    return DvcHydraError(
        f"primary config {settings.config_name + '.yaml'!r} not found",
        path=root / f"{settings.config_name}.yaml" if root else None,
        hint=hint,
    )


def _options_hint(group: str, options: list[str], settings: HydraSettings) -> str:
    if options:
        return f"available options in {group!r}: {', '.join(options)}"
    groups = _groups(settings)
    return f"no config group {group!r}" + (
        f"; groups: {', '.join(groups)}" if groups else ""
    )


def _groups(settings: HydraSettings) -> list[str]:
    root = locate.config_root(settings)
    if root is None:
        return []
    folders = {path.parent for path in locate.tree_files(settings)}
    return sorted(path.relative_to(root).as_posix() for path in folders - {root})


def _defaults_entry(
    message: str, group: str, option: str, settings: HydraSettings
) -> tuple[Path | None, int | None]:
    """The defaults-list line that asked for a missing option.

    Hydra names the config whose defaults list it was reading; when that file
    is not in the tree (Hydra's own ``hydra/config``), the entry is an
    ``override`` somewhere else in the tree.
    """
    root = locate.config_root(settings)
    parent_match = re.match(r"In '([^']+)': ", message)
    parent = parent_match.group(1) if parent_match else settings.config_name
    parent_file = root / f"{parent}.yaml" if root else None
    files = locate.tree_files(settings)
    if parent_file is not None and parent_file.is_file():
        files = [parent_file, *files]
    found = locate.defaults_line(files, group, option)
    if found is not None:
        return found
    if parent_file is not None and parent_file.is_file():
        return parent_file, locate.word_line(parent_file, option)
    return None, None


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
        return _resolution_error(cause, settings, overrides, None)

    first, *rest = text.splitlines() or ["Hydra could not compose the config"]
    hint = " ".join(line.strip() for line in rest if line.strip()) or None
    meant = _group_meant(first, settings, overrides)
    if meant is not None:
        hint = (
            f"did you mean {meant!r}? ({hint})" if hint else f"did you mean {meant!r}?"
        )
    return DvcHydraError(first, hint=hint)


def _group_meant(
    message: str, settings: HydraSettings, overrides: Sequence[str]
) -> str | None:
    """For a value override of a key that is no key, the group it likely names."""
    named = re.match(r"Could not override '([^']+)'", message)
    if named is None:
        return None
    key = named.group(1)
    override = next((o for o in overrides if o.partition("=")[0] == key), None)
    if override is None or "." in key:
        return None
    by_name = {group.rsplit("/", 1)[-1]: group for group in _groups(settings)}
    close = difflib.get_close_matches(key, list(by_name), n=1)
    return f"{by_name[close[0]]}={override.partition('=')[2]}" if close else None


def _resolution_error(
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


def _foreign_error(
    exc: Exception, settings: HydraSettings, overrides: Sequence[str]
) -> Exception:
    """User code raising, or Hydra reporting a user's mistake as ValueError.

    Anything else is a bug of ours and passes through to the crash report.
    """
    frame = locate.user_frame(exc, settings)
    if frame is not None:
        return DvcHydraError(
            f"plugin code raised {type(exc).__name__}: {exc}",
            path=frame.filename,
            line=frame.lineno,
        )
    if isinstance(exc, ValueError) and _raised_by_hydra(exc):
        return _hydra_value_error(exc, settings, overrides)
    return exc


def _raised_by_hydra(exc: BaseException) -> bool:
    import traceback

    import hydra

    frames = traceback.extract_tb(exc.__traceback__)
    package = str(Path(hydra.__file__).resolve().parent)
    return bool(frames) and str(Path(frames[-1].filename).resolve()).startswith(package)


def _hydra_value_error(
    exc: ValueError, settings: HydraSettings, overrides: Sequence[str]
) -> DvcHydraError:
    """Hydra names the config (``In 'x': ...``) or, for overrides, nothing."""
    message = str(exc).strip().splitlines()[0]
    named = re.search(r"[Ii]n '?([\w/.-]+?)'?[:,] ", message) or re.search(
        r"^Config ([\w/.-]+) must", message
    )
    root = locate.config_root(settings)
    if named and root is not None and (root / f"{named.group(1)}.yaml").is_file():
        path = root / f"{named.group(1)}.yaml"
        line = locate.word_line(path, "defaults")
        return DvcHydraError(message, path=path, line=line)
    culprit = _override_culprit(settings, overrides, type(exc))
    if culprit is not None:
        return DvcHydraError(f"override {culprit!r}: {message}")
    return DvcHydraError(message)


def _override_culprit(
    settings: HydraSettings, overrides: Sequence[str], kind: type[Exception]
) -> str | None:
    """The first override that fails alone with the same kind of error."""
    for override in overrides:
        try:
            locate.defaults_paths(settings, [override])
        except kind:
            return override
        except Exception:
            continue
    return None


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


def _module_hint() -> str:
    return (
        "the module must be importable from this Python environment; "
        "the dvc-hydra-compose-system hook uses your project's own environment"
    )
