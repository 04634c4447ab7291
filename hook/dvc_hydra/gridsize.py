"""How many points a sweep makes, counted before a single one is listed.

A range can hold more values than memory, or infinitely many, so each
sweep's size comes from its definition: a range's from its bounds and step,
a list's from its length.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dvc_hydra.errors import DvcHydraError

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override

# Far above any grid one would run, far below what memory holds.
MAX_POINTS = 100_000


def values_count(override: Override) -> float:
    """How many values ``override`` sweeps over; a glob counts as one here."""
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

    value = override.value()
    if not override.is_sweep_override():
        return 1
    if isinstance(value, list):
        return len(value)
    if isinstance(value, ChoiceSweep):
        return len(value.list)
    if isinstance(value, RangeSweep):
        return _range_count(override, value)
    return 1


def _range_count(override: Override, sweep: object) -> float:
    """The length of a range sweep, as Hydra would step through it."""
    bounds = [getattr(sweep, name) for name in ("start", "stop", "step")]
    if any(isinstance(bound, float) and math.isnan(bound) for bound in bounds):
        raise _bad_range(
            override,
            "a bound or the step is not a number",
            "give numbers, for example range(0, 1, 0.1)",
        )
    start, stop, step = (decimal.Decimal(bound) for bound in bounds)
    if step == 0:
        raise _bad_range(override, "its step is zero", "give a step other than zero")
    if not (start < stop if step > 0 else start > stop):
        return 0
    if start.is_infinite() or stop.is_infinite():
        return math.inf  # Hydra's loop never reaches the bound
    if step.is_infinite():
        return 1
    return math.ceil((stop - start) / step)


def _bad_range(override: Override, reason: str, hint: str) -> DvcHydraError:
    from dvc_hydra.overrides import shown

    return DvcHydraError(
        f"range sweep {shown(str(override.input_line))} is invalid: {reason}",
        hint=hint,
    )


def check(columns: Iterable[tuple[Override, float]]) -> None:
    """Refuse a grid whose columns multiply to more than ``MAX_POINTS`` points.

    An empty column is left to the caller, which names it.
    """
    total: float = 1
    largest: tuple[Override, float] | None = None
    for override, count in columns:
        if count:
            total *= count
        if largest is None or count > largest[1]:
            largest = (override, count)
    if total > MAX_POINTS and largest is not None:
        raise _too_many(total, *largest)


def _too_many(total: float, override: Override, count: float) -> DvcHydraError:
    from dvc_hydra.overrides import shown

    alone = f"; {shown(str(override.input_line))} alone makes {_amount(count)}"
    return DvcHydraError(
        f"the sweep makes {_amount(total)} points, more than the limit of "
        f"{MAX_POINTS:,}{alone if count != total else ''}",
        hint="narrow the grid (fewer values, a larger range step), or split it "
        "into several sweeps and run them one after another",
    )


def _amount(count: float) -> str:
    if math.isinf(count):
        return "infinitely many"
    if count < 10**12:
        return f"{int(count):,}"
    return f"about {decimal.Decimal(int(count)):.0E}"
