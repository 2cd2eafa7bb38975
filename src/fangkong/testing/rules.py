"""Pure decisions of mass testing: parsing result cells, a person's outcome
from their latest sample, when a second sample is allowed, and which status
a lab result gives a person. No I/O: the easiest code to test."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from fangkong.testing.models import POOL_SIZES, Result, SampleKind

# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=10)
MAX_CT_VALUE = Decimal("60")

_RESULTS = {
    "negative": Result.NEGATIVE,
    "neg": Result.NEGATIVE,
    "阴性": Result.NEGATIVE,
    "阴": Result.NEGATIVE,
    "-": Result.NEGATIVE,
    "positive": Result.POSITIVE,
    "pos": Result.POSITIVE,
    "阳性": Result.POSITIVE,
    "阳": Result.POSITIVE,
    "+": Result.POSITIVE,
    "invalid": Result.INVALID,
    "无效": Result.INVALID,
}
_BARCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


class CellError(ValueError):
    """A cell or field value cannot be accepted; the message is for the user."""


class Outcome(StrEnum):
    """Where a person of a round stands."""

    NOT_SAMPLED = "not_sampled"
    PENDING = "pending"  # swabbed, the tube has no result yet
    RETEST = "retest"  # in a positive pool: waits for a single-tube retest
    RESAMPLE = "resample"  # in an invalid tube: must be swabbed again
    NEGATIVE = "negative"
    POSITIVE = "positive"


def outcome_of(capacity: int | None, result: str | None) -> Outcome:
    """A person's outcome from their latest sample's tube (None: not sampled)."""
    if capacity is None:
        return Outcome.NOT_SAMPLED
    if result is None or result == "":
        return Outcome.PENDING
    if result == Result.NEGATIVE:
        return Outcome.NEGATIVE
    if result == Result.INVALID:
        return Outcome.RESAMPLE
    return Outcome.POSITIVE if capacity == 1 else Outcome.RETEST


def kind_of_next_sample(previous: Outcome, reason: str) -> SampleKind:
    """What a new sample of a person is, given their outcome in the round so
    far. Raises CellError when another sample is not justified."""
    if previous == Outcome.NOT_SAMPLED:
        return SampleKind.FIRST
    if previous == Outcome.RETEST:
        return SampleKind.RETEST
    if previous == Outcome.RESAMPLE:
        return SampleKind.RESAMPLE
    if not reason.strip():
        raise CellError(_("already sampled in this round; a second sample needs a reason"))
    return SampleKind.REPEAT


def check_tube_for(kind: SampleKind, capacity: int) -> None:
    """A retest of a positive pool goes in a tube of its own."""
    if kind == SampleKind.RETEST and capacity != 1:
        raise CellError(_("this person waits for a single-tube retest: use a single tube (1-in-1)"))


def check_collected_at(
    collected_at: datetime.datetime,
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
    kind: SampleKind,
) -> None:
    """A first or repeat sample is taken inside the round's window; retests
    and resamples may follow after it ends. None is taken in the future."""
    if collected_at > now + CLOCK_SKEW:
        raise CellError(_("the collection time is in the future"))
    if collected_at < starts_at:
        raise CellError(_("the collection time is before the round starts"))
    if collected_at > ends_at and kind in (SampleKind.FIRST, SampleKind.REPEAT):
        raise CellError(_("the collection time is after the round ended"))


def check_pool_size(size: int) -> int:
    if size not in POOL_SIZES:
        raise CellError(_("pool size must be 1, 5, 10 or 20"))
    return size


def parse_barcode(raw: str) -> str:
    barcode = str(raw or "").strip()
    if not barcode:
        raise CellError(_("tube barcode is empty"))
    if not _BARCODE.match(barcode):
        raise CellError(_("tube barcode must be up to 64 letters, digits, - or _"))
    return barcode


def parse_result(raw: str) -> str:
    """negative/positive/invalid or 阴性/阳性/无效."""
    text = str(raw or "").strip()
    found = _RESULTS.get(text.lower()) or _RESULTS.get(text)
    if found is None:
        raise CellError(_("result must be negative, positive or invalid (阴性/阳性/无效)"))
    return found.value


def parse_ct_value(raw: str) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(_("CT value is not a number")) from None
    if not value.is_finite() or value < 0 or value > MAX_CT_VALUE:
        raise CellError(_("CT value must be between 0 and 60"))
    return value.quantize(Decimal("0.01"))


def parse_datetime(raw: str, zone: ZoneInfo | None = None) -> datetime.datetime:
    """`2021-08-10 18:30[:00]`, `2021/08/10 18:30`, ISO 8601 with or without
    an offset; a time without an offset is local time (Asia/Shanghai)."""
    text = str(raw or "").strip().replace("/", "-")
    if not text:
        raise CellError(_("the time is empty"))
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CellError(_("not a date and time such as 2021-08-10 18:30")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or ZoneInfo(settings.TIME_ZONE))
    return value


def status_after_result(current: str, *, single: bool, result: str) -> str | None:
    """The status a tube's result gives one of its people, or None to leave
    it: a positive pool puts them in pending retest, a positive single tube
    makes them positive; a negative single tube ends a pending retest (the
    status to return to is decided by status_after_negative_retest)."""
    if result == Result.POSITIVE:
        if single:
            return None if current == "positive" else "positive"
        return None if current in ("positive", "pending_retest") else "pending_retest"
    if result == Result.NEGATIVE and single and current == "pending_retest":
        return "normal"
    return None


def status_after_negative_retest(previous: str | None) -> str:
    """Back to what the person was before the positive pool, unless that was
    itself a testing status."""
    if previous in (None, "", "pending_retest", "positive"):
        return "normal"
    return previous


def grassroots_of(path_units: list[tuple[int, str]]) -> int:
    """The community or village a home unit belongs to, from its path
    (root first, as (id, kind) pairs): the deepest community or village, or
    the home unit itself when none."""
    for unit_id, kind in reversed(path_units):
        if kind in ("community", "village"):
            return unit_id
    return path_units[-1][0]
