"""Writes of mass testing: rounds, sites, tubes, samples, receipts, results.
Every function is one transaction and leaves one audit event."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.scoping import Scope
from fangkong.people.models import Person, StatusPeriod
from fangkong.people.services import set_person_status
from fangkong.regions.models import Unit
from fangkong.testing import queries, rules
from fangkong.testing.importers import ResultImport, run_results_import, single_result_rows
from fangkong.testing.models import Result, Round, Sample, SampleKind, Site, Tube
from fangkong.testing.rules import CellError

# China's guidance: a city's round finishes in two to three days.
DEFAULT_ROUND_LENGTH = datetime.timedelta(hours=72)


class TestingError(FieldError):
    """A testing write cannot be made; `field` names the input at fault."""

    __test__ = False  # not a pytest test class, despite the name


def _field(field: str, error: CellError) -> TestingError:
    return TestingError(field, str(error))


@transaction.atomic
def create_round(
    actor: Actor,
    *,
    name: str,
    units: list[Unit],
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    pool_size: int = 10,
) -> Round:
    """A new round over `units` (their subtrees' residents are expected)."""
    name = (name or "").strip()
    if not name:
        raise TestingError("name", _("name is empty"))
    if len(name) > 100:
        raise TestingError("name", _("name is longer than 100 characters"))
    if Round.objects.filter(name=name).exists():
        raise TestingError("name", _("a round named %(name)s exists already") % {"name": name})
    if not units:
        raise TestingError("units", _("a round needs at least one unit"))
    try:
        rules.check_pool_size(pool_size)
    except CellError as error:
        raise _field("pool_size", error) from None
    starts_at = starts_at or timezone.now()
    ends_at = ends_at or starts_at + DEFAULT_ROUND_LENGTH
    if ends_at <= starts_at:
        raise TestingError("ends_at", _("the round must end after it starts"))
    # A unit inside another one in scope adds nobody.
    kept = Scope.of_units(units).paths
    testing_round = Round.objects.create(
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        pool_size=pool_size,
        created_by=actor.label,
    )
    in_scope = [unit for unit in units if unit.path in kept]
    testing_round.units.set(in_scope)
    audit.record(
        actor,
        "testing.create_round",
        unit=in_scope[0] if len(in_scope) == 1 else None,
        target=testing_round,
        units=[unit.code for unit in in_scope],
        pool_size=pool_size,
    )
    return testing_round


@transaction.atomic
def create_site(
    actor: Actor, *, round: Round, unit: Unit, name: str, pool_size: int | None = None
) -> Site:
    """A testing point of `round` at `unit`, which must lie in the round's units."""
    name = (name or "").strip()
    if not name:
        raise TestingError("name", _("name is empty"))
    if not Scope.of_units(round.units.all()).contains(unit):
        raise TestingError("unit", _("the unit is outside the round's units"))
    if pool_size is not None:
        try:
            rules.check_pool_size(pool_size)
        except CellError as error:
            raise _field("pool_size", error) from None
    if Site.objects.filter(round=round, name=name).exists():
        raise TestingError("name", _("the round has a site named %(name)s") % {"name": name})
    site = Site.objects.create(round=round, unit=unit, name=name, pool_size=pool_size)
    audit.record(actor, "testing.create_site", unit=unit, target=site, round=round.pk)
    return site


def _locked_tube(actor: Actor, site: Site, barcode: str, capacity: int) -> tuple[Tube, bool]:
    """The round's tube with this barcode, created at `site` when new, and
    locked until the transaction ends: whoever holds it may fill it."""
    found = (
        Tube.objects.select_for_update(of=("self",))
        .select_related("lab_result")
        .filter(round_id=site.round_id, barcode=barcode)
    )
    tube = found.first()
    if tube is not None:
        return tube, False
    try:
        with transaction.atomic():
            tube = Tube.objects.create(
                round_id=site.round_id,
                site=site,
                unit_id=site.unit_id,
                barcode=barcode,
                capacity=capacity,
                opened_by=actor.label,
            )
        return tube, True
    except IntegrityError:
        # Opened by another sampler a moment ago; wait for their lock.
        return found.get(), False


def _check_fillable(tube: Tube, site: Site) -> None:
    if tube.site_id != site.pk:
        raise TestingError("tube_barcode", _("this tube was opened at another site of the round"))
    if tube.sealed_at is not None or getattr(tube, "lab_result", None) is not None:
        raise TestingError("tube_barcode", _("this tube is sealed"))


@transaction.atomic
def open_tube(actor: Actor, *, site: Site, barcode: str, capacity: int | None = None) -> Tube:
    """Scan a tube before swabbing into it: a new barcode opens a tube of the
    site's size (or `capacity`); an open tube of this site is continued."""
    try:
        barcode = rules.parse_barcode(barcode)
        capacity = rules.check_pool_size(capacity or site.tube_size)
    except CellError as error:
        raise _field("tube_barcode", error) from None
    tube, created = _locked_tube(actor, site, barcode, capacity)
    _check_fillable(tube, site)
    if tube.sample_count >= tube.capacity:
        raise TestingError("tube_barcode", _("this tube is full"))
    if created:
        audit.record(actor, "testing.open_tube", unit=site.unit, target=tube, barcode=barcode)
    return tube


@dataclass(frozen=True)
class RecordedSample:
    sample: Sample
    tube: Tube
    created: bool


def latest_sample(round_id: int, person_id: int) -> Sample | None:
    return (
        Sample.objects.select_related("tube", "tube__lab_result", "site")
        .filter(round_id=round_id, person_id=person_id, is_latest=True)
        .first()
    )


def _replayed(client_uuid: uuid.UUID, site: Site, person: Person, barcode: str):
    existing = Sample.objects.select_related("tube").filter(client_uuid=client_uuid).first()
    if existing is None:
        return None
    if (existing.site_id, existing.person_id, existing.tube.barcode) != (
        site.pk,
        person.pk,
        barcode,
    ):
        raise TestingError(
            "client_uuid", _("this client_uuid was used for another sample"), status=409
        )
    return RecordedSample(existing, existing.tube, created=False)


def _previous_outcome(previous: Sample | None) -> rules.Outcome:
    if previous is None:
        return rules.Outcome.NOT_SAMPLED
    result = getattr(previous.tube, "lab_result", None)
    return rules.outcome_of(previous.tube.capacity, result.result if result else None)


@transaction.atomic
def record_sample(
    actor: Actor,
    *,
    site: Site,
    person: Person,
    tube_barcode: str,
    collected_at: datetime.datetime | None = None,
    reason: str = "",
    client_uuid: uuid.UUID | None = None,
    tube_size: int | None = None,
) -> RecordedSample:
    """Swab `person` into the tube `tube_barcode` at `site`.

    Idempotent by `client_uuid`: a retry returns the first recording. A
    person already sampled in the round needs a `reason`, unless they wait
    for a retest (then into a single tube) or a resample. A new tube is
    opened at the site's size, or single for a retest; the tube seals
    itself when full.
    """
    try:
        barcode = rules.parse_barcode(tube_barcode)
    except CellError as error:
        raise _field("tube_barcode", error) from None
    client_uuid = client_uuid or uuid.uuid4()
    replay = _replayed(client_uuid, site, person, barcode)
    if replay is not None:
        return replay
    testing_round = site.round
    now = timezone.now()
    collected_at = collected_at or now
    reason = (reason or "").strip()[:200]
    previous = latest_sample(testing_round.pk, person.pk)
    if previous is not None and previous.tube.barcode == barcode:
        raise TestingError("tube_barcode", _("this person is in this tube already"))
    try:
        kind = rules.kind_of_next_sample(_previous_outcome(previous), reason)
    except CellError as error:
        when = timezone.localtime(previous.collected_at)
        raise TestingError(
            "reason",
            _("%(error)s (sampled %(when)s at %(site)s, tube %(tube)s)")
            % {
                "error": error,
                "when": f"{when:%m-%d %H:%M}",
                "site": previous.site.name,
                "tube": previous.tube.barcode,
            },
        ) from None
    try:
        rules.check_collected_at(
            collected_at,
            starts_at=testing_round.starts_at,
            ends_at=testing_round.ends_at,
            now=now,
            kind=kind,
        )
    except CellError as error:
        raise _field("collected_at", error) from None
    try:
        capacity = rules.check_pool_size(
            tube_size or (1 if kind == SampleKind.RETEST else site.tube_size)
        )
    except CellError as error:
        raise _field("tube_size", error) from None
    tube, _created = _locked_tube(actor, site, barcode, capacity)
    _check_fillable(tube, site)
    if tube.sample_count >= tube.capacity:
        raise TestingError("tube_barcode", _("this tube is full"))
    try:
        rules.check_tube_for(kind, tube.capacity)
    except CellError as error:
        raise _field("tube_barcode", error) from None
    try:
        with transaction.atomic():
            if previous is not None and not Sample.objects.filter(
                pk=previous.pk, is_latest=True
            ).update(is_latest=False):
                raise IntegrityError("sampled meanwhile")
            sample = Sample.objects.create(
                client_uuid=client_uuid,
                round_id=testing_round.pk,
                site=site,
                tube=tube,
                person=person,
                unit_id=site.unit_id,
                collected_at=collected_at,
                collected_by=actor.label,
                kind=kind,
                reason=reason if kind == SampleKind.REPEAT else "",
                recorded_at=now,
            )
    except IntegrityError:
        replay = _replayed(client_uuid, site, person, barcode)
        if replay is not None:
            return replay
        raise TestingError(
            "reason",
            _("this person was sampled in this round a moment ago; scan again to see where"),
            status=409,
        ) from None
    tube.sample_count += 1
    update = ["sample_count"]
    if tube.sample_count == tube.capacity:
        tube.sealed_at = now
        update.append("sealed_at")
    tube.save(update_fields=update)
    audit.record(
        actor,
        "testing.record_sample",
        unit=site.unit,
        target=sample,
        tube=barcode,
        person=person.pk,
        kind=kind,
    )
    return RecordedSample(sample, tube, created=True)


@transaction.atomic
def seal_tube(actor: Actor, tube: Tube) -> Tube:
    """Close a tube before it is full (the sampler's "seal" button)."""
    tube = Tube.objects.select_for_update().get(pk=tube.pk)
    if tube.sealed_at is not None:
        return tube
    if tube.sample_count == 0:
        raise TestingError("tube_barcode", _("an empty tube cannot be sealed"))
    tube.sealed_at = timezone.now()
    tube.save(update_fields=["sealed_at"])
    audit.record(actor, "testing.seal_tube", unit=tube.unit, target=tube, samples=tube.sample_count)
    return tube


@transaction.atomic
def receive_tube(actor: Actor, *, round: Round, barcode: str, scope: Scope) -> Tube:
    """The lab scans a tube in: it is received (and sealed, if it was not)."""
    try:
        barcode = rules.parse_barcode(barcode)
    except CellError as error:
        raise _field("tube_barcode", error) from None
    tube = (
        Tube.objects.select_for_update()
        .for_scope(scope)
        .filter(round=round, barcode=barcode)
        .first()
    )
    if tube is None:
        raise TestingError("tube_barcode", _("no tube with this barcode in the round"))
    if tube.received_at is not None:
        return tube
    now = timezone.now()
    tube.received_at = now
    tube.sealed_at = tube.sealed_at or now
    tube.save(update_fields=["received_at", "sealed_at"])
    audit.record(actor, "testing.receive_tube", unit=tube.unit, target=tube)
    return tube


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _status_before_pending_retest(person: Person) -> str | None:
    previous = (
        StatusPeriod.objects.filter(person=person, ended_at__isnull=False)
        .order_by("-ended_at", "-id")
        .first()
    )
    return previous.status if previous else None


@transaction.atomic
def apply_result_effects(
    actor: Actor, effects: dict[str, list[int]], outcome: ResultImport
) -> None:
    """Statuses that new results give people, one service call each: a
    positive pool's people wait for a single-tube retest at once, a positive
    single tube makes its person positive, a negative single tube ends a
    pending retest. Negative pools change no person row."""
    groups = (
        ("positive_pools", False, Result.POSITIVE),
        ("positive_singles", True, Result.POSITIVE),
        ("negative_singles", True, Result.NEGATIVE),
    )
    now = timezone.now()
    for key, single, result in groups:
        for chunk in _chunks(effects.get(key, [])):
            samples = (
                Sample.objects.filter(tube_id__in=chunk, is_latest=True)
                .select_related("person", "tube")
                .order_by("tube__barcode", "id")
            )
            if result == Result.NEGATIVE:
                samples = samples.filter(person__status="pending_retest")
            for sample in samples:
                person = sample.person
                status = rules.status_after_result(person.status, single=single, result=result)
                if status is None:
                    continue
                if result == Result.NEGATIVE:
                    status = rules.status_after_negative_retest(
                        _status_before_pending_retest(person)
                    )
                    outcome.cleared += 1
                elif single:
                    outcome.made_positive += 1
                else:
                    outcome.to_retest += 1
                set_person_status(
                    actor,
                    person,
                    status,
                    at=max(now, person.status_since),
                    note=_("tube %(barcode)s %(result)s")
                    % {"barcode": sample.tube.barcode, "result": Result(result).label},
                )


@transaction.atomic
def import_results(
    actor: Actor,
    round: Round,
    path: Path | str,
    *,
    partial: bool = False,
    scope: Scope | None = None,
) -> ResultImport:
    """Apply a lab's results file (CSV or XLSX) to the round's tubes; see
    testing.importers. A bad file changes nothing unless `partial`."""
    outcome = run_results_import(actor, round, path, partial=partial, scope=scope or Scope.all())
    audit.record(
        actor, "testing.import_results", target=round, file=Path(path).name, **outcome.as_dict()
    )
    return outcome


@transaction.atomic
def enter_result(
    actor: Actor,
    round: Round,
    *,
    tube_barcode: str,
    result: str,
    reported_at: str | datetime.datetime,
    lab: str,
    ct_value: str = "",
    scope: Scope | None = None,
) -> ResultImport:
    """One result typed in by the lab: the same checks and effects as a file."""
    rows = single_result_rows(
        tube_barcode=tube_barcode,
        result=result,
        ct_value=ct_value,
        reported_at=reported_at,
        lab=lab,
    )
    outcome = run_results_import(actor, round, rows, partial=False, scope=scope or Scope.all())
    if outcome.errors:
        first = outcome.errors[0]
        raise TestingError(first.column, first.reason)
    audit.record(
        actor, "testing.enter_result", target=round, tube=tube_barcode, **outcome.as_dict()
    )
    return outcome


@transaction.atomic
def reveal_phones(actor: Actor, round: Round, people: list[Person], *, purpose: str) -> dict:
    """Clear phone numbers of `people` for a follow-up list shown or exported
    to a role allowed to see them (the caller checks the role); one audit
    event names everyone revealed."""
    from fangkong.core import personal_data

    phones = {
        person.pk: personal_data.decrypt(person.phone_encrypted)
        for person in people
        if person.phone_encrypted
    }
    if people:
        audit.record(
            actor,
            "testing.reveal_phones",
            target=round,
            purpose=purpose,
            people=sorted(person.pk for person in people),
        )
    return phones


def follow_up_list(
    actor: Actor, round: Round, scope: Scope, kind: str, *, reveal: Scope
) -> tuple[list, dict[int, str]]:
    """The retest (or resample) list grouped by community, with clear phone
    numbers for the people living inside `reveal` (the reader's
    people.reveal scope; audited) and masked ones for the rest."""
    samples = list(queries.follow_up_samples(round, scope, kind))
    revealed = [
        sample.person for sample in samples if reveal.contains_path(sample.person.home_unit.path)
    ]
    phones = reveal_phones(actor, round, revealed, purpose=kind) if revealed else {}
    return queries.follow_up_groups(samples), phones
