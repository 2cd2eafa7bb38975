"""Reads of the checkpoints app, always scoped: which checkpoints a user or
device may see or work at, the gate's archive, recent entries and the
figures per checkpoint, unit and day, personal code links."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.db.models.lookups import GreaterThan
from django.http import Http404
from django.utils import timezone

from fangkong.accounts.auth import Caller
from fangkong.checkpoints import rules
from fangkong.checkpoints.models import Checkpoint, CheckpointQuerySet, Entry, PassCode
from fangkong.people.models import Person
from fangkong.regions.models import Unit

ARCHIVE_LIMIT = 20
_LINK_SALT = "fangkong.checkpoints.pass-code-link"


def checkpoints_for_user(user: Any, capability: str = "checkpoints.view") -> CheckpointQuerySet:
    return Checkpoint.objects.for_staff(user, capability).select_related("unit")


def get_checkpoint_for_user(user: Any, capability: str, checkpoint_id: Any) -> Checkpoint:
    """One checkpoint the user may see or work at; 404 alike when missing
    and when not theirs."""
    try:
        return checkpoints_for_user(user, capability).get(pk=checkpoint_id)
    except (Checkpoint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def checkpoint_for_caller(who: Caller, capability: str, checkpoint_id: int) -> Checkpoint:
    """The checkpoint an API caller addresses: a device within its unit's
    subtree, a user as for pages (gate staff only where bound).

    For devices the checkpoint (with its policy) is remembered for
    CHECKPOINT_CACHE_SECONDS per process, since every entry needs it; a
    policy change reaches the gates within that time. The device's scope is
    checked on every call, with the same rule the querysets apply."""
    if who.device is not None:
        checkpoint = _cached_checkpoint(checkpoint_id)
        if checkpoint is None or not who.scope.contains(checkpoint.unit):
            raise Http404
        return checkpoint
    return get_checkpoint_for_user(who.user, capability, checkpoint_id)


CHECKPOINT_CACHE_SECONDS = 5.0
_checkpoints: dict[int, tuple[float, Checkpoint]] = {}


def _cached_checkpoint(checkpoint_id: int) -> Checkpoint | None:
    now = time.monotonic()
    cached = _checkpoints.get(checkpoint_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    checkpoint = Checkpoint.objects.select_related("unit").filter(pk=checkpoint_id).first()
    if checkpoint is None:
        _checkpoints.pop(checkpoint_id, None)
        return None
    if len(_checkpoints) >= 10_000:
        _checkpoints.clear()
    _checkpoints[checkpoint_id] = (now + CHECKPOINT_CACHE_SECONDS, checkpoint)
    return checkpoint


def forget_checkpoints() -> None:
    _checkpoints.clear()


# --- the gate's archive ----------------------------------------------------------


def search_archive(
    checkpoint: Checkpoint, *, name: str = "", last4: str = "", household: str = ""
) -> list[Person]:
    """Residents of the checkpoint's unit by name plus the last four ID
    digits, or by household: how people without a smartphone are found."""
    name, last4, household = name.strip(), last4.strip().upper(), household.strip()
    people = Person.objects.filter(home_unit__path__startswith=checkpoint.unit.path)
    if household:
        people = people.filter(household__label__startswith=household)
        if name:
            people = people.filter(name__startswith=name)
    elif name and len(last4) == 4:
        people = people.filter(name__startswith=name, id_number_last4=last4)
    else:
        return []
    return list(
        people.select_related("household").order_by("has_smartphone", "household__label", "name")[
            :ARCHIVE_LIMIT
        ]
    )


def allowed_residents(checkpoint: Checkpoint) -> QuerySet[Person]:
    """Residents of the checkpoint's unit whose status the policy admits."""
    return (
        Person.objects.filter(home_unit__path__startswith=checkpoint.unit.path, is_resident=True)
        .exclude(status__in=checkpoint.denied_statuses)
        .select_related("household")
        .order_by("household__label", "name", "pk")
    )


# --- entries and figures ----------------------------------------------------------


