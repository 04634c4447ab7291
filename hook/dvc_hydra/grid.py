"""Compose every point of a sweep, paying one Hydra composition per group choice.

Hydra builds a config in two steps: overrides of config groups (and of Hydra's
own settings) shape the defaults tree, then the remaining value overrides are
applied to the composed config. Points that share their group overrides share
the first step, so only the second is repeated per point, with the very
function Hydra uses for it.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.overrides import parse
from dvc_hydra.settings import PARAMS_FILE, HydraSettings

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override

    from dvc_hydra.plan import Point

# A params file whose format we cannot read: its overrides are taken on trust.
UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Outcome:
    """What one point makes of its params files, or why it cannot."""

    point: Point
    files: dict[str, Any] | None  # params file -> its content with the overrides
    error: DvcHydraError | None = None


def compose_points(settings: HydraSettings, points: Sequence[Point]) -> list[Outcome]:
    """The outcome of every point; nothing is written."""
    for path in sorted({path for point in points for path in point.overrides}):
        _check_folder(settings, path)
    grid = _Grid(settings)
    if not settings.enabled:
        return [grid.outcome(point) for point in points]

    from dvc_hydra.compose import hydra_context

    with hydra_context(settings):
        return [grid.outcome(point) for point in points]


def _check_folder(settings: HydraSettings, name: str) -> None:
    """Refuse a params file whose folder is missing: DVC would create only the file."""
    folder = (settings.root / name).parent
    if not folder.is_dir():
        raise DvcHydraError(
            f"the params file's folder {os.path.dirname(name)!r} does not exist",
            path=settings.root / name,
            hint="create the folder first, or fix the path: DVC creates a "
            "missing params file, but not its folder",
        )


class _Grid:
    """Caches shared by the points of one grid: parses, compositions, files."""

    def __init__(self, settings: HydraSettings) -> None:
        self.settings = settings
        self._parsed: dict[str, Override] = {}
        self._repos: dict[tuple[str, ...], Any] = {}
        self._bases: dict[tuple[str, ...], Callable[[], Any] | DvcHydraError] = {}
        self._files: dict[str, Any] = {}
        self._groups: dict[tuple[int, str], bool] = {}

    def outcome(self, point: Point) -> Outcome:
        files: dict[str, Any] = {}
        for path, overrides in point.overrides.items():
            try:
                files[path] = self._compose_file(path, overrides)
            except DvcHydraError as error:
                return Outcome(point, None, error)
        return Outcome(point, files)

    def _compose_file(self, path: str, overrides: list[str]) -> Any:
        if self.settings.enabled and path == PARAMS_FILE:
            return self._compose_hydra(overrides)
        return self._apply_to_file(path, overrides)

    def _parse(self, overrides: list[str]) -> list[Override]:
        missing = [text for text in overrides if text not in self._parsed]
        if missing:
            self._parsed.update(zip(missing, parse(missing)))
        return [self._parsed[text] for text in overrides]

    def _compose_hydra(self, overrides: list[str]) -> Any:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from omegaconf import OmegaConf

        from dvc_hydra.hydra_errors import translate

        parsed = self._parse(overrides)
        shaping = self._shaping(parsed)
        shape = tuple(str(o.input_line) for o, shapes in zip(parsed, shaping) if shapes)
        values = [o for o, shapes in zip(parsed, shaping) if not shapes]
        cfg = self._base(shape)()
        try:
            ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        except Exception as exc:
            raise translate(exc, self.settings, overrides, None) from None
        try:
            OmegaConf.resolve(cfg)
        except Exception as exc:
            raise translate(exc, self.settings, overrides, cfg) from None
        return OmegaConf.to_container(cfg)

    def _shaping(self, parsed: list[Override]) -> list[bool]:
        """Which overrides shape the defaults tree, decided as Hydra decides it."""
        settings_lines = tuple(
            str(o.input_line) for o in parsed if _is_hydra_setting(o)
        )
        repo = self._repo(settings_lines)
        if repo is None:
            return [True] * len(parsed)
        return [
            _is_hydra_setting(o)
            or (
                self._is_group(repo, o.key_or_group) and not isinstance(o.value(), dict)
            )
            for o in parsed
        ]

    def _is_group(self, repo: Any, name: str) -> bool:
        key = (id(repo), name)
        if key not in self._groups:
            self._groups[key] = bool(repo.group_exists(name))
        return self._groups[key]

    def _repo(self, settings_lines: tuple[str, ...]) -> Any:
        """Hydra's config repository, as the point's own settings extend it."""
        if settings_lines not in self._repos:
            from hydra.core.global_hydra import GlobalHydra

            loader: Any = GlobalHydra.instance().config_loader()
            try:
                _, repo = loader._parse_overrides_and_create_caching_repo(
                    self.settings.config_name, list(settings_lines)
                )
            except Exception:
                # Full composition of the point reports whatever is wrong here.
                repo = None
            self._repos[settings_lines] = repo
        return self._repos[settings_lines]

    def _base(self, shape: tuple[str, ...]) -> Callable[[], Any]:
        """A maker of fresh copies of the unresolved composition for one group choice.

        The composition is made once per choice; each point gets its own copy.
        """
        from dvc_hydra.compose import compose_in_context

        if shape not in self._bases:
            try:
                base = compose_in_context(self.settings, list(shape))
                self._bases[shape] = _copier(base)
            except DvcHydraError as error:
                self._bases[shape] = error
        found = self._bases[shape]
        if isinstance(found, DvcHydraError):
            raise found
        return found

    def _apply_to_file(self, path: str, overrides: list[str]) -> Any:
        """A params file with overrides applied, as DVC applies them when queueing."""
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra.errors import HydraException
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        if path not in self._files:
            self._files[path] = _load_params(self.settings, path)
        data = self._files[path]
        if data is UNCHECKED:
            return list(overrides)
        cfg = OmegaConf.create(data, flags={"allow_objects": True})
        OmegaConf.set_struct(cfg, True)
        try:
            ConfigLoaderImpl._apply_overrides_to_config(self._parse(overrides), cfg)
        except (HydraException, OmegaConfBaseException) as exc:
            first, *rest = str(exc).strip().splitlines() or [type(exc).__name__]
            hint = " ".join(line.strip() for line in rest) or None
            raise DvcHydraError(
                f"cannot apply the overrides: {first}",
                path=path,
                hint=self._group_hint(path, overrides) or hint,
            ) from None
        return OmegaConf.to_container(cfg)

    def _group_hint(self, path: str, overrides: list[str]) -> str | None:
        """With Hydra off, a ``group/option`` override asks for Hydra, not ``+``."""
        if path != PARAMS_FILE or self.settings.enabled:
            return None
        groups = [o.key_or_group for o in self._parse(overrides)]
        named = [group for group in groups if "/" in group]
        if not named:
            return None
        return (
            f"{named[0]!r} looks like a config group, which needs Hydra: "
            "`dvc config hydra.enabled true`"
        )


def _copier(cfg: Any) -> Callable[[], Any]:
    # Unpickling is several times faster than deepcopy, and OmegaConf keeps
    # flags, types and parents through both; a config holding objects that do
    # not pickle is copied the slow way.
    try:
        data = pickle.dumps(cfg)
    except Exception:
        return lambda: copy.deepcopy(cfg)
    return lambda: pickle.loads(data)


def _is_hydra_setting(override: Override) -> bool:
    # Hydra's own settings can extend the search path, and so which groups exist.
    return override.key_or_group == "hydra" or bool(override.is_hydra_override())


def _load_params(settings: HydraSettings, name: str) -> Any:
    """A params file's data as DVC reads it before applying overrides."""
    path = settings.root / name
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}  # DVC starts a missing params file empty
    except (OSError, UnicodeDecodeError) as exc:
        raise DvcHydraError(f"cannot read the params file: {exc}", path=name) from None
    if suffix == ".py":
        # Limitation: Python params files are not checked; DVC edits their source.
        return UNCHECKED
    if suffix == ".toml":
        return _load_toml(text, name)
    data = _load_json(text, name) if suffix == ".json" else _load_yaml(text, name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DvcHydraError("is not a mapping of params", path=name)
    return data


def _load_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DvcHydraError(
            f"invalid JSON: {exc.msg}", path=name, line=exc.lineno
        ) from None


def _load_yaml(text: str, name: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DvcHydraError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            path=name,
            line=mark.line + 1 if mark is not None else None,
        ) from None


def _load_toml(text: str, name: str) -> Any:
    try:
        import tomllib
    except ImportError:
        # Limitation: before Python 3.11 TOML params files are not checked.
        return UNCHECKED
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DvcHydraError(f"invalid TOML: {exc}", path=name) from None
