"""The residents list of a unit as CSV or XLSX: masked by default; unmasked
only for roles allowed to reveal, and then audit-logged by the caller."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from fangkong.core import personal_data
from fangkong.core.exports import write_table
from fangkong.people.models import Person


def resident_rows(people: Iterable[Person], *, unmasked: bool) -> Iterator[list[str]]:
    for person in people:
        id_number, phone = personal_data.numbers(person, unmasked=unmasked)
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
    output = io.BytesIO()
    write_table(headers(), resident_rows(people, unmasked=unmasked), output, fmt, _("Residents"))
    return output.getvalue()
