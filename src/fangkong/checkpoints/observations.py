"""What a gate observed, on its way to an entry: the inputs (a single
entry or a batch item), their validation (a measuring error or malformed
input is a FieldError naming the field, and creates nothing) and the
identification of who it is (a pass code, an ID number, a person from the
gate's archive, or a visitor), in a few queries for a whole batch.
The registration pipeline (`registration`) takes it from there."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.checkpoints import gate_sql, passcodes, rules
from fangkong.checkpoints.models import Checkpoint, Entry, IdentifiedBy, Method, Visit
from fangkong.core import personal_data
from fangkong.core.errors import FieldError
from fangkong.core.identity import InvalidIdentity, parse_id_number, parse_phone
from fangkong.people.models import Household, Person, StatusPeriod

_METHODS = frozenset(Method.values)


@dataclass(frozen=True)
class VisitorInput:
    name: str = ""
    phone: str = ""
    id_number: str = ""
    reason: str = ""
    visiting: str = ""


@dataclass(frozen=True)
class EntryInput:
    """One observation at a gate, as a device or the duty page sends it.
    Exactly one of code, id_number, person_id, visitor says who."""

    client_uuid: uuid.UUID
    observed_at: datetime.datetime
    mask: bool
    health_code: str
    temperature: Decimal | None = None
    itinerary_star: bool = False
    direction: str = "in"
    code: str | None = None
    id_number: str | None = None
    person_id: int | None = None
    visitor: VisitorInput | None = None
    method: str = Method.DEVICE


@dataclass(frozen=True)
class EntryResult:
    entry: Entry
    created: bool
    # Who passed, for the gate to confirm: a name and masked ID number.
    who: str = ""

    @property
    def reasons(self) -> tuple[rules.Reason, ...]:
        return self.entry.reason_list


@dataclass
class Item:
    """One observation on its way through the pipeline."""

    index: int
    data: EntryInput
    temperature: Decimal | None = None
    code: str = ""
    id_number: str = ""
    visitor_phone: str = ""
    visitor_id_number: str = ""
    digest: str = ""
    claims: passcodes.Claims | None = None
    person: Person | None = None
    code_problem: str | None = None
    subject_key: str = ""
    identified_by: str = ""
    visit: Visit | None = None
    visitor_incomplete: bool = False
    status: str | None = None
    previous_id: int | None = None
    previous_item: Item | None = None
    attempt: int = 1
    decision: rules.Decision | None = None
    entry: Entry | None = None
    error: FieldError | None = None
    result: EntryResult | None = None
    duplicate_of: Item | None = None
    tested_at: datetime.datetime | None = field(default=None)


# --- validation -----------------------------------------------------------


def validate(item: Item, checkpoint: Checkpoint, now: datetime.datetime) -> None:
    data = item.data
    given = [
        name
        for name, value in (
            ("code", data.code),
            ("id_number", data.id_number),
            ("person_id", data.person_id),
            ("visitor", data.visitor),
        )
        if value not in (None, "")
    ]
    if not given:
        raise FieldError("code", _("say who: a pass code, an ID number, a person or a visitor"))
    if len(given) > 1:
        raise FieldError(given[1], _("give only one of code, id_number, person_id, visitor"))
    if data.health_code not in rules.HEALTH_CODES:
        raise FieldError("health_code", _("health code must be green, yellow, red or none"))
    if data.direction not in rules.DIRECTIONS:
        raise FieldError("direction", _("direction must be in or out"))
    if data.method not in _METHODS:
        raise FieldError("method", _("unknown method"))
    try:
        item.temperature = rules.check_temperature(data.temperature)
    except rules.MeasuringError as error:
        raise FieldError("temperature", str(error)) from None
    if item.temperature is None and data.direction == "in":
        raise FieldError("temperature", _("measure the temperature"))
    observed_at = data.observed_at
    if timezone.is_naive(observed_at):
        observed_at = timezone.make_aware(observed_at)
        item.data = data = replace(data, observed_at=observed_at)
    try:
        rules.check_observed_at(observed_at, now, settings.ENTRY_RETENTION_DAYS)
    except rules.ObservedAtError as error:
        raise FieldError("observed_at", str(error)) from None
    if data.code:
        item.code = passcodes.normalise(data.code)
    if data.id_number:
        item.id_number = _parse_id(data.id_number, "id_number")
    if data.visitor is not None:
        visitor = data.visitor
        if visitor.id_number.strip():
            item.visitor_id_number = _parse_id(visitor.id_number, "visitor.id_number")
        if visitor.phone.strip():
            try:
                item.visitor_phone = parse_phone(visitor.phone)
            except InvalidIdentity as error:
                raise FieldError("visitor.phone", str(error)) from None
    item.digest = _digest(item, checkpoint)


def _parse_id(raw: str, field_name: str) -> str:
    try:
        return parse_id_number(raw).number
    except InvalidIdentity as error:
        raise FieldError(field_name, str(error)) from None


def _digest(item: Item, checkpoint: Checkpoint) -> str:
    """A keyed digest of the observation: equal for a true retry, different
    when the same client_uuid carries other content. Keyed, because the
    content includes ID numbers."""
    data = item.data
    visitor = data.visitor
    parts = [
        str(checkpoint.pk),
        item.code,
        item.id_number,
        str(data.person_id or ""),
        "|".join(
            [
                visitor.name.strip(),
                item.visitor_phone,
                item.visitor_id_number,
                visitor.reason.strip(),
                visitor.visiting.strip(),
            ]
        )
        if visitor is not None
        else "",
        "1" if data.mask else "0",
        str(item.temperature or ""),
        data.health_code,
        "1" if data.itinerary_star else "0",
        data.direction,
        data.observed_at.astimezone(datetime.UTC).isoformat(),
        data.method,
    ]
    return personal_data.keyring().lookup_hash("entry", "\x1f".join(parts)).hex


# --- identification ---------------------------------------------------------


def read_codes(items: list[Item]) -> None:
    """Verify the signature of each scanned pass code (no query), once per
    code: an offline device's upload holds a resident going out and in."""
    public_key = passcodes.public_key()
    verified: dict[str, passcodes.Claims | None] = {}
    for item in items:
        item.identified_by = IdentifiedBy.CODE
        if item.code not in verified:
            try:
                verified[item.code] = passcodes.decode(item.code, public_key)
            except passcodes.PassCodeError:
                verified[item.code] = None
        item.claims = verified[item.code]
        if item.claims is None:
            item.code_problem = "invalid"


