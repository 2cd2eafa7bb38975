"""Who is being swabbed: a pass code, an ID number, or a person picked from
the archive lookup. Pass codes belong to another app, reached through
discovery, so this app runs (and answers clearly) without it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fangkong.core.audit import Actor
from fangkong.core.discovery import app_modules
from fangkong.core.errors import FieldError
from fangkong.core.identity import InvalidIdentity, parse_id_number
from fangkong.core.scoping import Scope
from fangkong.people.models import Person
from fangkong.people.services import ensure_person
from fangkong.regions.models import Unit


def person_id_from_pass_code(code: str) -> int:
    """The person a scanned pass code names, through the app that issues
    pass codes (`<app>.providers.person_id_from_pass_code`). That function
    raises FieldError("code", ...) for an invalid or revoked code."""
    for _label, module in app_modules("providers"):
        resolve = getattr(module, "person_id_from_pass_code", None)
        if resolve is not None:
            return resolve(code)
    raise FieldError("code", _("pass codes are not available"))


def find_person_to_sample(
    actor: Actor,
    people_scope: Scope,
    *,
    site_unit: Unit,
    code: str | None = None,
    id_number: str | None = None,
    person_id: int | None = None,
    name: str = "",
) -> Person:
    """Exactly one of `code`, `id_number`, `person_id`. A pass code or a full
    ID number finds anyone (visitors are swabbed too); an ID number not in
    the registry, given with a name, registers a non-resident at the site's
    unit; `person_id` (from the archive lookup) must be in `people_scope`."""
    given = [key for key, value in (("code", code), ("id_number", id_number)) if value]
    if person_id is not None:
        given.append("person_id")
    if len(given) != 1:
        raise FieldError(
            given[1] if len(given) > 1 else "code",
            _("give exactly one of code, id_number or person_id"),
        )
    if code:
        found = Person.objects.filter(pk=person_id_from_pass_code(code.strip())).first()
        if found is None:
            raise FieldError("code", _("the pass code names nobody in the registry"))
        return found
    if id_number:
        try:
            number = parse_id_number(id_number).number
        except InvalidIdentity as error:
            raise FieldError("id_number", str(error)) from None
        found = Person.objects.with_id_number(number).first()
        if found is not None:
            return found
        if not name.strip():
            raise FieldError(
                "id_number",
                _("this ID number is not in the registry; give the name to register a visitor"),
            )
        return ensure_person(actor, id_number=number, name=name.strip(), unit=site_unit)
    found = Person.objects.for_scope(people_scope).filter(pk=person_id).first()
    if found is None:
        raise FieldError("person_id", _("unknown person, or outside your area"))
    return found
