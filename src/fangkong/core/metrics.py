"""Figures a domain app offers to count per unit: the neutral description
that bulletins (and later the dashboard) evaluate, so that a domain app
depends on nothing above it.

Each app lists its metrics in `<app>/metrics.py` as `METRICS`:

- `CountMetric`: rows of a model, each credited to a unit and stamped with an
  instant; counted per unit subtree up to a cut-off or within a window, by
  aggregation in the database (e.g. first doses given).
- `UnitQuantity`: a number a unit holds as of a date (e.g. its 18+ target
  population), looked up for many units in one query.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class CountMetric:
    """Facts counted per unit: `model` rows matching `condition`, credited to
    the unit in `unit_field` (a ForeignKey to regions.Unit) at the instant
    in `time_field`. Keep `condition` to what an index can answer."""

    key: str
    label: Any
    model: type[models.Model]
    unit_field: str
    time_field: str
    condition: Q = field(default_factory=Q)


@dataclass(frozen=True)
class UnitQuantity:
    """A number per unit valid on a date: `values(unit_ids, day)` answers
    {unit id: number} in one query, leaving out units without one."""

    key: str
    label: Any
    values: Callable[[Sequence[int], datetime.date], dict[int, int]]


Metric = CountMetric | UnitQuantity
