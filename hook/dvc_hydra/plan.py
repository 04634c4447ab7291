"""Sweep planning: expand ``-S`` values into points exactly as DVC does, and shard them.

DVC expands a sweep inside ``dvc exp run --queue``: it groups the values by
params file, turns each file's overrides into a grid with Hydra's basic
sweeper (a later override of the same key replaces the earlier one in its
place), and takes the product across files. Without any sweep it queues the
overrides as given. Everything here mirrors that, and adds glob sweeps over
the options of a config group, which DVC rejects.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dvc_hydra import gridsize
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.overrides import by_params_file, clipped, parse, shown
from dvc_hydra.settings import PARAMS_FILE, HydraSettings

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override

    from dvc_hydra.grid import Outcome

MAX_SHARDS = 256
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Point:
    """One experiment of a sweep, in DVC's own shape."""

    index: int  # 0-based position in the grid
    name: str | None  # the experiment name DVC gives it with ``--name``
    overrides: dict[str, list[str]]  # params file -> overrides, as DVC queues them


def print_warning(message: str) -> None:
    print(f"dvc-hydra: warning: {message}", file=sys.stderr)


def expand(
    set_params: Sequence[str],
    settings: HydraSettings,
    name_prefix: str | None = None,
    *,
    warn: Warn = print_warning,
) -> list[Point]:
    """The points ``dvc exp run --queue -S ...`` queues, in its order and shape."""
    grouped = by_params_file(set_params, settings.root)
    if settings.enabled:
        # DVC always recomposes params.yaml when Hydra is on, overrides or not.
        grouped.setdefault(PARAMS_FILE, [])
    parsed = {path: parse(overrides) for path, overrides in grouped.items()}
    _warn_repeated_keys(parsed, warn)

    sweep = any(o.is_sweep_override() for found in parsed.values() for o in found)
    if sweep:
        gridsize.check(
            (override, gridsize.values_count(override))
            for found in parsed.values()
            for override in _kept(found)
        )
        grids = _file_grids(parsed, settings)
        combos = [dict(zip(grids, row)) for row in itertools.product(*grids.values())]
    else:
        combos = [{path: list(values) for path, values in grouped.items()}]
    return [
        Point(index, _name(name_prefix, index, sweep), combo)
        for index, combo in enumerate(combos)
    ]


def _name(prefix: str | None, index: int, sweep: bool) -> str | None:
    # DVC numbers the names of a sweep only; a single run keeps the name given.
    if prefix is None or not sweep:
        return prefix
    return f"{prefix}-{index + 1}"


def _warn_repeated_keys(parsed: dict[str, list[Override]], warn: Warn) -> None:
    for path, found in parsed.items():
        seen: dict[str, str] = {}
        for override in found:
            key = override.get_key_element()
            if key in seen:
                warn(
                    f"{path}: {_text(override)} replaces the "
                    f"earlier {shown(seen[key])}; DVC silently keeps only the "
                    "later one"
                )
            seen[key] = str(override.input_line)


def _kept(found: list[Override]) -> list[Override]:
    """The overrides left after a later one of the same key replaces an earlier.

    The later one takes the position of the first, as in DVC.
    """
    return list({override.get_key_element(): override for override in found}.values())


def _file_grids(
    parsed: dict[str, list[Override]], settings: HydraSettings
) -> dict[str, list[list[str]]]:
    """Each params file's grid of override lists, as Hydra's basic sweeper makes it."""
    hydra_file = PARAMS_FILE if settings.enabled else None
    for path, found in parsed.items():
        for override in found:
            if _is_glob(override) and path != hydra_file:
                raise _glob_outside_hydra(override, path)
    if hydra_file is None or not any(map(_is_glob, parsed[hydra_file])):
        columns = {path: _columns(found, None) for path, found in parsed.items()}
    else:
        from hydra.core.global_hydra import GlobalHydra

        from dvc_hydra.compose import hydra_context

        with hydra_context(settings):
            loader = GlobalHydra.instance().config_loader()
            columns = {path: _columns(found, loader) for path, found in parsed.items()}
    # Globs are counted only now, once their options are known.
    gridsize.check((o, len(v)) for kept in columns.values() for o, v in kept)
    for kept in columns.values():
        for override, values in kept:
            _check_kept(override, values)
    return {
        path: [list(row) for row in itertools.product(*(v for _, v in kept))]
        for path, kept in columns.items()
    }


