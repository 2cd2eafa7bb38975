"""Reads of the administrative tree, always scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from fangkong.core.scoping import Scope, get_for_scope_or_404
from fangkong.regions.models import Unit, UnitQuerySet


def units_for_scope(scope: Scope) -> UnitQuerySet:
    return Unit.objects.for_scope(scope)


def get_unit_for_scope(scope: Scope, **lookup: Any) -> Unit:
    return get_for_scope_or_404(Unit.objects.all(), scope, **lookup)


def visible_roots(scope: Scope) -> list[Unit]:
    """The top units of a scope: the tree a user sees starts here."""
    if scope.everything:
        return list(Unit.objects.filter(parent__isnull=True))
    return list(Unit.objects.filter(path__in=scope.paths).order_by("path"))


def children_with_counts(unit: Unit) -> list[Unit]:
    return list(
        unit.children.annotate(
            child_count=Count("children", distinct=True),
        ).order_by("kind", "name")
    )
