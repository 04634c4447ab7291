"""Find the file and line of the user's that a composition problem comes from.

Hydra and OmegaConf name keys and config paths, rarely files and lines; the
functions here search the config tree and tracebacks for them.
"""

from __future__ import annotations

import os
import re
import sysconfig
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dvc_hydra.settings import HydraSettings


def config_root(settings: HydraSettings) -> Path | None:
    """The folder holding the config tree: the config dir or the module's package."""
    if settings.config_path is not None:
        return settings.config_path
    import importlib.util

    assert settings.config_module is not None
    try:
        spec = importlib.util.find_spec(settings.config_module)
    except Exception:
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def composition_files(settings: HydraSettings, overrides: Sequence[str]) -> list[Path]:
    """The files of the config tree a composition reads, in merge order.

    Empty when the defaults list itself cannot be computed.
    """
    root = config_root(settings)
    if root is None:
        return []
    try:
        defaults = defaults_paths(settings, overrides)
    except Exception:
        return []
    files = [root / f"{path}.yaml" for path in defaults]
    return [path for path in files if path.is_file()]


def defaults_paths(settings: HydraSettings, overrides: Sequence[str]) -> list[str]:
    """The config paths of Hydra's defaults list; Hydra's errors pass through."""
    from hydra.core.global_hydra import GlobalHydra

    from dvc_hydra.compose import hydra_context

    if GlobalHydra.instance().is_initialized():
        return _config_paths(settings, overrides)
    with hydra_context(settings):
        return _config_paths(settings, overrides)


def _config_paths(settings: HydraSettings, overrides: Sequence[str]) -> list[str]:
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    loader = GlobalHydra.instance().config_loader()
    found = loader.compute_defaults_list(
        settings.config_name, list(overrides), RunMode.RUN
    )
    return [item.config_path for item in found.defaults if item.config_path]


def tree_files(settings: HydraSettings) -> list[Path]:
    """Every YAML file of the config tree, sorted."""
    root = config_root(settings)
    if root is None or not root.is_dir():
        return []
    return sorted(root.rglob("*.yaml"))


def value_line(files: Sequence[Path], key: str, text: str) -> tuple[Path, int] | None:
    """Where ``text``, the raw value of ``key``, is written.

    Later files win merges, so they are searched first; a line that also
    names the key's last part is preferred to one that only holds the text.
    """
    last = re.escape(key.rsplit(".", 1)[-1])
    keyed = re.compile(rf"^\s*(-\s+)?['\"]?{last}['\"]?\s*:")
    for wants_key in (True, False):
        for path in reversed(files):
            for number, line in numbered_lines(path):
                if text in line and (not wants_key or keyed.match(line)):
                    return path, number
    return None


def defaults_line(
    files: Sequence[Path], group: str, option: str
) -> tuple[Path, int] | None:
    """The defaults-list entry that picks ``option`` of ``group``."""
    tail = re.escape(group.rsplit("/", 1)[-1])
    entry = re.compile(
        rf"^\s*-\s*(override\s+|optional\s+)*['\"]?/?([\w/]*/)?{tail}(@[\w.]+)?"
        rf"['\"]?\s*:.*(?<![\w.-]){re.escape(option)}(?![\w.-])"
    )
    for path in files:
        for number, line in numbered_lines(path):
            if entry.match(line):
                return path, number
    return None


def word_line(path: Path, word: str) -> int | None:
    pattern = re.compile(rf"(?<![\w./-]){re.escape(word)}(?![\w-])")
    for number, line in numbered_lines(path):
        if pattern.search(line):
            return number
    return None


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    yield from enumerate(lines, start=1)


def user_frame(
    exc: BaseException, settings: HydraSettings
) -> traceback.FrameSummary | None:
    """The innermost frame of the user's own code (plugins, config module) in
    ``exc`` or the exceptions it was raised from."""
    folders = [str(settings.plugins_dir.resolve())]
    root = config_root(settings) if settings.config_module else None
    if root is not None:
        folders.append(str(root.parent.resolve()))
    found = None
    for error in _chain(exc):
        for frame in traceback.extract_tb(error.__traceback__):
            if _is_user_file(frame.filename, folders):
                found = frame
        if found is not None:
            return found
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and then, innermost last, the exceptions it came from."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    yield from reversed(seen)


def _is_user_file(filename: str, folders: list[str]) -> bool:
    if filename.startswith("<") or not os.path.isfile(filename):
        return False  # frozen modules, code compiled from strings
    path = os.path.realpath(filename)
    if not any(path.startswith(folder + os.sep) for folder in folders):
        return False
    return not any(path.startswith(folder + os.sep) for folder in _library_folders())


def _library_folders() -> list[str]:
    """Installed code, never the user's: a virtualenv may live in the project."""
    paths = sysconfig.get_paths()
    names = ("purelib", "platlib", "stdlib", "platstdlib")
    ours = str(Path(__file__).resolve().parent)
    return [os.path.realpath(paths[name]) for name in names if name in paths] + [ours]


def all_keys(cfg: Any) -> list[str]:
    """Every dotted key of ``cfg``, containers included."""
    keys: set[str] = set()
    for name, _node in walk(cfg, ""):
        parts = name.split(".")
        keys.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(keys)


def walk(cfg: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Dotted key and node of every leaf and every interpolation in ``cfg``."""
    from omegaconf import DictConfig, ListConfig

    keys: list[Any]
    if isinstance(cfg, DictConfig):
        keys = list(cfg.keys())
    elif isinstance(cfg, ListConfig):
        keys = list(range(len(cfg)))
    else:
        return
    for key in keys:
        node = cfg._get_node(key)
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(node, (DictConfig, ListConfig)) and not node._is_interpolation():
            yield from walk(node, name)
        else:
            yield name, node


def failing_node(cfg: Any) -> tuple[str, str] | None:
    """The interpolation whose own expression fails, with its raw text.

    A node that only refers to a failing node (``${paths.data_dir}``) is
    followed to the node that fails by itself (``${oc.env:PROJECT_ROOT}``).
    """
    failing = dict(_failing_interpolations(cfg))
    if not failing:
        return None
    key = next(iter(failing))
    seen = {key}
    while True:
        referenced = [
            name
            for name in re.findall(r"\$\{([\w.\-\[\]]+)\}", failing[key])
            if name in failing and name not in seen
        ]
        if not referenced:
            return key, failing[key]
        key = referenced[0]
        seen.add(key)


def _failing_interpolations(cfg: Any) -> Iterator[tuple[str, str]]:
    from omegaconf import OmegaConf

    for key, node in walk(cfg, ""):
        if not OmegaConf.is_interpolation(node._get_parent(), node._key()):
            continue
        try:
            node._dereference_node()
        except Exception:
            yield key, str(node._value())
