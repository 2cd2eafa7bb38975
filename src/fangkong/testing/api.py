"""The testing API for sampling devices (offline-capable, idempotent by
`client_uuid`) and integrations: /api/v1/testing/."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from pydantic import Field

from fangkong.accounts.auth import caller
from fangkong.core.schemas import StrictSchema
from fangkong.core.scoping import Scope
from fangkong.regions.queries import get_unit_for_scope
from fangkong.testing import queries, services
from fangkong.testing.identify import find_person_to_sample
from fangkong.testing.models import Sample, Site

router = Router(tags=["testing"])


class SiteOut(StrictSchema):
    id: int
    name: str
    unit_code: str
    round_id: int
    round_name: str
    round_starts_at: datetime.datetime
    round_ends_at: datetime.datetime
    tube_size: int


class SampleIn(StrictSchema):
    client_uuid: uuid.UUID
    site_id: int
    tube_barcode: str = Field(min_length=1, max_length=64)
    code: str | None = Field(None, description="a scanned pass code")
    id_number: str | None = Field(None, description="a resident ID number")
    person_id: int | None = Field(None, description="from the archive lookup")
    name: str = Field("", max_length=100, description="with an unknown id_number: a visitor")
    collected_at: datetime.datetime
    reason: str = Field("", max_length=200, description="needed for a second sample")
    tube_size: Literal[1, 5, 10, 20] | None = Field(
        None, description="for a new tube: the site's size unless given"
    )


class SampleOut(StrictSchema):
    id: int
    client_uuid: uuid.UUID
    created: bool
    round_id: int
    site_id: int
    tube_barcode: str
    tube_count: int
    tube_capacity: int
    tube_sealed: bool
    person_id: int
    person_name: str
    id_number_masked: str
    kind: str
    collected_at: datetime.datetime


class TubeIn(StrictSchema):
    site_id: int
    tube_barcode: str = Field(min_length=1, max_length=64)


class TubeOut(StrictSchema):
    id: int
    barcode: str
    capacity: int
    sample_count: int
    sealed: bool


class CoverageOut(StrictSchema):
    name: str
    code: str
    expected: int
    sampled: int
    not_sampled: int
    pending: int
    negative: int
    positive: int


def _site_out(site: Site) -> SiteOut:
    return SiteOut(
        id=site.pk,
        name=site.name,
        unit_code=site.unit.code,
        round_id=site.round_id,
        round_name=site.round.name,
        round_starts_at=site.round.starts_at,
        round_ends_at=site.round.ends_at,
        tube_size=site.tube_size,
    )


def _sample_out(recorded: services.RecordedSample) -> SampleOut:
    sample: Sample = recorded.sample
    return SampleOut(
        id=sample.pk,
        client_uuid=sample.client_uuid,
        created=recorded.created,
        round_id=sample.round_id,
        site_id=sample.site_id,
        tube_barcode=recorded.tube.barcode,
        tube_count=recorded.tube.sample_count,
        tube_capacity=recorded.tube.capacity,
        tube_sealed=recorded.tube.sealed_at is not None,
        person_id=sample.person_id,
        person_name=sample.person.name,
        id_number_masked=sample.person.masked_id_number,
        kind=sample.kind,
        collected_at=sample.collected_at,
    )


@router.get("/sites", response=list[SiteOut], summary="Sites the caller may sample at")
def list_sites(request: HttpRequest, open_only: bool = True) -> list[SiteOut]:
    scope = caller(request, "testing.sample").scope
    sites = queries.sites_for_scope(scope)
    if open_only:
        sites = sites.filter(round__ends_at__gte=timezone.now())
    return [_site_out(site) for site in sites[:500]]


@router.post(
    "/samples",
    response={200: SampleOut, 201: SampleOut},
    summary="Record a swab (idempotent by client_uuid)",
)
def record_sample(request: HttpRequest, payload: SampleIn) -> Status[SampleOut]:
    """A person swabbed into a tube at a site. The person is one of `code`
    (pass code), `id_number` or `person_id`. Retrying with the same
    `client_uuid` answers 200 with the first recording; 201 when new. A
    person already sampled in the round needs a `reason` (422 on `reason`
    otherwise); a full or sealed tube answers 422 on `tube_barcode`."""
    who = caller(request, "testing.sample")
    site = _site_in_scope(who.scope, payload.site_id)
    people_scope = who.scope if who.device else caller(request, "people.view").scope
    person = queries.person_of_sample(payload.client_uuid) or find_person_to_sample(
        who.actor,
        people_scope,
        site_unit=site.unit,
        code=payload.code,
        id_number=payload.id_number,
        person_id=payload.person_id,
        name=payload.name,
    )
    collected_at = payload.collected_at
    if timezone.is_naive(collected_at):
        collected_at = timezone.make_aware(collected_at)
    recorded = services.record_sample(
        who.actor,
        site=site,
        person=person,
        tube_barcode=payload.tube_barcode,
        collected_at=collected_at,
        reason=payload.reason,
        client_uuid=payload.client_uuid,
        tube_size=payload.tube_size,
    )
    return Status(201 if recorded.created else 200, _sample_out(recorded))


@router.post("/tubes/seal", response=TubeOut, summary="Seal a tube before it is full")
def seal_tube(request: HttpRequest, payload: TubeIn) -> TubeOut:
    who = caller(request, "testing.sample")
    site = _site_in_scope(who.scope, payload.site_id)
    tube = queries.site_tube(site, payload.tube_barcode)
    if tube is None:
        raise services.TestingError("tube_barcode", _("no tube with this barcode at this site"))
    tube = services.seal_tube(who.actor, tube)
    return TubeOut(
        id=tube.pk,
        barcode=tube.barcode,
        capacity=tube.capacity,
        sample_count=tube.sample_count,
        sealed=tube.sealed_at is not None,
    )


@router.get(
    "/rounds/{round_id}/coverage",
    response=list[CoverageOut],
    summary="Coverage per unit of a round (scoped)",
)
def coverage(request: HttpRequest, round_id: int, under: str | None = None) -> list[CoverageOut]:
    scope = caller(request, "testing.view").scope
    testing_round = queries.get_round_for_scope(scope, round_id)
    unit = get_unit_for_scope(scope, code=under) if under else None
    rows = queries.unit_coverage(testing_round, scope, unit)
    return [CoverageOut(**row.as_dict()) for row in rows]


def _site_in_scope(scope: Scope, site_id: int) -> Site:
    try:
        return queries.get_site_for_scope(scope, site_id)
    except Http404:
        raise services.TestingError("site_id", _("unknown site, or outside your area")) from None
