"""Entry registration (登记一名进一名): from what a gate observed to a stored
entry with its decision. One pipeline serves the single entry (the duty page,
a scanner online) and the batch (a device that was offline):

1. validate each observation (a measuring error or malformed input is a
   FieldError naming the field, and creates nothing);
2. identify who it is: a pass code, an ID number, a person from the gate's
   archive, or a visitor; a handful of queries for the whole batch;
3. find the previous attempt of the same person at the same gate (a denial
   shortly before makes this the second attempt, linked to the first);
4. decide with the pure `rules.decide`;
5. insert; a `client_uuid` seen before returns the first result when the
   content is the same, and is a conflict when it is not.

The entry row is itself the record of who registered whom, when and from
which device, so registration writes no separate audit event per entry
(which would double the writes on the gate's hot path and keep a trace of
every passage beyond the retention period); a batch upload leaves one.
"""

from __future__ import annotations

import bisect
import datetime
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.checkpoints import gate_sql, negative_tests, passcodes, rules
from fangkong.checkpoints.models import (
    Checkpoint,
    Entry,
    IdentifiedBy,
    Method,
    Visit,
)
from fangkong.core import audit, personal_data
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.identity import InvalidIdentity, parse_id_number, parse_phone
from fangkong.people.models import Household, Person, StatusPeriod

MAX_BATCH = 500
_METHODS = frozenset(Method.values)
CONFLICT_STATUS = 409


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
class _Item:
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
    previous_item: _Item | None = None
    attempt: int = 1
    decision: rules.Decision | None = None
    entry: Entry | None = None
    error: FieldError | None = None
    result: EntryResult | None = None
    duplicate_of: _Item | None = None
    tested_at: datetime.datetime | None = field(default=None)


# --- 1. validation -----------------------------------------------------------


def _validate(item: _Item, checkpoint: Checkpoint, now: datetime.datetime) -> None:
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


def _digest(item: _Item, checkpoint: Checkpoint) -> str:
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
    return personal_data.keyring().lookup_hash("entry", "\x1f".join(parts))[:32]


# --- 2. identification ---------------------------------------------------------


def _identify(items: list[_Item], checkpoint: Checkpoint) -> None:
    """Who each observation is about, in a few queries for the whole list."""
    by_code = [item for item in items if item.code]
    for item in by_code:
        item.identified_by = IdentifiedBy.CODE
        try:
            item.claims = passcodes.read(item.code)
        except passcodes.PassCodeError:
            item.code_problem = "invalid"
    claimed = sorted({item.claims.person_id for item in by_code if item.claims is not None})
    current = gate_sql.current_pass_codes(claimed)
    for item in by_code:
        if item.claims is None:
            continue
        version, holder = current.get(item.claims.person_id, (None, None))
        if version is None or item.claims.version > version:
            item.code_problem = "invalid"
            continue
        if item.claims.version < version:
            item.code_problem = "revoked"
        item.person = holder

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
                item.subject_key = f"v:{id_hash[:24]}"
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
                else ""
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
                item.subject_key = f"v:{id_hash[:24]}"
        if item.person is not None:
            item.subject_key = f"p:{item.person.pk}"
    _statuses_at_observation(items)


def _visit(item: _Item, visitor: VisitorInput, id_hash: str, household: Any) -> Visit:
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


def _statuses_at_observation(items: list[_Item]) -> None:
    """The person's status when observed: the current one, unless a late
    upload predates the last status change (then from the history)."""
    older: dict[int, list[_Item]] = {}
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