def apply_current_codes(items: list[Item], current: dict[int, tuple[int, Person]]) -> None:
    """Compare each verified code with its holder's current version: an
    older version was revoked by a reissue; a missing or newer one was
    never issued here."""
    for item in items:
        if item.claims is None:
            continue
        version, holder = current.get(item.claims.person_id, (None, None))
        item.code_problem = passcodes.version_problem(item.claims.version, version)
        if item.code_problem == "invalid":
            continue
        item.person = holder
        item.subject_key = f"p:{holder.pk}"


def identify(items: list[Item], checkpoint: Checkpoint) -> None:
    """Who each observation is about, in a few queries for the whole list."""
    by_code = [item for item in items if item.code]
    read_codes(by_code)
    claimed = sorted({item.claims.person_id for item in by_code if item.claims is not None})
    apply_current_codes(by_code, gate_sql.current_pass_codes(claimed))

    hashes = {personal_data.id_number_hash(n) for i in items for n in (i.id_number,) if n}
    hashes |= {
        personal_data.id_number_hash(i.visitor_id_number) for i in items if i.visitor_id_number
    }
    registered = (
        {p.id_number_hash: p for p in Person.objects.filter(id_number_hash__in=hashes)}
        if hashes
        else {}
    )
    archive_ids = {item.data.person_id for item in items if item.data.person_id}
    archive = (
        {
            p.pk: p
            for p in Person.objects.filter(
                pk__in=archive_ids, home_unit__path__startswith=checkpoint.unit.path
            )
        }
        if archive_ids
        else {}
    )
    labels = {i.data.visitor.visiting.strip() for i in items if i.data.visitor is not None}
    labels.discard("")
    households = (
        {
            h.label: h
            for h in Household.objects.filter(
                label__in=labels, unit__path__startswith=checkpoint.unit.path
            )
        }
        if labels
        else {}
    )

    for item in items:
        if item.id_number:
            item.identified_by = IdentifiedBy.ID_NUMBER
            id_hash = personal_data.id_number_hash(item.id_number)
            item.person = registered.get(id_hash)
            if item.person is None:
                # Not in the registry: a visitor who still has to give the
                # rest of their details.
                item.visit = _visit(item, VisitorInput(id_number=item.id_number), id_hash, None)
                item.visitor_incomplete = True
                item.subject_key = f"v:{id_hash.hex[:24]}"
        elif item.data.person_id:
            item.identified_by = IdentifiedBy.ARCHIVE
            item.person = archive.get(item.data.person_id)
            if item.person is None:
                item.error = FieldError("person_id", _("this person is not in the gate's archive"))
        elif item.data.visitor is not None:
            item.identified_by = IdentifiedBy.VISITOR
            visitor = item.data.visitor
            id_hash = (
                personal_data.id_number_hash(item.visitor_id_number)
                if item.visitor_id_number
                else None
            )
            item.person = registered.get(id_hash) if id_hash else None
            item.visit = _visit(item, visitor, id_hash, households.get(visitor.visiting.strip()))
            item.visitor_incomplete = not all(
                [
                    visitor.name.strip(),
                    item.visitor_phone,
                    item.visitor_id_number,
                    visitor.reason.strip(),
                    visitor.visiting.strip(),
                ]
            )
            if item.person is None and id_hash:
                item.subject_key = f"v:{id_hash.hex[:24]}"
        if item.person is not None:
            item.subject_key = f"p:{item.person.pk}"
    statuses_at_observation(items)


