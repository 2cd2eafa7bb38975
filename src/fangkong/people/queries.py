"""Reads of the registry, always scoped."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Q

from fangkong.core.identity import InvalidIdentity, parse_id_number
from fangkong.core.scoping import Scope, get_for_scope_or_404
from fangkong.people.models import Person, PersonQuerySet
from fangkong.regions.models import Unit

_LAST4 = re.compile(r"^\d{3}[\dXx]$")


def people_for_scope(scope: Scope) -> PersonQuerySet:
    return Person.objects.for_scope(scope).select_related("home_unit", "household")


def search_people(scope: Scope, query: str, *, unit: Unit | None = None) -> PersonQuerySet:
    """By full ID number (exact, through the keyed hash), by the last four
    digits (within `unit` when given), or by name (prefix)."""
    people = people_for_scope(scope)
    if unit is not None:
        people = people.filter(home_unit__path__startswith=unit.path)
    query = (query or "").strip()
    if not query:
        return people.none()
    if len(query) in (15, 18):
        try:
            return people.with_id_number(parse_id_number(query).number)
        except InvalidIdentity:
            return people.none()
    if _LAST4.match(query):
        return people.filter(id_number_last4=query.upper())
    return people.filter(name__startswith=query)


def get_person_for_scope(scope: Scope, person_id: Any) -> Person:
    return get_for_scope_or_404(people_for_scope(scope), scope, pk=person_id)


def status_counts(scope: Scope) -> dict[str, int]:
    rows = Person.objects.for_scope(scope).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def resident_counts(units: list[Unit]) -> dict[int, int]:
    """Registered residents under each unit's subtree, in one aggregate query."""
    if not units:
        return {}
    aggregates = {
        f"u{unit.pk}": Count("id", filter=Q(home_unit__path__startswith=unit.path))
        for unit in units
    }
    counted = Person.objects.filter(is_resident=True).aggregate(**aggregates)
    return {int(key[1:]): value for key, value in counted.items()}
