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
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.plugin_errors import user_code_error
from dvc_hydra.resolution_errors import resolution_error
from dvc_hydra.settings import HydraSettings


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
    if isinstance(exc, yaml.YAMLError):
        return _yaml_reader_error(exc)
    if isinstance(exc, UnicodeDecodeError):
        return _not_utf8(exc, settings)
    if isinstance(exc, OverrideParseException):
        from dvc_hydra.overrides import override_parse_error

        return override_parse_error(exc)
    if isinstance(exc, MissingConfigException):
        return _missing_config(exc, settings, overrides)
    if isinstance(exc, ConfigCompositionException):
        return _composition_error(exc, settings, overrides)
    if isinstance(exc, OmegaConfBaseException):
        return resolution_error(exc, settings, overrides, cfg)
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


def _yaml_reader_error(exc: Any) -> DvcHydraError:
    """A character YAML refuses: the reader names the file and an offset."""
    path = getattr(exc, "name", None)
    line = None
    if path and isinstance(getattr(exc, "position", None), int):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        line = text[: exc.position].count("\n") + 1
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return DvcHydraError(f"YAML cannot read this file: {reason}", path=path, line=line)


def _not_utf8(exc: UnicodeDecodeError, settings: HydraSettings) -> DvcHydraError:
    """Hydra reads configs as UTF-8 and does not say which file failed."""
    for path in locate.tree_files(settings):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as found:
            line = data[: found.start].count(b"\n") + 1
            return DvcHydraError(
                f"not valid UTF-8: {found.reason}",
                path=path,
                line=line,
                hint="save the file as UTF-8, as Hydra reads it",
            )
    return DvcHydraError(f"a config file is not valid UTF-8: {exc.reason}")


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
        return resolution_error(cause, settings, overrides, None)

    first, *rest = text.splitlines() or ["Hydra could not compose the config"]
    hint = " ".join(line.strip() for line in rest if line.strip()) or None
    meant = _group_meant(first, settings, overrides)
    if meant is not None:
        hint = (
            f"did you mean {meant!r}? ({hint})" if hint else f"did you mean {meant!r}?"
        )
    path, line = _mentioned_location(first, settings)
    return DvcHydraError(first, path=path, line=line, hint=hint)


def _mentioned_location(
    message: str, settings: HydraSettings
) -> tuple[Path | None, int | None]:
    """The config a Hydra message names (``In 'x':``), or the interpolation
    text it quotes, found in the config tree."""
    root = locate.config_root(settings)
    named = re.search(r"(?:[Ii]n|config) '([\w/.-]+)'", message)
    if root is not None and named and (root / f"{named.group(1)}.yaml").is_file():
        path = root / f"{named.group(1)}.yaml"
        quoted = re.findall(r"'([^']+)'", message[named.end() :])
        words = [*quoted, "defaults"]
        lines = (locate.word_line(path, word) for word in words)
        return path, next((line for line in lines if line is not None), None)
    interpolation = re.search(r"'(\$\{[^']*\})'", message)
    if interpolation:
        found = locate.value_line(locate.tree_files(settings), "", interpolation[1])
        if found is not None:
            return found
    return None, None


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


def _foreign_error(
    exc: Exception, settings: HydraSettings, overrides: Sequence[str]
) -> Exception:
    """User code raising, or Hydra reporting a user's mistake as ValueError.

    Anything else is a bug of ours and passes through to the crash report.
    """
    from_user = user_code_error(exc, settings)
    if from_user is not None:
        return from_user
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


def _module_hint() -> str:
    return (
        "the module must be importable from this Python environment; "
        "the dvc-hydra-compose-system hook uses your project's own environment"
    )
