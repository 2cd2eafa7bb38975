"""Pure decisions of the bulletin engine: rates, ranks, the day window,
cut-offs and their wording. No I/O."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.regions import rules as region_rules

DAY = datetime.timedelta(hours=24)

# Which units a bulletin ranks under the unit it is issued for.
LEVELS: dict[str, frozenset[str] | None] = {
    "children": None,  # the units directly under it
    "county": region_rules.COUNTY_LEVEL,
    "township": region_rules.TOWNSHIP_LEVEL,
    "grassroots": region_rules.GRASSROOTS_LEVEL,
}


def rate(
    numerator: int, denominator: int | None, *, precision: int, scale: int = 100
) -> Decimal | None:
    """numerator ÷ denominator × scale, rounded half-up to `precision`
    decimals (12.345 → 12.35), exactly: Decimal throughout, never float.
    None when there is no denominator to divide by."""
    if not denominator:
        return None
    quantum = Decimal(1).scaleb(-precision)
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def format_decimal(value: Decimal | None, precision: int) -> str | None:
    """The printed form, with exactly `precision` decimals ("80.00")."""
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP):.{precision}f}"


def competition_ranks(
    values: Sequence[Decimal | int | None], *, descending: bool = True
) -> list[int | None]:
    """Standard competition ranking of printed values: equal values share a
    rank and the next rank skips (1, 2, 2, 4). A missing value has no rank."""
    present = sorted((v for v in values if v is not None), reverse=descending)
    first_position: dict[Decimal | int, int] = {}
    for position, value in enumerate(present, start=1):
        first_position.setdefault(value, position)
    return [None if v is None else first_position[v] for v in values]


def day_window(as_of: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The day that ends at the cut-off: the 24 hours (as_of − 24 h, as_of].
    The end is included: "截止 18 时" counts a dose given at 18:00:00, and a
    dose at 18:00:01 belongs to the next day."""
    return as_of - DAY, as_of


def parse_cutoff(text: str, zone: datetime.tzinfo | None = None) -> datetime.datetime:
    """ "2021-08-12 18:00" (local time) or ISO 8601 with an offset → aware."""
    try:
        moment = datetime.datetime.fromisoformat(str(text).strip().replace("/", "-"))
    except ValueError:
        raise ValueError(_("expected a date and time such as 2021-08-12 18:00")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or timezone.get_default_timezone())
    return moment


def latest_cutoff(now: datetime.datetime, at: datetime.time) -> datetime.datetime:
    """The most recent cut-off at `at` (local time of `now`) not after `now`."""
    today = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return today if today <= now else today - DAY


def format_instant(moment: datetime.datetime) -> str:
    """2021年8月12日18时 (minutes only when not on the hour), in the
    moment's own time zone; English when the active language is."""
    if moment.minute or moment.second:
        return _("%(year)s-%(month)s-%(day)s %(hour)s:%(minute)02d") % {
            "year": moment.year,
            "month": moment.month,
            "day": moment.day,
            "hour": moment.hour,
            "minute": moment.minute,
        }
    return _("%(year)s-%(month)s-%(day)s %(hour)s h") % {
        "year": moment.year,
        "month": moment.month,
        "day": moment.day,
        "hour": moment.hour,
    }


def format_month_day(day: datetime.date) -> str:
    """8月12日."""
    return _("%(month)s/%(day)s") % {"month": day.month, "day": day.day}


def units_phrase(kinds: set[str]) -> str:
    """What the ranked units are called in a notice: 县(市、区) when all are
    county-level, 乡镇(街道) when all are townships, else 单位."""
    if kinds and kinds <= region_rules.COUNTY_LEVEL:
        return _("counties (county-level cities, districts)")
    if kinds and kinds <= region_rules.TOWNSHIP_LEVEL:
        return _("townships (subdistricts)")
    if kinds and kinds <= region_rules.GRASSROOTS_LEVEL:
        return _("communities (villages)")
    return _("units")
