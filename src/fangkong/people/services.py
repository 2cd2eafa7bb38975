"""Writes to the resident registry. Every function is one transaction and
leaves an audit event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import audit, personal_data
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.identity import parse_id_number, parse_phone
from fangkong.core.importing import ImportResult
from fangkong.core.scoping import Scope
from fangkong.people.importers import run_people_import
from fangkong.people.models import Household, Person, Status, StatusPeriod
from fangkong.regions.models import Unit


class PersonError(FieldError):
    """A registry change cannot be made; `field` names the input at fault."""


def _household(unit: Unit, label: str) -> Household | None:
    label = (label or "").strip()
    if not label:
        return None
    household, _created = Household.objects.get_or_create(unit=unit, label=label)
    return household


def _apply(
    person: Person,
    name: str,
    home_unit: Unit,
    phone: str,
    household: str,
    has_smartphone: bool,
    is_resident: bool,
    created: bool,
) -> None:
    person.name = name
    person.home_unit = home_unit
    person.has_smartphone = has_smartphone
    person.is_resident = is_resident or (not created and person.is_resident)
    if phone:
        person.phone_encrypted = personal_data.encrypt(phone)
        person.phone_hash = personal_data.phone_hash(phone)
        person.phone_prefix, person.phone_last4 = phone[:3], phone[-4:]
    found_household = _household(home_unit, household)
    if found_household is not None:
        person.household = found_household


@transaction.atomic
def register_person(
    actor: Actor,
    *,
    name: str,
    id_number: str,
    home_unit: Unit,
    phone: str = "",
    household: str = "",
    has_smartphone: bool = True,
    is_resident: bool = True,
    update_existing: bool = True,
) -> Person:
    """Create a person, or update the one with this ID number (upsert); with
    `update_existing=False` an existing person is returned unchanged."""
    name = name.strip()
    if not name:
        raise PersonError("name", _("name is empty"))
    try:
        resident_id = parse_id_number(id_number)
    except ValueError as error:
        raise PersonError("id_number", str(error)) from None
    try:
        phone = parse_phone(phone) if phone else ""
    except ValueError as error:
        raise PersonError("phone", str(error)) from None
    person = Person.objects.select_for_update().with_id_number(resident_id.number).first()
    created = person is None
    if person is None:
        person = Person(
            id_number_encrypted=personal_data.encrypt(resident_id.number),
            id_number_hash=personal_data.id_number_hash(resident_id.number),
            id_number_prefix=resident_id.prefix,
            id_number_last4=resident_id.last4,
            sex=resident_id.sex,
            birth_date=resident_id.birth_date,
        )
    elif not update_existing:
        return person
    _apply(person, name, home_unit, phone, household, has_smartphone, is_resident, created)
    if created:
        try:
            # A savepoint: another clerk may register the same number at this moment.
            with transaction.atomic():
                person.save()
        except IntegrityError:
            person = Person.objects.select_for_update().with_id_number(resident_id.number).get()
            created = False
            if not update_existing:
                return person
            _apply(person, name, home_unit, phone, household, has_smartphone, is_resident, False)
            person.save()
    else:
        person.save()
    audit.record(
        actor,
        "people.register_person" if created else "people.update_person",
        unit=home_unit,
        target=person,
    )
    return person


@transaction.atomic
def ensure_person(actor: Actor, *, id_number: str, name: str, unit: Unit) -> Person:
    """The person with this ID number, or a minimal non-resident record at
    `unit` (for records such as a dose given to someone not in the registry)."""
    resident_id = parse_id_number(id_number)
    person = Person.objects.with_id_number(resident_id.number).first()
    if person is not None:
        return person
    return register_person(
        actor,
        name=name,
        id_number=resident_id.number,
        home_unit=unit,
        is_resident=False,
        update_existing=False,
    )


@transaction.atomic
def set_person_status(
    actor: Actor,
    person: Person,
    status: str,
    *,
    at: datetime.datetime | None = None,
    note: str = "",
) -> StatusPeriod:
    """Close the current status period and open one for `status` at `at`."""
    if status not in Status.values:
        raise PersonError("status", _("unknown status %(status)s") % {"status": status})
    at = at or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if at < person.status_since:
        raise PersonError("at", _("a status change cannot precede the current status"))
    current = person.status_periods.filter(ended_at__isnull=True).first()
    if current is None:
        # The implicit period since registration becomes explicit history.
        StatusPeriod.objects.create(
            person=person, status=person.status, started_at=person.status_since, ended_at=at
        )
    else:
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    period = StatusPeriod.objects.create(
        person=person, status=status, started_at=at, note=note, recorded_by=actor.label
    )
    Person.objects.filter(pk=person.pk).update(status=status, status_since=at)
    audit.record(
        actor,
        "people.set_status",
        unit=person.home_unit,
        target=person,
        status=status,
        previous=person.status,
    )
    return period


@dataclass(frozen=True)
class RevealedNumbers:
    id_number: str
    phone: str


@transaction.atomic
def reveal_person_numbers(actor: Actor, person: Person, *, reason: str = "") -> RevealedNumbers:
    """Decrypt a person's ID and phone numbers for a role allowed to see them.
    The caller checks the role; this leaves the audit trail."""
    revealed = RevealedNumbers(*personal_data.numbers(person, unmasked=True))
    audit.record(actor, "people.reveal", unit=person.home_unit, target=person, reason=reason)
    return revealed


def record_unmasked_export(actor: Actor, unit: Unit, *, count: int) -> None:
    """An export with full ID and phone numbers leaves one audit event."""
    audit.record(actor, "people.export_unmasked", unit=unit, target=unit, count=count)


def import_people(
    actor: Actor, path: Path | str, *, partial: bool = False, scope: Scope | None = None
) -> ImportResult:
    """Upsert the registry from a CSV or XLSX file (see people.importers)."""
    result = run_people_import(path, partial=partial, scope=scope or Scope.all())
    audit.record(actor, "people.import", file=Path(path).name, **result.as_dict())
    return result
