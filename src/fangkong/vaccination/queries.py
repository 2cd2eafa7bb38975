"""Reads of vaccination records, always scoped, and the figures other apps
may count (see metrics.py)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import OuterRef, QuerySet, Subquery

from fangkong.core.scoping import Scope
from fangkong.regions.models import Unit
from fangkong.vaccination.models import Dose, TargetPopulation


def doses_for_scope(scope: Scope) -> QuerySet[Dose]:
    """Doses given by units in the scope, newest first."""
    return Dose.objects.for_scope(scope).select_related("person", "unit")


def recent_doses(scope: Scope, *, limit: int = 20) -> list[Dose]:
    return list(doses_for_scope(scope).order_by("-created_at", "-id")[:limit])


def targets_for_scope(scope: Scope) -> QuerySet[TargetPopulation]:
    return TargetPopulation.objects.for_scope(scope).select_related("unit")


def target_populations(
    unit_ids: Sequence[int], day: datetime.date, *, group: str
) -> dict[int, int]:
    """Each unit's own target for `group` valid on `day` (the row with the
    latest `valid_from` not after it), in one query; units without one are
    left out. Targets are not summed over subtrees: a unit's target is what
    its own row says."""
    latest = (
        TargetPopulation.objects.filter(unit=OuterRef("pk"), group=group, valid_from__lte=day)
        .order_by("-valid_from")
        .values("population")[:1]
    )
    rows = (
        Unit.objects.filter(pk__in=list(unit_ids))
        .annotate(target=Subquery(latest))
        .filter(target__isnull=False)
        .values_list("pk", "target")
    )
    return dict(rows)


def administering_units(scope: Scope) -> list[Unit]:
    """Units in the scope that may give doses, in tree order (the scope's top
    units first); compounds and schools do not vaccinate."""
    return list(
        Unit.objects.for_scope(scope).exclude(kind__in=["compound", "school"]).order_by("path")
    )
