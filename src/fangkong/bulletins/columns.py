"""The columns a bulletin can have, as data. The engine (engine.py) computes
them; the catalog (catalog.py) puts them together into bulletins.

A label may hold `%(day)s`, filled with the cut-off's month and day
("8月12日第一剂接种人数(人)").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Window(StrEnum):
    """Which facts a count takes: all up to the cut-off, or the 24 hours
    ending at it."""

    TOTAL = "total"
    DAY = "day"


@dataclass(frozen=True)
class CountColumn:
    """How many facts of a metric, up to the cut-off or in its day."""

    key: str
    label: Any
    metric: str
    window: Window = Window.TOTAL
    type = "count"


@dataclass(frozen=True)
class RateColumn:
    """numerator (all facts up to the cut-off) ÷ denominator × scale, with
    `precision` decimals, rounded half-up. The denominator is a quantity
    (a target valid at the cut-off) or another count metric."""

    key: str
    label: Any
    numerator: str
    denominator: str
    precision: int = 2
    scale: int = 100
    type = "rate"


@dataclass(frozen=True)
class RankColumn:
    """The rank of each row by another column's printed value: equal values
    share a rank and the next rank skips; highest first unless ascending."""

    key: str
    label: Any
    over: str
    descending: bool = True
    type = "rank"


Column = CountColumn | RateColumn | RankColumn


def describe(column: Column, label: str) -> dict[str, Any]:
    """The column as the bulletin's JSON lists it."""
    described: dict[str, Any] = {"key": column.key, "label": label, "type": column.type}
    if isinstance(column, RateColumn):
        described["precision"] = column.precision
    elif isinstance(column, RankColumn):
        described["over"] = column.over
    else:
        described["window"] = str(column.window)
    return described
