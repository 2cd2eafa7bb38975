"""Pure decisions about vaccination records: parsing import cells (dose
numbers, instants, age groups, populations) and the bounds they must keep."""

from __future__ import annotations

import datetime
import re
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_DOSE_NUMBER = 5
BOOSTER_DOSE_NUMBER = 3
# A clinic clock a few minutes fast must not make a dose "in the future".
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
EARLIEST_DOSE = datetime.date(2020, 7, 1)


class AgeGroup(models.TextChoices):
    ADULTS = "18+", _("18 and over")
    ELDERLY = "60+", _("60 and over")
    ADOLESCENTS = "12-17", _("12 to 17")
    CHILDREN = "3-11", _("3 to 11")
    EVERYONE = "all", _("everyone")


_GROUP_ALIASES = {
    "18+": "18+",
    "≥18": "18+",
    ">=18": "18+",
    "18岁及以上": "18+",
    "18岁以上": "18+",
    "18周岁及以上": "18+",
    "60+": "60+",
    "≥60": "60+",
    ">=60": "60+",
    "60岁及以上": "60+",
    "60岁以上": "60+",
    "12-17": "12-17",
    "12-17岁": "12-17",
    "12至17岁": "12-17",
    "3-11": "3-11",
    "3-11岁": "3-11",
    "3至11岁": "3-11",
    "all": "all",
    "全人群": "all",
    "全部": "all",
    "总人口": "all",
}

_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_DOSE = re.compile(r"^(?:第)?([1-9一二三四五])(?:剂|针|剂次)?$")
_DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]+(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def _western(text: str) -> str:
    """2021年8月12日18时30分 → 2021-8-12 18:30; 2021/8/12 → 2021-8-12."""
    text = text.replace("年", "-").replace("月", "-").replace("日", " ")
    text = text.replace("时", ":").replace("分", ":").replace("秒", "").strip().rstrip(":")
    return re.sub(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", text)


class CellError(ValueError):
    """A cell that cannot be accepted; the message says why, for the user."""


def parse_dose_number(raw: str) -> int:
    """1, 第1剂, 第一剂, 2针 …; between 1 and MAX_DOSE_NUMBER."""
    text = str(raw or "").strip().replace(" ", "")
    if not text:
        raise CellError(_("dose number is empty"))
    match = _DOSE.match(text)
    if match is None:
        raise CellError(
            _("dose number must be a whole number from 1 to %(max)s") % {"max": MAX_DOSE_NUMBER}
        )
    digit = match.group(1)
    number = _CHINESE_DIGITS.get(digit) or int(digit)
    if number > MAX_DOSE_NUMBER:
        raise CellError(
            _("dose number must be a whole number from 1 to %(max)s") % {"max": MAX_DOSE_NUMBER}
        )
    return number


def _zone() -> datetime.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def parse_instant(raw: str) -> datetime.datetime:
    """An aware instant from `2021-08-12 18:00[:00]`, `2021/8/12 9:30`,
    ISO 8601 with an offset, or `2021年8月12日18时`. Without an offset the
    time is local (TIME_ZONE). A date without a time is refused: bulletins
    cut the day at an hour, so the hour matters."""
    text = str(raw or "").strip()
    if not text:
        raise CellError(_("date and time are empty"))
    match = _DATETIME.match(_western(text))
    if match is None:
        raise CellError(_("expected a date and time such as 2021-08-12 09:30"))
    year, month, day, hour, minute, second, offset = match.groups()
    if hour is None:
        raise CellError(_("the time of day is missing (expected 2021-08-12 09:30)"))
    try:
        naive = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0)
        )
    except ValueError:
        raise CellError(_("not a real date or time")) from None
    if offset is None:
        return naive.replace(tzinfo=_zone())
    if offset == "Z":
        return naive.replace(tzinfo=datetime.UTC)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=datetime.timezone(sign * delta))


def check_administered_at(at: datetime.datetime, now: datetime.datetime) -> None:
    """A dose cannot be given in the future, nor before vaccination began."""
    if at > now + FUTURE_TOLERANCE:
        raise CellError(_("the time is in the future"))
    if at.astimezone(_zone()).date() < EARLIEST_DOSE:
        raise CellError(_("the time is before vaccination began (2020-07-01)"))


def parse_date(raw: str) -> datetime.date:
    """2021-06-01, 2021/6/1, 2021年6月1日, or a spreadsheet date cell (with 00:00)."""
    text = str(raw or "").strip()
    if not text:
        raise CellError(_("date is empty"))
    match = re.match(_DATE + r"(?:[ T]+00:00(?::00)?)?$", text)
    if match is None:
        raise CellError(_("expected a date such as 2021-06-01"))
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(_("not a real date")) from None


def parse_group(raw: str) -> str:
    text = str(raw or "").strip().replace(" ", "")
    if not text:
        raise CellError(_("age group is empty"))
    group = _GROUP_ALIASES.get(text) or _GROUP_ALIASES.get(text.lower())
    if group is None:
        raise CellError(
            _("unknown age group %(group)s (expected one of %(known)s)")
            % {"group": text, "known": ", ".join(AgeGroup.values)}
        )
    return group


def parse_population(raw: str) -> int:
    """A positive whole number; thousands separators are allowed."""
    text = str(raw or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    if not text:
        raise CellError(_("population is empty"))
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        raise CellError(_("population must be a whole number"))
    value = int(text)
    if value <= 0:
        raise CellError(_("population must be greater than 0"))
    if value > 2_000_000_000:
        raise CellError(_("population is too large"))
    return value
