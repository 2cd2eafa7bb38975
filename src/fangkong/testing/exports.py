"""Tables for people (CSV with a BOM so spreadsheet software reads the
Chinese, or XLSX) and JSON for programs: coverage, the door-to-door list,
and the retest and resample lists."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.exports import write_table
from fangkong.people.models import Person
from fangkong.testing.queries import CoverageRow, FollowUpGroup

FORMATS = ("csv", "xlsx")


def coverage_headers() -> list[str]:
    return [
        _("unit"),
        _("code"),
        _("expected"),
        _("sampled"),
        _("not sampled"),
        _("results pending"),
        _("negative"),
        _("positive"),
    ]


def coverage_rows(rows: Iterable[CoverageRow]) -> Iterable[list[Any]]:
    for row in rows:
        values = row.as_dict()
        yield [values[key] for key in values]


def write_coverage(rows: list[CoverageRow], output: IO[bytes], fmt: str) -> None:
    """JSON: a list of {name, code, expected, sampled, not_sampled, pending,
    negative, positive}; CSV/XLSX: the same columns with readable headers."""
    if fmt == "json":
        output.write(
            json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=1).encode()
        )
        output.write(b"\n")
        return
    write_table(coverage_headers(), coverage_rows(rows), output, fmt, _("coverage"))


def _address(person: Person) -> str:
    household = person.household.label if person.household_id else ""
    return f"{person.home_unit.name} {household}".strip()


def write_not_sampled(people: Iterable[Person], output: IO[bytes], fmt: str) -> None:
    """The door-to-door list: who in the unit has not been swabbed yet."""
    headers = [_("unit"), _("household"), _("name"), _("ID number"), _("phone"), _("smartphone")]
    rows = (
        [
            person.home_unit.name,
            person.household.label if person.household_id else "",
            person.name,
            person.masked_id_number,
            person.masked_phone,
            _("yes") if person.has_smartphone else _("no"),
        ]
        for person in people
    )
    write_table(headers, rows, output, fmt, _("not sampled"))


def follow_up_rows(groups: list[FollowUpGroup], phones: dict[int, str]) -> Iterable[list[Any]]:
    for group in groups:
        for sample in group.samples:
            person = sample.person
            yield [
                group.community.name,
                person.name,
                person.masked_id_number,
                phones.get(person.pk) or person.masked_phone,
                _address(person),
                sample.tube.barcode,
                timezone.localtime(sample.collected_at).strftime("%Y-%m-%d %H:%M"),
                sample.site.name,
            ]


def follow_up_headers() -> list[str]:
    return [
        _("community"),
        _("name"),
        _("ID number"),
        _("phone"),
        _("household address"),
        _("tube"),
        _("sampled at"),
        _("site"),
    ]


def write_follow_up(
    groups: list[FollowUpGroup], phones: dict[int, str], output: IO[bytes], fmt: str, title: str
) -> None:
    write_table(follow_up_headers(), follow_up_rows(groups, phones), output, fmt, title)
