"""Compose a Hydra config tree into the bytes ``dvc exp run`` writes.

Hydra keeps one plugin registry and OmegaConf one resolver registry per
process, so a process composes for one repository only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import HydraSettings

if TYPE_CHECKING:
    from omegaconf import DictConfig

_plugins_loaded_from: Path | None = None


def load_plugins(settings: HydraSettings) -> None:
    """Let Hydra discover plugins and resolvers under ``plugins_path``, once."""
    global _plugins_loaded_from
    if _plugins_loaded_from is not None:
        return
    from hydra.core.plugins import Plugins

    plugins_dir = str(settings.plugins_dir)
    if settings.plugins_path and not settings.plugins_dir.is_dir():
        raise DvcHydraError(
            f"'hydra.plugins_path' is not a directory: {plugins_dir!r}",
            hint="point it at the folder that holds your hydra_plugins package",
        )
    sys.path.append(plugins_dir)
    try:
        Plugins.instance()
    except Exception as exc:
        from dvc_hydra.hydra_errors import plugin_error

        raise plugin_error(exc, settings) from exc
    finally:
        sys.path.remove(plugins_dir)
    _plugins_loaded_from = settings.plugins_dir


@contextmanager
def hydra_context(settings: HydraSettings) -> Iterator[None]:
    """Initialise Hydra on the settings' config dir or module."""
    from hydra import initialize_config_dir, initialize_config_module

    load_plugins(settings)
    config_path = settings.config_path
    if config_path is not None:
        _check_config_dir(config_path, settings)
        with initialize_config_dir(str(config_path), version_base=None):
            yield
        return
    assert settings.config_module is not None
    try:
        context = initialize_config_module(settings.config_module, version_base=None)
        context.__enter__()
    except Exception as exc:
        raise DvcHydraError(
            f"cannot load 'hydra.config_module' {settings.config_module!r}: {exc}",
            hint="the module must be importable from this Python environment; "
            "the dvc-hydra-compose-system hook uses your project's own environment",
        ) from None
    try:
        yield
    finally:
        context.__exit__(None, None, None)


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

    from dvc_hydra.hydra_errors import translate

    with hydra_context(settings):
        cfg = compose_in_context(settings, overrides)
    try:
        OmegaConf.resolve(cfg)
    except Exception as exc:
        raise translate(exc, settings, overrides, cfg) from None
    return cfg


def compose_in_context(settings: HydraSettings, overrides: Sequence[str]) -> Any:
    """Compose, unresolved, inside an active :func:`hydra_context`."""
    from hydra import compose

    from dvc_hydra.hydra_errors import translate

    try:
        return compose(config_name=settings.config_name, overrides=list(overrides))
    except Exception as exc:
        raise translate(exc, settings, overrides, None) from None


def to_yaml(cfg: DictConfig) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(cfg)


def compose_text(settings: HydraSettings, overrides: Sequence[str] = ()) -> str:
    """The text of ``params.yaml`` as ``dvc exp run`` would write it."""
    return to_yaml(compose_config(settings, overrides))
