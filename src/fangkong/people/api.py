from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router

from fangkong.accounts.auth import caller
from fangkong.core.errors import FieldError
from fangkong.core.schemas import StrictSchema
from fangkong.people import queries, services
from fangkong.people.models import Person, Status
from fangkong.regions.queries import get_unit_for_scope

router = Router(tags=["people"])


class PersonOut(StrictSchema):
    id: int
    name: str
    id_number_masked: str
    phone_masked: str
    sex: str
    birth_date: datetime.date
    home_unit_code: str
    household: str | None
    has_smartphone: bool
    is_resident: bool
    status: str
    status_since: datetime.datetime


class PersonIn(StrictSchema):
    name: str
    id_number: str
    home_unit_code: str
    phone: str = ""
    household: str = ""
    has_smartphone: bool = True


class StatusIn(StrictSchema):
    status: Status
    note: str = ""
    at: datetime.datetime | None = None


def _out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk,
        name=person.name,
        id_number_masked=person.masked_id_number,
        phone_masked=person.masked_phone,
        sex=person.sex,
        birth_date=person.birth_date,
        home_unit_code=person.home_unit.code,
        household=person.household.label if person.household_id else None,
        has_smartphone=person.has_smartphone,
        is_resident=person.is_resident,
        status=person.status,
        status_since=person.status_since,
    )


@router.get("/people", response=list[PersonOut], summary="Search by name, full ID number or last 4")
def search_people(request: HttpRequest, q: str, unit: str | None = None) -> list[PersonOut]:
    scope = caller(request, "people.view").scope
    within = get_unit_for_scope(scope, code=unit) if unit else None
    return [_out(person) for person in queries.search_people(scope, q, unit=within)[:100]]


@router.get("/people/{person_id}", response=PersonOut, summary="One person (404 outside scope)")
def get_person(request: HttpRequest, person_id: int) -> PersonOut:
    return _out(queries.get_person_for_scope(caller(request, "people.view").scope, person_id))


@router.post(
    "/people", response={200: PersonOut}, summary="Register or update a person by ID number"
)
def register_person(request: HttpRequest, payload: PersonIn) -> PersonOut:
    who = caller(request, "people.edit")
    try:
        unit = get_unit_for_scope(who.scope, code=payload.home_unit_code)
    except Exception:
        raise FieldError("home_unit_code", "unknown unit code or outside your area") from None
    person = services.register_person(
        who.actor,
        name=payload.name,
        id_number=payload.id_number,
        home_unit=unit,
        phone=payload.phone,
        household=payload.household,
        has_smartphone=payload.has_smartphone,
    )
    return _out(Person.objects.select_related("home_unit", "household").get(pk=person.pk))


@router.post("/people/{person_id}/status", response=PersonOut, summary="Change a person's status")
def set_status(request: HttpRequest, person_id: int, payload: StatusIn) -> PersonOut:
    who = caller(request, "people.set_status")
    person = queries.get_person_for_scope(who.scope, person_id)
    services.set_person_status(who.actor, person, payload.status, at=payload.at, note=payload.note)
    return _out(queries.get_person_for_scope(who.scope, person_id))