# --- 3. previous attempts ------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    """An earlier check of a subject at this gate: from the database or
    from earlier in the same batch."""

    observed_at: datetime.datetime
    direction: str
    denied: bool
    attempt: int
    entry_id: int | None = None
    item: _Item | None = None


def _history(linked: list[_Item], checkpoint: Checkpoint) -> dict[str, list[_Seen]]:
    span = (
        min(item.data.observed_at for item in linked),
        max(item.data.observed_at for item in linked),
    )
    rows = gate_sql.recent_checks(
        checkpoint.pk, {item.subject_key for item in linked}, span, rules.RETRY_WINDOW
    )
    history: dict[str, list[_Seen]] = {}
    for subject_key, observed_at, direction, decision, attempt, pk in rows:
        history.setdefault(subject_key, []).append(
            _Seen(observed_at, direction, decision == "deny", attempt, entry_id=pk)
        )
    return history


def _link_attempts(items: list[_Item], checkpoint: Checkpoint) -> None:
    """A check shortly after a denial of the same person at the same gate, in
    the same direction, is the next attempt of that passage."""
    linked = [item for item in items if item.subject_key]
    if not linked:
        return
    history = _history(linked, checkpoint)
    for item in sorted(linked, key=lambda i: (i.data.observed_at, i.index)):
        at, direction = item.data.observed_at, item.data.direction
        seen_list = history.setdefault(item.subject_key, [])
        last = next(
            (
                seen
                for seen in reversed(seen_list)
                if seen.observed_at <= at and seen.direction == direction
            ),
            None,
        )
        if last is not None and last.denied and last.observed_at >= at - rules.RETRY_WINDOW:
            item.previous_id, item.previous_item = last.entry_id, last.item
            item.attempt = last.attempt + 1
        # Later items of the batch may be retries of this one.
        assert item.decision is not None
        mine = _Seen(at, direction, not item.decision.admitted, item.attempt, item=item)
        position = bisect.bisect_right([seen.observed_at for seen in seen_list], at)
        seen_list.insert(position, mine)


# --- 4. decision -----------------------------------------------------------------


def _decide(item: _Item, policy: rules.Policy) -> None:
    data = item.data
    if policy.negative_test_hours is not None and item.person is not None:
        item.tested_at = negative_tests.latest_negative_test_at(item.person.pk)
    item.decision = rules.decide(
        policy,
        rules.Observation(
            observed_at=data.observed_at,
            direction=data.direction,
            mask=data.mask,
            temperature=item.temperature,
            health_code=data.health_code,
            itinerary_star=data.itinerary_star,
            code_problem=item.code_problem,
            person_status=item.status,
            without_smartphone=(
                item.person is not None
                and not item.person.has_smartphone
                and item.identified_by == IdentifiedBy.ARCHIVE
            ),
            visitor_incomplete=item.visitor_incomplete,
            last_negative_test_at=item.tested_at,
        ),
    )


@cache
def _entry_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in Entry._meta.concrete_fields)


def _build_entry(
    item: _Item, checkpoint: Checkpoint, now: datetime.datetime, actor: Actor
) -> Entry:
    data, decision = item.data, item.decision
    assert decision is not None
    values = {
        "id": None,
        "client_uuid": data.client_uuid,
        "content_hash": item.digest,
        "checkpoint_id": checkpoint.pk,
        "unit_id": checkpoint.unit_id,
        "person_id": item.person.pk if item.person is not None else None,
        "subject_key": item.subject_key,
        "identified_by": item.identified_by,
        "method": data.method,
        "direction": data.direction,
        "mask": data.mask,
        "temperature": item.temperature,
        "health_code": data.health_code,
        "itinerary_star": data.itinerary_star,
        "observed_at": data.observed_at,
        "received_at": now,
        "decision": decision.word,
        "reasons": decision.bits,
        "follow_up": decision.follow_up,
        "previous_attempt_id": item.previous_id,
        "attempt": item.attempt,
        "operator_id": actor.user.pk if actor.user is not None else None,
        "device_id": actor.device.pk if actor.device is not None else None,
    }
    # Positional arguments in field order: a batch builds hundreds of these,
    # and keyword construction costs several times more.
    return Entry(*[values[name] for name in _entry_fields()])


def _who(person: Person | None, visit: Visit | None) -> str:
    if person is not None:
        return f"{person.name} {person.masked_id_number}"
    if visit is not None:
        return " ".join(part for part in (visit.name, visit.masked_id_number) if part)
    return ""


# --- 5. storing -------------------------------------------------------------------


def _prepare(
    items: list[_Item],
    checkpoint: Checkpoint,
    now: datetime.datetime,
    actor: Actor,
    *,
    link: bool = True,
) -> None:
    live = [item for item in items if item.error is None and item.result is None]
    _identify(live, checkpoint)
    live = [item for item in live if item.error is None]
    policy = checkpoint.policy()
    # Decisions in observation order, so an in-batch retry sees its denial.
    for item in sorted(live, key=lambda i: (i.data.observed_at, i.index)):
        _decide(item, policy)
    if link:
        _link_attempts(live, checkpoint)
    for item in live:
        item.entry = _build_entry(item, checkpoint, now, actor)


def register_entry(
    actor: Actor,
    checkpoint: Checkpoint,
    data: EntryInput,
    *,
    now: datetime.datetime | None = None,
) -> EntryResult:
    """Register one entry and decide. Raises FieldError for bad input (with
    status 409 for a client_uuid reused with other content).

    Not one explicit transaction: on the hot path the entry is a single
    INSERT, atomic by itself; a visitor's details go in with it in one
    transaction. The actor's user or device is recorded on the entry."""
    now = now or timezone.now()
    item = _Item(index=0, data=data)
    _validate(item, checkpoint, now)
    # The previous attempt is found by the INSERT itself (one round trip).
    _prepare([item], checkpoint, now, actor, link=False)
    if item.error is not None:
        raise item.error
    entry = item.entry
    assert entry is not None
    try:
        block = item.visit is not None or connection.in_atomic_block
        with transaction.atomic() if block else nullcontext():
            gate_sql.insert_entry_linked(entry, since=data.observed_at - rules.RETRY_WINDOW)
            if item.visit is not None:
                item.visit.entry = entry
                item.visit.save(force_insert=True)
    except IntegrityError as error:
        return _replay(checkpoint, item, error)
    return EntryResult(entry=entry, created=True, who=_who(item.person, item.visit))


