"""File renderings of checkpoint records: the day's register (XLSX) and the
list of residents allowed in (CSV) for a face-recognition gate's vendor.
Called by the audited services, never directly by views."""

from __future__ import annotations

import csv
import datetime
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.checkpoints import queries
from fangkong.checkpoints.models import Checkpoint, Entry
from fangkong.core import personal_data

_CHUNK = 2000


def _numbers(entry: Entry, unmasked: bool) -> tuple[str, str]:
    """ID number and phone of an entry's person or visitor."""
    holder = entry.person or getattr(entry, "visit", None)
    return personal_data.numbers(holder, unmasked=unmasked) if holder else ("", "")


def write_register(
    checkpoint: Checkpoint, day: datetime.date, stream: IO[bytes], *, unmasked: bool
) -> int:
    """Every entry of the day, oldest first, one row each; returns the count."""
    from openpyxl import Workbook

    start, end = queries.day_window(day)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=day.isoformat())
    sheet.append([f"{checkpoint.unit.name} {checkpoint.name}", _("day register"), day.isoformat()])
    sheet.append(
        [
            _("Time"),
            _("Direction"),
            _("Name"),
            _("ID number"),
            _("Phone"),
            _("Identified by"),
            _("Mask"),
            _("Temperature"),
            _("Health code"),
            _("Itinerary star"),
            _("Decision"),
            _("Reasons"),
            _("Attempt"),
            _("Visit reason"),
            _("Household visited"),
            _("Registered by"),
        ]
    )
    entries = (
        Entry.objects.filter(checkpoint=checkpoint, observed_at__gte=start, observed_at__lt=end)
        .select_related("person", "visit", "operator", "device")
        .order_by("observed_at", "id")
    )
    count = 0
    for entry in entries.iterator(chunk_size=_CHUNK):
        visit = getattr(entry, "visit", None)
        id_number, phone = _numbers(entry, unmasked)
        name = entry.person.name if entry.person else (visit.name if visit else "")
        sheet.append(
            [
                timezone.localtime(entry.observed_at).strftime("%H:%M:%S"),
                entry.get_direction_display(),
                name,
                id_number,
                phone,
                entry.get_identified_by_display(),
                _("yes") if entry.mask else _("no"),
                float(entry.temperature) if entry.temperature is not None else None,
                entry.get_health_code_display(),
                _("yes") if entry.itinerary_star else _("no"),
                entry.get_decision_display(),
                "、".join(reason.label for reason in entry.reason_list),
                entry.attempt,
                visit.reason if visit else "",
                visit.visiting if visit else "",
                str(entry.operator or entry.device or ""),
            ]
        )
        count += 1
    workbook.save(stream)
    return count


def write_allowed_residents(checkpoint: Checkpoint, stream: IO[str]) -> int:
    writer = csv.writer(stream)
    writer.writerow(["person_id", "name", "household", "id_number_masked", "unit_code"])
    count = 0
    for person in (
        queries.allowed_residents(checkpoint)
        .select_related("home_unit")
        .iterator(chunk_size=_CHUNK)
    ):
        writer.writerow(
            [
                person.pk,
                person.name,
                person.household.label if person.household else "",
                person.masked_id_number,
                person.home_unit.code,
            ]
        )
        count += 1
    return count