def day_window(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """A local calendar day (Asia/Shanghai) as an instant range."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def recent_entries(checkpoint: Checkpoint, limit: int = 10) -> list[Entry]:
    return list(
        Entry.objects.filter(checkpoint=checkpoint)
        .select_related("person", "visit")
        .order_by("-observed_at", "-id")[:limit]
    )


@dataclass
class DayFigures:
    """Entries of a day: how many, admitted, denied, denied by reason, the
    denied who were then admitted on a later attempt, and per hour."""

    day: datetime.date
    entries: int = 0
    entries_in: int = 0
    entries_out: int = 0
    admitted: int = 0
    denied: int = 0
    denied_then_admitted: int = 0
    follow_up: int = 0
    by_reason: list[tuple[rules.Reason, int]] = field(default_factory=list)
    by_hour: list[tuple[int, int]] = field(default_factory=list)


def _aggregates() -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "entries": Count("id"),
        "entries_in": Count("id", filter=Q(direction="in")),
        "entries_out": Count("id", filter=Q(direction="out")),
        "admitted": Count("id", filter=Q(decision="admit")),
        "denied": Count("id", filter=Q(decision="deny")),
        "denied_then_admitted": Count(
            "id", filter=Q(decision="admit", previous_attempt__isnull=False)
        ),
        "follow_up": Count("id", filter=Q(follow_up=True)),
    }
    for reason in rules.ALL_REASONS:
        aggregates[f"reason_{reason.value}"] = Count(
            "id", filter=Q(decision="deny") & GreaterThan(F("reasons").bitand(reason.value), 0)
        )
    return aggregates


def _figures(day: datetime.date, row: dict[str, Any]) -> DayFigures:
    figures = DayFigures(day=day)
    for name in (
        "entries",
        "entries_in",
        "entries_out",
        "admitted",
        "denied",
        "denied_then_admitted",
        "follow_up",
    ):
        setattr(figures, name, row.get(name) or 0)
    figures.by_reason = [
        (reason, row.get(f"reason_{reason.value}") or 0)
        for reason in rules.ALL_REASONS
        if row.get(f"reason_{reason.value}")
    ]
    return figures


def _of_day(entries: QuerySet[Entry], day: datetime.date) -> QuerySet[Entry]:
    start, end = day_window(day)
    return entries.filter(observed_at__gte=start, observed_at__lt=end)


def _by_hour(of_day: QuerySet[Entry]) -> list[tuple[int, int]]:
    hours = {
        row["hour"]: row["n"]
        for row in of_day.annotate(hour=ExtractHour("observed_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [(hour, hours.get(hour, 0)) for hour in range(24)]


def day_figures(entries: QuerySet[Entry], day: datetime.date) -> DayFigures:
    of_day = _of_day(entries, day)
    figures = _figures(day, of_day.aggregate(**_aggregates()))
    figures.by_hour = _by_hour(of_day)
    return figures


def checkpoint_figures(checkpoint: Checkpoint, day: datetime.date) -> DayFigures:
    return day_figures(Entry.objects.filter(checkpoint=checkpoint), day)


def unit_figures(
    user: Any, unit: Unit, day: datetime.date
) -> tuple[DayFigures, list[tuple[Checkpoint, DayFigures]]]:
    """A unit's day over the checkpoints under it that the user may see:
    the total, and one row per checkpoint."""
    checkpoints = list(
        checkpoints_for_user(user, "checkpoints.view").filter(unit__path__startswith=unit.path)
    )
    of_day = _of_day(Entry.objects.filter(checkpoint__in=[c.pk for c in checkpoints]), day)
    per_checkpoint = {
        row["checkpoint"]: row
        for row in of_day.values("checkpoint").annotate(**_aggregates()).order_by()
    }
    # The unit's total is the sum of its checkpoints' rows: every count adds up.
    total = _figures(
        day, {name: sum(row[name] for row in per_checkpoint.values()) for name in _aggregates()}
    )
    total.by_hour = _by_hour(of_day)
    rows = [(c, _figures(day, per_checkpoint.get(c.pk, {}))) for c in checkpoints]
    return total, rows


def today_counts(checkpoint: Checkpoint) -> dict[str, int]:
    aggregates = _aggregates()
    return _of_day(Entry.objects.filter(checkpoint=checkpoint), timezone.localdate()).aggregate(
        **{name: aggregates[name] for name in ("entries", "admitted", "denied")}
    )


# --- pass codes --------------------------------------------------------------------


def personal_link_token(pass_code: PassCode) -> str:
    """The secret part of a resident's personal link; a reissue changes it."""
    return signing.dumps([pass_code.person_id, pass_code.version], salt=_LINK_SALT)


def pass_code_for_link(token: str) -> PassCode:
    try:
        person_id, version = signing.loads(token, salt=_LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    pass_code = (
        PassCode.objects.select_related("person", "person__home_unit")
        .filter(person_id=person_id, version=version)
        .first()
    )
    if pass_code is None:
        raise Http404
    return pass_code


def reissued_versions(since: datetime.datetime | None) -> list[tuple[int, int]]:
    """(person id, current version) of codes reissued since a moment: what a
    gate device syncs to refuse revoked codes while offline."""
    codes = PassCode.objects.filter(version__gt=1)
    if since is not None:
        codes = codes.filter(issued_at__gte=since)
    return list(codes.order_by("person_id").values_list("person_id", "version"))