def _glob_outside_hydra(override: Override, path: str) -> DvcHydraError:
    text = _text(override)
    if path == PARAMS_FILE:
        return DvcHydraError(
            f"glob sweep {text} chooses among a config group's options, and "
            "Hydra is not enabled",
            hint="enable it with `dvc config hydra.enabled true`, or list the "
            "values instead: key=a,b,c",
        )
    return DvcHydraError(
        f"glob sweep {text} for {path}: globs choose among a config group's "
        f"options, and only {PARAMS_FILE} is composed from the Hydra config tree",
        hint="list the values instead: key=a,b,c",
    )


def _is_glob(override: Override) -> bool:
    from hydra.core.override_parser.types import ValueType

    return override.value_type == ValueType.GLOB_CHOICE_SWEEP


def _columns(found: list[Override], loader: Any) -> list[tuple[Override, list[str]]]:
    return [(override, _values(override, loader)) for override in _kept(found)]


def _values(override: Override, loader: Any) -> list[str]:
    """One override per value of ``override``, spelled as DVC spells them."""
    key = override.get_key_element()
    if not override.is_sweep_override():
        return [f"{key}={override.get_value_element_as_str()}"]
    if override.is_interval_sweep():
        raise DvcHydraError(
            f"interval sweep {_text(override)} is continuous; a grid needs "
            "values it can list",
            hint="use range(start, stop, step) or list the values: key=a,b,c",
        )
    if _is_glob(override):
        values = _glob_options(override, loader)
    elif _holds_glob(override):
        raise DvcHydraError(
            f"sweep {_text(override)} mixes glob(...) with other values",
            hint="sweep a glob alone, for example train/model=glob(*), or list "
            "the options: key=a,b",
        )
    else:
        values = list(override.sweep_string_iterator())
    return [f"{key}={value}" for value in values]


def _text(override: Override) -> str:
    return shown(str(override.input_line))


def _holds_glob(override: Override) -> bool:
    from hydra.core.override_parser.types import Glob

    items = getattr(override.value(), "list", None) or []
    return any(isinstance(item, Glob) for item in items)


def _check_kept(override: Override, values: list[str]) -> None:
    """Refuse what DVC would queue nonsensically, for overrides not replaced later."""
    if getattr(override.value(), "shuffle", False):
        raise DvcHydraError(
            f"shuffled sweep {_text(override)} orders its values at random, "
            "so shards and runs would not agree on the points",
            hint="list the values in the order you want, without shuffle(...)",
        )
    if not values:
        raise DvcHydraError(
            f"sweep {_text(override)} yields no values, so the grid is empty",
            hint="check the bounds: range(start, stop) stops before stop",
        )


def _glob_options(override: Override, loader: Any) -> list[str]:
    """The options of the override's group that the glob keeps, sorted by Hydra."""
    override.config_loader = loader
    options: list[str] = list(override.sweep_string_iterator())
    if options:
        return options

    group = override.key_or_group
    existing = loader.get_group_options(group)
    if existing:
        raise DvcHydraError(
            f"glob sweep {_text(override)} matches no option of {group!r}",
            hint=f"options of {group!r}: {', '.join(existing)}",
        )
    groups = _all_groups(loader, "")
    raise DvcHydraError(
        f"glob sweep {_text(override)}: {group!r} is not a config group",
        hint=f"groups: {', '.join(groups)}" if groups else None,
    )


