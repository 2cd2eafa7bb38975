"""The residents list of a unit as CSV or XLSX: masked by default; unmasked
only for roles allowed to reveal, and then audit-logged by the caller."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from fangkong.core import personal_data
from fangkong.people.models import Person


def resident_rows(people: Iterable[Person], *, unmasked: bool) -> Iterator[list[str]]:
    for person in people:
        if unmasked:
            id_number = personal_data.decrypt(person.id_number_encrypted)
            phone = personal_data.decrypt(person.phone_encrypted) if person.phone_encrypted else ""
        else:
            id_number, phone = person.masked_id_number, person.masked_phone
        yield [
            person.name,
            id_number,
            phone,
            person.home_unit.name,
            person.household.label if person.household_id else "",
            person.get_status_display(),
            _("yes") if person.has_smartphone else _("no"),
        ]


def headers() -> list[str]:
    return [
        _("Name"),
        _("ID number"),
        _("Phone"),
        _("Home unit"),
        _("Household"),
        _("Status"),
        _("Smartphone"),
    ]


def write_residents(people: Iterable[Person], fmt: str, *, unmasked: bool) -> bytes:
    rows = resident_rows(people, unmasked=unmasked)
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Residents"))
        sheet.append(headers())
        for row in rows:
            sheet.append(row)
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers())
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")
