"""Entry registration (登记一名进一名): from what a gate observed to a stored
entry with its decision. One pipeline serves the single entry (the duty page,
a scanner online) and the batch (a device that was offline):

1. validate each observation (a measuring error or malformed input is a
   FieldError naming the field, and creates nothing) and
2. identify who it is: a pass code, an ID number, a person from the gate's
   archive, or a visitor; a handful of queries for the whole batch
   (both in `observations`);
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
from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.checkpoints import gate_sql, negative_tests, rules
from fangkong.checkpoints.models import Checkpoint, Entry, IdentifiedBy, Visit
from fangkong.checkpoints.observations import (
    EntryInput,
    EntryResult,
    Item,
    VisitorInput,
    apply_current_codes,
    identify,
    read_codes,
    statuses_at_observation,
    validate,
)
from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.instances import trusted_instance
from fangkong.people.models import Person

MAX_BATCH = 500
CONFLICT_STATUS = 409
__all__ = [
    "MAX_BATCH",
    "EntryInput",
    "EntryResult",
    "VisitorInput",
    "register_entries",
    "register_entry",
]


# --- previous attempts ------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    """An earlier check of a subject at this gate: from the database or
    from earlier in the same batch."""

    observed_at: datetime.datetime
    direction: str
    denied: bool
    attempt: int
    entry_id: int | None = None
    item: Item | None = None


def _observed_at(seen: _Seen) -> datetime.datetime:
    return seen.observed_at


def _history(linked: list[Item], checkpoint: Checkpoint) -> dict[str, list[_Seen]]:
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


def _link_attempts(items: list[Item], checkpoint: Checkpoint) -> None:
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
        bisect.insort(seen_list, mine, key=_observed_at)


# --- decision -----------------------------------------------------------------


def _read_negative_tests(items: list[Item], policy: rules.Policy) -> None:
    """Each person's last negative test, in one call for all the items,
    when the policy asks for one."""
    if policy.negative_test_hours is None:
        return
    people = {item.person.pk for item in items if item.person is not None}
    latest = negative_tests.latest_negative_tests_at(people) if people else {}
    for item in items:
        if item.person is not None:
            item.tested_at = latest.get(item.person.pk)


def _decide(item: Item, policy: rules.Policy) -> None:
    data = item.data
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


def _build_entry(item: Item, checkpoint: Checkpoint, now: datetime.datetime, actor: Actor) -> Entry:
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
    # A batch builds hundreds of these from values checked above.
    return trusted_instance(Entry, _entry_fields(), [values[name] for name in _entry_fields()])


def _who(person: Person | None, visit: Visit | None) -> str:
    if person is not None:
        return f"{person.name} {person.masked_id_number}"
    if visit is not None:
        return " ".join(part for part in (visit.name, visit.masked_id_number) if part)
    return ""


# --- storing -------------------------------------------------------------------


def _prepare(
    items: list[Item],
    checkpoint: Checkpoint,
    policy: rules.Policy,
    now: datetime.datetime,
    actor: Actor,
    *,
    link: bool = True,
) -> None:
    live = [item for item in items if item.error is None and item.result is None]
    identify(live, checkpoint)
    live = [item for item in live if item.error is None]
    _read_negative_tests(live, policy)
    for item in live:
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
    item = Item(index=0, data=data)
    validate(item, checkpoint, now)
    since = item.data.observed_at - rules.RETRY_WINDOW
    policy = checkpoint.policy()
    try:
        who = _insert_with_holder(item, checkpoint, policy, now, actor, since=since)
        if who is not None:
            assert item.entry is not None
            return EntryResult(entry=item.entry, created=True, who=who)
        if not item.code:
            _prepare([item], checkpoint, policy, now, actor, link=False)
        if item.error is not None:
            raise item.error
        entry = item.entry
        assert entry is not None
        block = item.visit is not None or connection.in_atomic_block
        with transaction.atomic() if block else nullcontext():
            # The previous attempt is found by the INSERT itself.
            gate_sql.insert_entry_linked(entry, since=since)
            if item.visit is not None:
                item.visit.entry = entry
                item.visit.save(force_insert=True)
    except IntegrityError as error:
        return _replay(checkpoint, item, error)
    return EntryResult(entry=entry, created=True, who=_who(item.person, item.visit))


def _insert_with_holder(
    item: Item,
    checkpoint: Checkpoint,
    policy: rules.Policy,
    now: datetime.datetime,
    actor: Actor,
    *,
    since: datetime.datetime,
) -> str | None:
    """The gate's most frequent case, a scanned pass code, in one round trip
    on PostgreSQL: decide as if the code were current and the holder's
    status allowed passage, and let one statement insert only if that is
    so; then return who passed. Otherwise (the code was reissued, the status
    denies or changed after the observation, the signature is bad, the
    policy wants test results, SQLite) decide from the holder as read now
    and leave `item.entry` for the caller to insert; None."""
    if not item.code:
        return None
    read_codes([item])
    # Test results are read before deciding.
    one_statement = policy.negative_test_hours is None and gate_sql.reads_holder_while_inserting()
    if item.claims is not None and one_statement:
        item.subject_key = f"p:{item.claims.person_id}"
        _decide(item, policy)
        entry = item.entry = _build_entry(item, checkpoint, now, actor)
        entry.person_id = item.claims.person_id
        # Atomic by itself; inside a caller's transaction, a savepoint keeps
        # a repeated client_uuid from aborting it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            who = gate_sql.insert_code_entry(
                entry,
                code_version=item.claims.version,
                denied_statuses=sorted(policy.denied_statuses),
                since=since,
            )
        if who is not None:
            return who
    _identify_code_and_prepare(item, checkpoint, policy, now, actor)
    return None


def _identify_code_and_prepare(
    item: Item, checkpoint: Checkpoint, policy: rules.Policy, now: datetime.datetime, actor: Actor
) -> None:
    """Decide a pass-code entry from its holder, read now, and build the
    entry to insert."""
    item.person, item.subject_key, item.decision = None, "", None
    claimed = [item.claims.person_id] if item.claims is not None else []
    apply_current_codes([item], gate_sql.current_pass_codes(claimed))
    statuses_at_observation([item])
    _read_negative_tests([item], policy)
    _decide(item, policy)
    item.entry = _build_entry(item, checkpoint, now, actor)


def _replay(checkpoint: Checkpoint, item: Item, error: IntegrityError) -> EntryResult:
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
    policy = checkpoint.policy()
    items: list[Item] = []
    first_by_uuid: dict[uuid.UUID, Item] = {}
    for index, data in enumerate(batch):
        if isinstance(data, FieldError):
            items.append(Item(index=index, data=None, error=data))  # type: ignore[arg-type]
            continue
        item = Item(index=index, data=data)
        items.append(item)
        try:
            validate(item, checkpoint, now)
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
                _prepare(pending, checkpoint, policy, now, actor)
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


def _answer_seen_before(items: list[Item], checkpoint: Checkpoint) -> None:
    uuids = [item.data.client_uuid for item in items]
    if not uuids:
        return
    # Usually none: a cheap look first, the entries only for those found.
    stored = gate_sql.stored_client_uuids(uuids)
    existing = (
        {
            entry.client_uuid: entry
            for entry in Entry.objects.select_related("person", "visit").filter(
                client_uuid__in=stored
            )
        }
        if stored
        else {}
    )
    for item in items:
        entry = existing.get(item.data.client_uuid)
        if entry is None:
            continue
        if entry.content_hash != item.digest or entry.checkpoint_id != checkpoint.pk:
            item.error = _conflict()
        else:
            item.result = _first_result(entry)


def _insert_batch(items: list[Item]) -> None:
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
