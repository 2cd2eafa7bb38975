"""Writes to vaccination records. Every function is one transaction and
leaves one audit event (one per call for imports)."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.identity import InvalidIdentity, parse_id_number
from fangkong.core.importing import ImportResult
from fangkong.core.scoping import Scope
from fangkong.people.services import ensure_person
from fangkong.regions.models import Unit
from fangkong.vaccination import rules
from fangkong.vaccination.importers import DoseImportResult, run_dose_import, run_target_import
from fangkong.vaccination.models import Dose


class DoseError(FieldError):
    """A dose cannot be recorded; `field` names the input at fault."""


@transaction.atomic
def record_dose(
    actor: Actor,
    *,
    id_number: str,
    name: str,
    dose_number: int,
    vaccine: str,
    administered_at: datetime.datetime,
    unit: Unit,
    batch: str = "",
    site: str = "",
    client_uuid: uuid.UUID | None = None,
) -> Dose:
    """Record one dose given by `unit`. Someone not in the registry gets a
    minimal non-resident record there. The same `client_uuid` again returns
    the dose already recorded (a retried form); the same person's same dose
    number from another record is refused."""
    if client_uuid is not None:
        existing = Dose.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing
    name = (name or "").strip()
    if not name:
        raise DoseError("name", _("name is empty"))
    try:
        resident_id = parse_id_number(id_number)
    except InvalidIdentity as error:
        raise DoseError("id_number", str(error)) from None
    try:
        dose_number = int(dose_number)
    except (TypeError, ValueError):
        dose_number = 0
    if not 1 <= dose_number <= rules.MAX_DOSE_NUMBER:
        raise DoseError(
            "dose_number",
            _("dose number must be a whole number from 1 to %(max)s")
            % {"max": rules.MAX_DOSE_NUMBER},
        )
    vaccine = (vaccine or "").strip()
    if not vaccine:
        raise DoseError("vaccine", _("vaccine is empty"))
    if timezone.is_naive(administered_at):
        administered_at = timezone.make_aware(administered_at)
    try:
        rules.check_administered_at(administered_at, timezone.now())
    except rules.CellError as error:
        raise DoseError("administered_at", str(error)) from None
    person = ensure_person(actor, id_number=resident_id.number, name=name, unit=unit)
    recorded = Dose.objects.filter(person=person, dose_number=dose_number).first()
    if recorded is not None:
        raise DoseError(
            "dose_number",
            _("dose %(number)s of this person is already recorded (%(at)s)")
            % {
                "number": dose_number,
                "at": timezone.localtime(recorded.administered_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    try:
        with transaction.atomic():
            dose = Dose.objects.create(
                person=person,
                dose_number=dose_number,
                vaccine=vaccine[:100],
                batch=(batch or "").strip()[:50],
                administered_at=administered_at,
                unit=unit,
                site=(site or "").strip()[:100],
                recorded_by=actor.label,
                client_uuid=client_uuid,
            )
    except IntegrityError:
        # Someone recorded it between our check and our insert.
        if client_uuid is not None:
            existing = Dose.objects.filter(client_uuid=client_uuid).first()
            if existing is not None:
                return existing
        raise DoseError(
            "dose_number",
            _("dose %(number)s of this person is already recorded") % {"number": dose_number},
        ) from None
    audit.record(
        actor,
        "vaccination.record_dose",
        unit=unit,
        target=dose,
        dose_number=dose_number,
        person=person.pk,
    )
    return dose


def import_doses(
    actor: Actor, path: Path | str, *, partial: bool = False, scope: Scope | None = None
) -> DoseImportResult:
    """Upsert doses from a CSV or XLSX file (see vaccination.importers)."""
    result = run_dose_import(
        path, partial=partial, scope=scope or Scope.all(), recorded_by=actor.label
    )
    audit.record(actor, "vaccination.import_doses", file=Path(path).name, **result.as_dict())
    return result


def import_targets(
    actor: Actor, path: Path | str, *, partial: bool = False, scope: Scope | None = None
) -> ImportResult:
    """Upsert target populations from a CSV or XLSX file."""
    result = run_target_import(path, partial=partial, scope=scope or Scope.all())
    audit.record(actor, "vaccination.import_targets", file=Path(path).name, **result.as_dict())
    return result


# `fangkong import doses FILE`, `fangkong import targets FILE`
COMMAND_IMPORTS = {
    "doses": lambda actor, path, *, partial: import_doses(actor, path, partial=partial),
    "targets": lambda actor, path, *, partial: import_targets(actor, path, partial=partial),
}
