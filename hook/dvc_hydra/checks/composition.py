"""The default composition and the Hydra state the checks share.

Everything here runs inside an active ``hydra_context``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.settings import HydraSettings

# Config sources that belong to Hydra itself, not to the project.
FOREIGN_PROVIDERS = ("hydra", "schema")


@dataclass(frozen=True)
class Composition:
    """The default composition: unresolved, resolved, as text and as data."""

    settings: HydraSettings
    overrides: tuple[str, ...]
    raw: Any
    resolved: Any
    text: str
    data: Any
    defaults: Any
    loader: Any


@dataclass(frozen=True)
class Attempt:
    """One composition that may fail: the data, or the error and its cause."""

    data: Any = None
    error: DvcHydraError | None = None
    cause: Exception | None = None


def compose_base(settings: HydraSettings, overrides: Sequence[str]) -> Composition:
    """The composition ``dvc exp run`` writes; failing is a configuration error."""
    import yaml
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from dvc_hydra.compose import compose_in_context, to_yaml

    raw = compose_in_context(settings, overrides)
    resolved = _resolved(raw, settings, overrides)
    text = to_yaml(resolved)
    loader = GlobalHydra.instance().config_loader()
    defaults = loader.compute_defaults_list(
        settings.config_name, list(overrides), RunMode.RUN
    )
    return Composition(
        settings=settings,
        overrides=tuple(overrides),
        raw=raw,
        resolved=resolved,
        text=text,
        data=yaml.safe_load(text),
        defaults=defaults,
        loader=loader,
    )


def _resolved(raw: Any, settings: HydraSettings, overrides: Sequence[str]) -> Any:
    from omegaconf import OmegaConf

    from dvc_hydra.hydra_errors import translate

    resolved = copy.deepcopy(raw)
    try:
        OmegaConf.resolve(resolved)
    except Exception as exc:
        raise translate(exc, settings, overrides, raw) from None
    return resolved


def attempt(settings: HydraSettings, overrides: Sequence[str]) -> Attempt:
    """Compose and resolve, keeping a failure instead of raising it."""
    import yaml
    from hydra import compose
    from omegaconf import OmegaConf

    from dvc_hydra.compose import to_yaml
    from dvc_hydra.hydra_errors import translate

    cfg = None
    try:
        cfg = compose(config_name=settings.config_name, overrides=list(overrides))
        OmegaConf.resolve(cfg)
        # Through YAML, so values compare as they do in params.yaml.
        return Attempt(data=yaml.safe_load(to_yaml(cfg)))
    except Exception as exc:
        # A failed resolution leaves the failing interpolation in place.
        error = translate(exc, settings, overrides, cfg)
        if not isinstance(error, DvcHydraError):
            error = DvcHydraError(f"{type(exc).__name__}: {exc}")
        return Attempt(error=error, cause=exc)


def project_sources(loader: Any) -> list[Any]:
    """The config sources of the project (its config dir or module)."""
    return [
        source
        for source in loader.get_sources()
        if source.provider not in FOREIGN_PROVIDERS
        and source.scheme() in ("file", "pkg")
    ]


def source_dir(source: Any) -> Path | None:
    """The folder on disk behind a ``file://`` or ``pkg://`` config source."""
    if source.scheme() == "file":
        return Path(source.path)
    try:
        from importlib import resources

        folder = Path(str(resources.files(source.path)))
    except Exception:
        return None
    return folder if folder.is_dir() else None


def config_file(loader: Any, config_path: str) -> Path | None:
    """The YAML file a config path is loaded from, when it is a file on disk."""
    for source in project_sources(loader):
        if not source.is_config(config_path):
            continue
        folder = source_dir(source)
        if folder is not None and (folder / f"{config_path}.yaml").is_file():
            return folder / f"{config_path}.yaml"
        return None
    return None


def leaves(cfg: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted key and node of every leaf; an interpolated container is a leaf."""
    from omegaconf import DictConfig, ListConfig

    if isinstance(cfg, DictConfig):
        keys: list[Any] = list(cfg.keys())
    elif isinstance(cfg, ListConfig):
        keys = list(range(len(cfg)))
    else:
        return
    for key in keys:
        node = cfg._get_node(key)
        name = f"{prefix}.{key}" if prefix else str(key)
        container = isinstance(node, (DictConfig, ListConfig))
        if container and not node._is_interpolation() and not node._is_missing():
            yield from leaves(node, name)
        else:
            yield name, node