def _all_groups(loader: Any, parent: str) -> list[str]:
    found: list[str] = []
    for child in loader.list_groups(parent):
        name = f"{parent}/{child}" if parent else child
        if name != "hydra":
            found.append(name)
            found.extend(_all_groups(loader, name))
    return sorted(found)


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (K counted from 1) as ``(K, N)``."""
    match = re.fullmatch(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*", text, re.ASCII)
    if match is None:
        raise DvcHydraError(
            f"--shard {text!r} is not of the form K/N",
            hint="for example --shard 2/4: the second of four shards",
        )
    shard, of = int(match.group(1)), int(match.group(2))
    if of < 1 or not 1 <= shard <= of:
        raise DvcHydraError(
            f"--shard {text!r} is out of range: K must be between 1 and N",
            hint=f"valid shards are 1/{of} to {of}/{of}"
            if of >= 1
            else "N must be at least 1",
        )
    return shard, of


def shard_bounds(count: int, shard: int, of: int) -> tuple[int, int]:
    """Start and end of shard ``shard`` (from 1) of ``of`` over ``count`` points.

    Blocks are contiguous and their sizes differ by at most one, the larger first.
    """
    size, extra = divmod(count, of)
    start = (shard - 1) * size + min(shard - 1, extra)
    return start, start + size + (1 if shard <= extra else 0)


def select_shard(points: Sequence[Point], shard: int, of: int) -> list[Point]:
    """Shard ``shard`` of ``of`` (from 1): a contiguous block of the points."""
    if not 1 <= shard <= of:
        raise DvcHydraError(f"--shard {shard}/{of} is out of range")
    if of > len(points):
        raise DvcHydraError(
            f"--shard {shard}/{of}: the grid has only {len(points)} point(s), "
            f"so it splits into at most {len(points)} shard(s)",
            hint="take N from `dvc-hydra sweep --format matrix`",
        )
    start, end = shard_bounds(len(points), shard, of)
    return list(points[start:end])


def matrix(points: Sequence[Point], shards: int = MAX_SHARDS) -> dict[str, Any]:
    """GitHub's ``strategy.matrix`` for the grid: shard indices, never the points."""
    of = max(1, min(len(points), shards, MAX_SHARDS))
    include = []
    for shard in range(1, of + 1):
        start, end = shard_bounds(len(points), shard, of)
        include.append({"shard": shard, "of": of, "name": _label(start, end)})
    return {"include": include}


def _label(start: int, end: int) -> str:
    return f"point {end}" if end - start == 1 else f"points {start + 1}-{end}"


def validate(
    settings: HydraSettings, points: Sequence[Point], *, warn: Warn = print_warning
) -> None:
    """Compose every point (nothing written); all failures in one error."""
    from dvc_hydra.grid import compose_points

    check(compose_points(settings, points), warn)


def check(outcomes: Sequence[Outcome], warn: Warn = print_warning) -> None:
    """Raise for the points that fail; warn about points that duplicate others."""
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    if failed:
        lines = [f"{len(failed)} of {len(outcomes)} points do not compose:"]
        lines.extend(_failure(outcome) for outcome in failed)
        raise DvcHydraError("\n".join(lines))
    for point, original in duplicates(outcomes):
        warn(
            f"{label(point)} composes exactly as {label(original)} "
            f"({describe(point)} vs {describe(original)})"
        )


def duplicates(outcomes: Sequence[Outcome]) -> list[tuple[Point, Point]]:
    """Pairs (point, earlier point) whose params files come out identical."""
    first: dict[str, Point] = {}
    pairs = []
    for outcome in outcomes:
        if outcome.files is None:
            continue
        # repr tells 1 from 1.0 and True, as the written files would.
        key = repr(outcome.files)
        if key in first:
            pairs.append((outcome.point, first[key]))
        else:
            first[key] = outcome.point
    return pairs


def _failure(outcome: Outcome) -> str:
    error = outcome.error
    assert error is not None
    text = f"  {label(outcome.point)}: {describe(outcome.point)}\n"
    text += f"    {error.location()}{error.message}".replace("\n", "\n    ")
    if error.hint:
        text += f"\n    hint: {error.hint}"
    return text


def label(point: Point) -> str:
    """``point 3`` or ``point 3 (exp-3)``, counted from 1 as DVC names them."""
    name = f" ({point.name})" if point.name else ""
    return f"point {point.index + 1}{name}"


def describe(point: Point) -> str:
    """The point's overrides as one would pass them to ``-S``."""
    parts = [
        clipped(override if path == PARAMS_FILE else f"{path}:{override}")
        for path, overrides in point.overrides.items()
        for override in overrides
    ]
    return " ".join(parts) or "(no overrides)"