def _replay(checkpoint: Checkpoint, item: _Item, error: IntegrityError) -> EntryResult:
    """The first result for a client_uuid seen before, or a conflict."""
    existing = (
        Entry.objects.select_related("person", "visit")
        .filter(client_uuid=item.data.client_uuid)
        .first()
    )
    if existing is None:
        raise error  # not about the client_uuid
    if existing.content_hash != item.digest or existing.checkpoint_id != checkpoint.pk:
        raise _conflict()
    return _first_result(existing)


def _first_result(entry: Entry) -> EntryResult:
    return EntryResult(
        entry=entry, created=False, who=_who(entry.person, getattr(entry, "visit", None))
    )


def register_entries(
    actor: Actor,
    checkpoint: Checkpoint,
    batch: list[EntryInput | FieldError],
    *,
    now: datetime.datetime | None = None,
) -> list[EntryResult | FieldError]:
    """Register a batch from a device that was offline: one result per
    observation, in order; bad ones are errors and the good ones are kept.
    Items that failed to parse come in as FieldError and go out unchanged."""
    if len(batch) > MAX_BATCH:
        raise FieldError("entries", _("at most %(n)d entries per batch") % {"n": MAX_BATCH})
    now = now or timezone.now()
    items: list[_Item] = []
    first_by_uuid: dict[uuid.UUID, _Item] = {}
    for index, data in enumerate(batch):
        if isinstance(data, FieldError):
            items.append(_Item(index=index, data=None, error=data))  # type: ignore[arg-type]
            continue
        item = _Item(index=index, data=data)
        items.append(item)
        try:
            _validate(item, checkpoint, now)
        except FieldError as error:
            item.error = error
            continue
        first = first_by_uuid.get(data.client_uuid)
        if first is None:
            first_by_uuid[data.client_uuid] = item
        elif first.digest == item.digest:
            item.duplicate_of = first
        else:
            item.error = _conflict()
    for attempt in range(3):
        pending = [i for i in items if i.error is None and i.duplicate_of is None]
        _answer_seen_before(pending, checkpoint)
        try:
            with transaction.atomic():
                _prepare(pending, checkpoint, now, actor)
                _insert_batch(pending)
            break
        except IntegrityError:
            # Another upload inserted some of these UUIDs meanwhile: those
            # are now "seen before" and answered from the database.
            for item in pending:
                item.entry, item.previous_item, item.previous_id = None, None, None
                item.attempt, item.result = 1, None
            if attempt == 2:
                raise
    results: list[EntryResult | FieldError] = []
    created = 0
    for item in items:
        source = item.duplicate_of or item
        if source.error is not None:
            results.append(source.error)
        elif source.result is not None:
            results.append(source.result)
        else:
            assert source.entry is not None
            created += source is item
            results.append(
                EntryResult(
                    entry=source.entry,
                    created=source is item,
                    who=_who(source.person, source.visit),
                )
            )
    audit.record(
        actor,
        "checkpoints.upload_entries",
        unit=checkpoint.unit,
        target=checkpoint,
        received=len(batch),
        created=created,
        rejected=sum(isinstance(r, FieldError) for r in results),
    )
    return results


def _conflict() -> FieldError:
    return FieldError(
        "client_uuid",
        _("this client_uuid was already used for a different entry"),
        status=CONFLICT_STATUS,
    )


def _answer_seen_before(items: list[_Item], checkpoint: Checkpoint) -> None:
    uuids = [item.data.client_uuid for item in items]
    if not uuids:
        return
    existing = {
        entry.client_uuid: entry
        for entry in Entry.objects.select_related("person", "visit").filter(client_uuid__in=uuids)
    }
    for item in items:
        entry = existing.get(item.data.client_uuid)
        if entry is None:
            continue
        if entry.content_hash != item.digest or entry.checkpoint_id != checkpoint.pk:
            item.error = _conflict()
        else:
            item.result = _first_result(entry)


def _insert_batch(items: list[_Item]) -> None:
    new = [item for item in items if item.entry is not None and item.result is None]
    if not new:
        return
    gate_sql.insert_entries([item.entry for item in new])
    relinked = []
    for item in new:
        if item.previous_item is not None:
            item.entry.previous_attempt_id = item.previous_item.entry.pk
            relinked.append(item.entry)
    if relinked:
        Entry.objects.bulk_update(relinked, ["previous_attempt"])
    visits = []
    for item in new:
        if item.visit is not None:
            item.visit.entry = item.entry
            visits.append(item.visit)
    if visits:
        Visit.objects.bulk_create(visits)
