"""Reads for bulletins, always scoped: previews, the archive, the units one
may pick."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from fangkong.bulletins import engine
from fangkong.bulletins.catalog import get_kind
from fangkong.bulletins.models import IssuedBulletin
from fangkong.core.scoping import Scope, get_for_scope_or_404
from fangkong.regions import rules as region_rules
from fangkong.regions.models import Unit

# Units a bulletin is issued for: a city, a county-level unit, a township.
ISSUING_KINDS = frozenset({"city"}) | region_rules.COUNTY_LEVEL | region_rules.TOWNSHIP_LEVEL


def preview(
    kind: str,
    *,
    as_of: datetime.datetime,
    under: Unit,
    level: str = "children",
    extra_columns: tuple[str, ...] | list[str] = (),
) -> engine.BulletinTable:
    """The bulletin as it would be issued now (the caller scopes `under`)."""
    return engine.compute(
        get_kind(kind), as_of=as_of, under=under, level=level, extra_columns=extra_columns
    )


def issuing_units(scope: Scope) -> list[Unit]:
    """Units in the scope a bulletin can be made for, in tree order."""
    return list(Unit.objects.for_scope(scope).filter(kind__in=ISSUING_KINDS).order_by("path"))


def issued_for_scope(scope: Scope) -> QuerySet[IssuedBulletin]:
    """The archive: issued bulletins for units in the scope, newest first."""
    return IssuedBulletin.objects.for_scope(scope).select_related("unit", "issued_by")


def get_issued_for_scope(scope: Scope, bulletin_id: Any) -> IssuedBulletin:
    return get_for_scope_or_404(IssuedBulletin.objects.all(), scope, pk=bulletin_id)


def issued_table(bulletin: IssuedBulletin) -> engine.BulletinTable:
    """An issued bulletin's snapshot as a table, with its number."""
    table = engine.BulletinTable.from_dict(bulletin.data)
    table.issued = {**(table.issued or {}), "id": bulletin.pk}
    return table