def _visit(item: Item, visitor: VisitorInput, id_hash: uuid.UUID | None, household: Any) -> Visit:
    visit = Visit(
        name=visitor.name.strip()[:100],
        reason=visitor.reason.strip()[:200],
        visiting=visitor.visiting.strip()[:200],
        visiting_household=household,
    )
    number = item.visitor_id_number or item.id_number
    if number:
        visit.id_number_encrypted = personal_data.encrypt(number)
        visit.id_number_hash = id_hash
        visit.id_number_prefix, visit.id_number_last4 = number[:6], number[-4:]
    if item.visitor_phone:
        visit.phone_encrypted = personal_data.encrypt(item.visitor_phone)
        visit.phone_prefix, visit.phone_last4 = item.visitor_phone[:3], item.visitor_phone[-4:]
    return visit


def statuses_at_observation(items: list[Item]) -> None:
    """The person's status when observed: the current one, unless a late
    upload predates the last status change (then from the history)."""
    older: dict[int, list[Item]] = {}
    for item in items:
        if item.person is None:
            continue
        if item.person.status_since <= item.data.observed_at:
            item.status = item.person.status
        else:
            older.setdefault(item.person.pk, []).append(item)
    if not older:
        return
    periods: dict[int, list[StatusPeriod]] = {}
    for period in StatusPeriod.objects.filter(person_id__in=older).order_by("started_at"):
        periods.setdefault(period.person_id, []).append(period)
    for person_id, waiting in older.items():
        for item in waiting:
            at = item.data.observed_at
            item.status = next(
                (
                    p.status
                    for p in periods.get(person_id, [])
                    if p.started_at <= at and (p.ended_at is None or at < p.ended_at)
                ),
                # Before any recorded period: the registration-time status.
                "normal",
            )
