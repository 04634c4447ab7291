"""Compose a Hydra config tree into the bytes ``dvc exp run`` writes.

Hydra keeps one plugin registry and OmegaConf one resolver registry per
process, so a process composes for one repository only.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvc_hydra.errors import DvcHydraError, shown_path
from dvc_hydra.settings import HydraSettings

if TYPE_CHECKING:
    from omegaconf import DictConfig

_plugins_loaded_from: Path | None = None


def load_plugins(settings: HydraSettings) -> None:
    """Let Hydra discover plugins and resolvers under ``plugins_path``, once."""
    global _plugins_loaded_from
    _check_plugins_dir(settings)
    if _plugins_loaded_from is not None:
        return
    from hydra.core.plugins import Plugins

    plugins_dir = str(settings.plugins_dir)
    sys.path.append(plugins_dir)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Plugins.instance()
    except Exception as exc:
        from dvc_hydra.plugin_errors import plugin_error

        raise plugin_error(exc, settings) from exc
    finally:
        sys.path.remove(plugins_dir)
    _plugins_loaded_from = settings.plugins_dir
    # Hydra skips a plugin that fails to import, as DVC does; say so plainly.
    for warning in caught:
        from dvc_hydra.plugin_errors import plugin_warning

        print(
            f"dvc-hydra: warning: {plugin_warning(warning, settings)}", file=sys.stderr
        )


def _check_plugins_dir(settings: HydraSettings) -> None:
    # DVC puts a missing folder on sys.path without a word; a typo there
    # silently drops every resolver, so it is an error here.
    if not settings.plugins_path or settings.plugins_dir.is_dir():
        return
    path, line = settings.origin("plugins_path")
    what = "is not a directory" if settings.plugins_dir.exists() else "does not exist"
    raise DvcHydraError(
        f"'hydra.plugins_path' {what}: {shown_path(settings.plugins_dir)!r}",
        path=path,
        line=line,
        hint="point it at the folder that holds your hydra_plugins package",
    )


@contextmanager
def hydra_context(settings: HydraSettings) -> Iterator[None]:
    """Initialise Hydra on the settings' config dir or module."""
    load_plugins(settings)
    try:
        # Search-path plugins run here, in the initialiser's constructor.
        initializer = _initializer(settings)
    except Exception as exc:
        raise _translated(exc, settings, (), None) from None
    with initializer:
        yield


def _initializer(settings: HydraSettings) -> Any:
    from hydra import initialize_config_dir, initialize_config_module

    config_path = settings.config_path
    if config_path is not None:
        _check_config_dir(config_path, settings)
        return initialize_config_dir(str(config_path), version_base=None)
    assert settings.config_module is not None
    _check_config_module(settings)
    return initialize_config_module(settings.config_module, version_base=None)


def _check_config_module(settings: HydraSettings) -> None:
    """The config module must be an importable package, as Hydra needs."""
    import importlib.util

    module = settings.config_module
    assert module is not None
    try:
        spec = importlib.util.find_spec(module)
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if spec is not None and spec.submodule_search_locations is not None:
            return
        problem = "no such module" if spec is None else "a module, not a package"
    path, line = settings.origin("config_module")
    raise DvcHydraError(
        f"cannot import 'hydra.config_module' {module!r}: {problem}",
        path=path,
        line=line,
        hint="the config module must be a package importable from this Python "
        "environment (PYTHONPATH); the dvc-hydra-compose-system hook runs in "
        "your project's own environment",
    )


def _check_config_dir(config_path: Path, settings: HydraSettings) -> None:
    if config_path.is_dir():
        return
    what = "is not a directory" if config_path.exists() else "does not exist"
    raise DvcHydraError(
        f"config dir {what}",
        path=config_path,
        hint=f"create it, or point `dvc config hydra.config_dir` elsewhere "
        f"(now {settings.config_dir!r})",
    )


def compose_config(
    settings: HydraSettings, overrides: Sequence[str] = ()
) -> DictConfig:
    """The composed, fully resolved config of ``settings`` with ``overrides``."""
    from omegaconf import OmegaConf

    with hydra_context(settings):
        cfg: DictConfig = compose_in_context(settings, overrides)
    try:
        OmegaConf.resolve(cfg)
    except Exception as exc:
        raise _translated(exc, settings, overrides, cfg) from None
    return cfg


def compose_in_context(settings: HydraSettings, overrides: Sequence[str]) -> Any:
    """Compose, unresolved, inside an active :func:`hydra_context`."""
    from hydra import compose

    try:
        return compose(config_name=settings.config_name, overrides=list(overrides))
    except Exception as exc:
        raise _translated(exc, settings, overrides, None) from None


def _translated(
    exc: Exception, settings: HydraSettings, overrides: Sequence[str], cfg: Any
) -> Exception:
    # Imported on failure only: a composition that works never pays for it.
    from dvc_hydra.hydra_errors import translate

    return translate(exc, settings, overrides, cfg)


def to_yaml(cfg: DictConfig) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(cfg)


def compose_text(settings: HydraSettings, overrides: Sequence[str] = ()) -> str:
    """The text of ``params.yaml`` as ``dvc exp run`` would write it."""
    return to_yaml(compose_config(settings, overrides))
