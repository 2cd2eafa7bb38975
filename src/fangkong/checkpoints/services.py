"""Writes of the checkpoints app: checkpoints and their policy, staff
binding, pass codes, the purge of old entries, and the audited exports.
Entry registration lives in `registration` (re-exported here)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.rules import roles_granting
from fangkong.checkpoints import exports, passcodes, rules
from fangkong.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointStaff,
    Entry,
    PassCode,
    StarAction,
    Visit,
)
from fangkong.checkpoints.registration import (  # noqa: F401 — the registration services
    EntryInput,
    EntryResult,
    VisitorInput,
    register_entries,
    register_entry,
)
from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.people.models import Person, Status
from fangkong.regions.models import Unit

KIND_FOR_UNIT = {
    "compound": CheckpointKind.COMPOUND_GATE,
    "village": CheckpointKind.VILLAGE_ENTRANCE,
    "school": CheckpointKind.SCHOOL_GATE,
}
ADMISSIBLE_HEALTH_CODES = ("green", "yellow")
POLICY_FIELDS = (
    "fever_threshold",
    "mask_required",
    "admitted_health_codes",
    "star_action",
    "negative_test_required",
    "negative_test_hours",
    "denied_statuses",
)


class CheckpointError(FieldError):
    """A checkpoint change cannot be made; `field` names the input at fault."""


def _check_policy(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "fever_threshold" in clean:
        threshold = Decimal(str(clean["fever_threshold"])).quantize(Decimal("0.1"))
        if not rules.MIN_PLAUSIBLE_TEMPERATURE <= threshold <= rules.MAX_PLAUSIBLE_TEMPERATURE:
            raise CheckpointError("fever_threshold", _("the threshold must be 34.0–43.0 °C"))
        clean["fever_threshold"] = threshold
    if "admitted_health_codes" in clean:
        codes = sorted(set(clean["admitted_health_codes"]))
        if not codes or not set(codes) <= set(ADMISSIBLE_HEALTH_CODES):
            raise CheckpointError(
                "admitted_health_codes", _("admit green, or green and yellow health codes")
            )
        clean["admitted_health_codes"] = codes
    if "denied_statuses" in clean:
        statuses = sorted(set(clean["denied_statuses"]))
        if not set(statuses) <= set(Status.values):
            raise CheckpointError("denied_statuses", _("unknown status"))
        clean["denied_statuses"] = statuses
    if "star_action" in clean and clean["star_action"] not in StarAction.values:
        raise CheckpointError("star_action", _("unknown itinerary-star action"))
    hours = rules.MAX_NEGATIVE_TEST_HOURS
    if "negative_test_hours" in clean and not 1 <= int(clean["negative_test_hours"]) <= hours:
        raise CheckpointError(
            "negative_test_hours", _("between 1 and %(hours)d hours") % {"hours": hours}
        )
    unknown = set(clean) - set(POLICY_FIELDS)
    if unknown:
        raise CheckpointError(sorted(unknown)[0], _("not a policy setting"))
    return clean


def _kind(unit: Unit, kind: str | None) -> str:
    # No kind given: the kind the unit suggests (a compound has a gate).
    kind = kind or KIND_FOR_UNIT.get(unit.kind, CheckpointKind.OTHER)
    if kind not in CheckpointKind.values:
        raise CheckpointError("kind", _("unknown checkpoint kind"))
    return kind


@transaction.atomic
def create_checkpoint(
    actor: Actor,
    *,
    unit: Unit,
    name: str,
    kind: str | None = None,
    is_active: bool = True,
    **policy: Any,
) -> Checkpoint:
    """A new checkpoint at `unit`, open unless `is_active` is false, with the
    default policy unless given."""
    name = (name or "").strip()
    if not name:
        raise CheckpointError("name", _("name is empty"))
    if Checkpoint.objects.filter(unit=unit, name=name).exists():
        raise CheckpointError("name", _("this unit already has a checkpoint with this name"))
    checkpoint = Checkpoint(
        unit=unit,
        name=name,
        kind=_kind(unit, kind),
        is_active=bool(is_active),
        **_check_policy(policy),
    )
    checkpoint.save()
    audit.record(actor, "checkpoints.create", unit=unit, target=checkpoint, name=name)
    return checkpoint


@transaction.atomic
def update_checkpoint(
    actor: Actor,
    checkpoint: Checkpoint,
    *,
    name: str | None = None,
    kind: str | None = None,
    is_active: bool | None = None,
    **policy: Any,
) -> Checkpoint:
    """Change the name, kind, open state or policy of a checkpoint; what is
    None (or not given) is left as it is. An empty `kind` takes the kind
    from the unit, as on creation."""
    clean = _check_policy(policy)
    if name is not None:
        name = name.strip()
        if not name:
            raise CheckpointError("name", _("name is empty"))
        clash = Checkpoint.objects.filter(unit=checkpoint.unit, name=name).exclude(pk=checkpoint.pk)
        if clash.exists():
            raise CheckpointError("name", _("this unit already has a checkpoint with this name"))
        clean["name"] = name
    if kind is not None:
        clean["kind"] = _kind(checkpoint.unit, kind)
    if is_active is not None:
        clean["is_active"] = bool(is_active)
    for key, value in clean.items():
        setattr(checkpoint, key, value)
    changed = sorted(clean)
    # Only what was validated and is audited below is written: a caller's
    # other changes to the instance (the admin's form sets every field on
    # it) stay out of the database.
    checkpoint.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor,
        "checkpoints.update",
        unit=checkpoint.unit,
        target=checkpoint,
        changed=changed,
    )
    return checkpoint


def can_work_at(user: Any, checkpoint: Checkpoint) -> bool:
    granting = roles_granting("checkpoints.operate")
    return user.is_active and any(
        a.role in granting and checkpoint.unit.path.startswith(a.unit.path) for a in user.roles()
    )


@transaction.atomic
def bind_staff(actor: Actor, checkpoint: Checkpoint, user: Any) -> CheckpointStaff:
    """Bind a staff member to a checkpoint: they do duty there."""
    if not can_work_at(user, checkpoint):
        raise CheckpointError(
            "user", _("this user holds no gate role covering the checkpoint's unit")
        )
    binding, created = CheckpointStaff.objects.get_or_create(checkpoint=checkpoint, user=user)
    if created:
        audit.record(
            actor, "checkpoints.bind_staff", unit=checkpoint.unit, target=checkpoint, user=user.pk
        )
    return binding


@transaction.atomic
def unbind_staff(actor: Actor, checkpoint: Checkpoint, user: Any) -> None:
    deleted, _count = CheckpointStaff.objects.filter(checkpoint=checkpoint, user=user).delete()
    if deleted:
        audit.record(
            actor, "checkpoints.unbind_staff", unit=checkpoint.unit, target=checkpoint, user=user.pk
        )


# --- pass codes ------------------------------------------------------------------


def code_for(pass_code: PassCode) -> str:
    return passcodes.sign(pass_code.person_id, pass_code.version, pass_code.issued_on)


@transaction.atomic
def issue_pass_code(
    actor: Actor, person: Person, *, reissue: bool = False, today: datetime.date | None = None
) -> PassCode:
    """The person's pass code, issued now if they have none. `reissue`
    replaces it: the version goes up and every older code is revoked."""
    today = today or timezone.localdate()
    pass_code = PassCode.objects.select_for_update().filter(person=person).first()
    if pass_code is not None and not reissue:
        return pass_code
    if pass_code is None:
        pass_code = PassCode(person=person, version=1)
    else:
        if pass_code.version >= passcodes.MAX_VERSION:
            raise CheckpointError("version", _("this pass code cannot be reissued again"))
        pass_code.version += 1
    pass_code.issued_on = today
    pass_code.issued_at = timezone.now()
    pass_code.issued_by = actor.label
    pass_code.save()
    audit.record(
        actor,
        "checkpoints.reissue_pass_code" if pass_code.version > 1 else "checkpoints.issue_pass_code",
        unit=person.home_unit,
        target=person,
        version=pass_code.version,
    )
    return pass_code


@transaction.atomic
def issue_pass_codes(
    actor: Actor, people: Iterable[Person], *, today: datetime.date | None = None
) -> dict[int, PassCode]:
    """Pass codes for many people (a print run): those without one get
    version 1; existing ones are kept. One audit event for the run."""
    people = list(people)
    today = today or timezone.localdate()
    ids = [person.pk for person in people]
    existing = {pc.person_id: pc for pc in PassCode.objects.filter(person_id__in=ids)}
    missing = [
        PassCode(person_id=pk, version=1, issued_on=today, issued_by=actor.label)
        for pk in ids
        if pk not in existing
    ]
    if missing:
        PassCode.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {pc.person_id: pc for pc in PassCode.objects.filter(person_id__in=ids)}
    audit.record(
        actor,
        "checkpoints.issue_pass_codes",
        unit=people[0].home_unit if len({p.home_unit_id for p in people}) == 1 else None,
        people=len(ids),
        issued=len(missing),
    )
    return existing


# --- retention ----------------------------------------------------------------------


def purge_entries(
    actor: Actor,
    *,
    days: int | None = None,
    batch_size: int = 5000,
    pause: float = 0.0,
    now: datetime.datetime | None = None,
) -> int:
    """Delete entries observed more than `days` (ENTRY_RETENTION_DAYS) ago,
    oldest first, in batches of short transactions so the gates keep
    writing meanwhile. Returns how many were deleted."""
    days = settings.ENTRY_RETENTION_DAYS if days is None else days
    if days < 1:
        raise CheckpointError("days", _("keep entries at least one day"))
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    while True:
        count = _purge_batch(cutoff, batch_size)
        deleted += count
        if count < batch_size:
            break
        if pause:
            time.sleep(pause)
    audit.record(
        actor, "checkpoints.purge_entries", cutoff=cutoff.isoformat(), days=days, deleted=deleted
    )
    return deleted


@transaction.atomic
def _purge_batch(cutoff: datetime.datetime, batch_size: int) -> int:
    rows = list(
        Entry.objects.filter(observed_at__lt=cutoff)
        .order_by("observed_at")
        .values_list("id", "observed_at")[:batch_size]
    )
    if not rows:
        return 0
    ids = [pk for pk, _observed in rows]
    # A later attempt links to an earlier one observed at most RETRY_WINDOW
    # before it, so the links into this batch lie in a short time range.
    Entry.objects.filter(
        observed_at__gte=rows[0][1],
        observed_at__lte=rows[-1][1] + rules.RETRY_WINDOW,
        previous_attempt_id__in=ids,
    ).update(previous_attempt=None)
    Visit.objects.filter(entry_id__in=ids).delete()
    Entry.objects.filter(id__in=ids).delete()
    return len(ids)


# --- audited exports -----------------------------------------------------------------


def export_register(
    actor: Actor,
    checkpoint: Checkpoint,
    day: datetime.date,
    stream: IO[bytes],
    *,
    unmasked: bool = False,
) -> None:
    """The day's register of a checkpoint as XLSX. ID and phone numbers are
    masked unless `unmasked` (the caller checks the role); an unmasked
    export is audit-logged."""
    rows = exports.write_register(checkpoint, day, stream, unmasked=unmasked)
    if unmasked:
        audit.record(
            actor,
            "checkpoints.export_register_unmasked",
            unit=checkpoint.unit,
            target=checkpoint,
            day=day.isoformat(),
            rows=rows,
        )


def export_allowed_residents(actor: Actor, checkpoint: Checkpoint, stream: IO[str]) -> int:
    """The residents of the checkpoint's unit allowed in, as CSV, for the
    vendor of a face-recognition gate to enrol. Audit-logged (a list of
    people leaves the platform). The platform keeps no biometric data."""
    count = exports.write_allowed_residents(checkpoint, stream)
    audit.record(
        actor,
        "checkpoints.export_allowed_residents",
        unit=checkpoint.unit,
        target=checkpoint,
        rows=count,
    )
    return count
