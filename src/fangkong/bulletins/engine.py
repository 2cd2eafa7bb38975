"""The bulletin engine: a table of units, each with figures computed in the
database by aggregation, then rates, ranks and order.

How a count is computed, for one metric and the units a bulletin ranks:

1. One GROUP BY over the facts (e.g. doses) up to the cut-off, by the unit
   credited with each fact, counting the whole window and the day (FILTER)
   in the same pass. The metric's condition matches a partial index, so this
   is an index-only scan however large the table.
2. Those per-unit counts (a row per unit that has facts, not per fact) are
   summed into each ranked unit whose materialised path is a prefix of the
   unit's path: an equality join on `substr(path, 1, n)`, one branch per
   path length among the ranked units, so no LIKE over a cross product.

Both steps are one SQL statement, on PostgreSQL and SQLite alike. Rates and
ranks are then computed in Python from those few numbers with Decimal.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.bulletins import rules
from fangkong.bulletins.catalog import BulletinKind
from fangkong.bulletins.columns import (
    Column,
    CountColumn,
    RankColumn,
    RateColumn,
    Window,
    describe,
)
from fangkong.bulletins.registry import metric as find_metric
from fangkong.core.metrics import CountMetric, UnitQuantity
from fangkong.regions.models import Unit


class BulletinError(ValueError):
    """A bulletin cannot be made as asked; the message says why."""


@dataclass
class BulletinTable:
    """A computed bulletin, in the shape of its JSON (`as_dict`); what an
    issued snapshot stores and every output format is rendered from."""

    kind: str
    title: str
    subtitle: str
    intro: str
    footnote: str
    as_of: datetime.datetime
    unit: dict[str, str]
    level: str
    unit_label: str
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    issued: dict[str, Any] | None = None
    extra_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "intro": self.intro,
            "footnote": self.footnote,
            "as_of": timezone.localtime(self.as_of).isoformat(),
            "unit": self.unit,
            "level": self.level,
            "unit_label": self.unit_label,
            "extra_columns": self.extra_columns,
            "columns": self.columns,
            "rows": self.rows,
            "issued": self.issued,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BulletinTable:
        return cls(
            kind=data["kind"],
            title=data["title"],
            subtitle=data["subtitle"],
            intro=data["intro"],
            footnote=data["footnote"],
            as_of=datetime.datetime.fromisoformat(data["as_of"]),
            unit=data["unit"],
            level=data["level"],
            unit_label=data["unit_label"],
            columns=data["columns"],
            rows=data["rows"],
            issued=data.get("issued"),
            extra_columns=data.get("extra_columns", []),
        )


def ranked_units(under: Unit, level: str) -> list[Unit]:
    """The units a bulletin for `under` ranks, in tree order."""
    if level not in rules.LEVELS:
        raise BulletinError(
            _("unknown level %(level)s (expected one of %(known)s)")
            % {"level": level, "known": ", ".join(rules.LEVELS)}
        )
    kinds = rules.LEVELS[level]
    if kinds is None:
        units = Unit.objects.filter(parent=under)
    else:
        units = Unit.objects.subtree(under).filter(kind__in=kinds).exclude(pk=under.pk)
    return list(units.order_by("path"))


def count_per_unit(
    metric: CountMetric,
    units: list[Unit],
    as_of: datetime.datetime,
    windows: set[Window],
) -> dict[int, dict[Window, int]]:
    """{ranked unit id: {window: count}}: facts credited to each unit's
    subtree, in one statement (see the module docstring)."""
    if not units or not windows:
        return {}
    day_start, _end = rules.day_window(as_of)
    time = metric.time_field
    facts = metric.model._default_manager.filter(metric.condition, **{f"{time}__lte": as_of})
    if windows == {Window.DAY}:
        facts = facts.filter(**{f"{time}__gt": day_start})
    counts: dict[str, Any] = {}
    if Window.TOTAL in windows:
        counts["n_total"] = Count(Value(1))
    if Window.DAY in windows:
        counts["n_day"] = Count(Value(1), filter=Q(**{f"{time}__gt": day_start}))
    per_unit = facts.values(bulletin_unit=F(metric.unit_field)).annotate(**counts).order_by()
    inner_sql, inner_params = per_unit.query.sql_with_params()

    aliases = list(counts)
    unit_table = connection.ops.quote_name(Unit._meta.db_table)
    by_length: dict[int, list[int]] = defaultdict(list)
    for unit in units:
        by_length[len(unit.path)].append(unit.pk)
    sums = ", ".join(f"SUM(f.{alias})" for alias in aliases)
    branches: list[str] = []
    params: list[Any] = list(inner_params)
    for length, ids in sorted(by_length.items()):
        marks = ", ".join(["%s"] * len(ids))
        branches.append(
            f"SELECT r.id, {sums} FROM {unit_table} r"
            f" JOIN facts_by_path f ON substr(f.path, 1, {int(length)}) = r.path"
            f" WHERE r.id IN ({marks}) GROUP BY r.id"
        )
        params.extend(ids)
    sql = (
        f"WITH facts AS ({inner_sql}),"
        f" facts_by_path AS MATERIALIZED ("
        f"SELECT u.path AS path, {', '.join(f'facts.{alias}' for alias in aliases)}"
        f" FROM facts JOIN {unit_table} u ON u.id = facts.bulletin_unit) "
        + " UNION ALL ".join(branches)
    )
    result: dict[int, dict[Window, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for unit_id, *values in cursor.fetchall():
            figures = dict(zip(aliases, values, strict=True))
            result[unit_id] = {window: int(figures.get(f"n_{window}") or 0) for window in windows}
    return result


def _label(text: Any, context: dict[str, str]) -> str:
    text = str(text)
    return text % context if "%(" in text else text


def compute(
    kind: BulletinKind,
    *,
    as_of: datetime.datetime,
    under: Unit,
    level: str = "children",
    extra_columns: tuple[str, ...] | list[str] = (),
) -> BulletinTable:
    """The bulletin `kind` for the units under `under` at the cut-off `as_of`
    (an aware instant)."""
    if timezone.is_naive(as_of):
        raise BulletinError(_("the cut-off needs a time zone"))
    try:
        columns: list[Column] = kind.columns_with(tuple(extra_columns))
    except KeyError as error:
        raise BulletinError(_("unknown column(s): %(keys)s") % {"keys": error.args[0]}) from None
    as_of = timezone.localtime(as_of)
    units = ranked_units(under, level)
    context = {
        "day": rules.format_month_day(as_of.date()),
        "unit": under.name,
        "units": rules.units_phrase({unit.kind for unit in units}),
    }

    # Each count metric is aggregated once for all the windows its columns need.
    windows: dict[str, set[Window]] = defaultdict(set)
    for column in columns:
        if isinstance(column, CountColumn):
            windows[column.metric].add(column.window)
        elif isinstance(column, RateColumn):
            windows[column.numerator].add(Window.TOTAL)
            if isinstance(find_metric(column.denominator), CountMetric):
                windows[column.denominator].add(Window.TOTAL)
    counted: dict[str, dict[int, dict[Window, int]]] = {}
    for key, needed in windows.items():
        metric = find_metric(key)
        if not isinstance(metric, CountMetric):
            raise BulletinError(_("%(key)s is not a count") % {"key": key})
        counted[key] = count_per_unit(metric, units, as_of, needed)
    quantities: dict[str, dict[int, int]] = {}

    def number(key: str, unit_id: int, window: Window = Window.TOTAL) -> int | None:
        metric = find_metric(key)
        if isinstance(metric, UnitQuantity):
            if key not in quantities:
                quantities[key] = metric.values([u.pk for u in units], as_of.date())
            return quantities[key].get(unit_id)
        return counted[key].get(unit_id, {}).get(window, 0)

    rows: list[dict[str, Any]] = [{"name": unit.name, "code": unit.code} for unit in units]
    sort_values: dict[str, list[Any]] = {}
    for column in columns:
        if isinstance(column, CountColumn):
            for unit, row in zip(units, rows, strict=True):
                row[column.key] = number(column.metric, unit.pk, column.window)
            sort_values[column.key] = [row[column.key] for row in rows]
        elif isinstance(column, RateColumn):
            values = [
                rules.rate(
                    number(column.numerator, unit.pk) or 0,
                    number(column.denominator, unit.pk),
                    precision=column.precision,
                    scale=column.scale,
                )
                for unit in units
            ]
            for row, value in zip(rows, values, strict=True):
                row[column.key] = rules.format_decimal(value, column.precision)
            sort_values[column.key] = values
    for column in columns:
        if isinstance(column, RankColumn):
            if column.over not in sort_values:
                raise BulletinError(_("a rank needs a column to rank by"))
            ranks = rules.competition_ranks(sort_values[column.over], descending=column.descending)
            for row, rank in zip(rows, ranks, strict=True):
                row[column.key] = rank
            order = column.key
            break
    else:
        order = None
    if order is not None:
        # Ranked rows by rank (ties and unranked rows keep tree order).
        rows.sort(key=lambda row: (row[order] is None, row[order] or 0))
    keys = ["name", "code", *(column.key for column in columns)]
    rows = [{key: row[key] for key in keys} for row in rows]

    return BulletinTable(
        kind=kind.key,
        title=_label(kind.title, context),
        subtitle=_("Cut-off: %(when)s") % {"when": rules.format_instant(as_of)},
        intro=_label(kind.intro, context),
        footnote=_label(kind.footnote, context),
        as_of=as_of,
        unit={"name": under.name, "code": under.code},
        level=level,
        unit_label=str(kind.unit_label),
        columns=[describe(column, _label(column.label, context)) for column in columns],
        rows=rows,
        extra_columns=[c.key for c in columns if c.key in set(extra_columns)],
    )
