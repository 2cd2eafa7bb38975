"""Scoping: every user and device acts inside unit subtrees.

A Scope is the set of unit subtrees (materialised paths) someone may see for
a capability. Querysets apply it once with `for_scope` / `for_user`; views get
single objects through `get_for_scope_or_404`, so "missing" and "not yours"
both answer 404. Users build their scope from their roles
(`accounts.User.scope_for`); devices from the unit their token is bound to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q
from django.http import Http404

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """Unit subtrees, by materialised path; `everything` for superusers and the CLI."""

    paths: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    @classmethod
    def all(cls) -> Scope:
        return cls(everything=True)

    @classmethod
    def of_units(cls, units: Any) -> Scope:
        paths = sorted({unit.path for unit in units})
        # A path inside another path adds nothing; dropping it keeps the SQL short.
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(outer) for outer in kept):
                kept.append(path)
        return cls(paths=tuple(kept))

    def q(self, unit_lookup: str) -> Q:
        """A filter on the unit reached by `unit_lookup` ("" for a Unit queryset)."""
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        field = f"{unit_lookup}__path__startswith" if unit_lookup else "path__startswith"
        condition = Q()
        for path in self.paths:
            condition |= Q(**{field: path})
        return condition

    def contains_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(outer) for outer in self.paths)

    def contains(self, unit: Any) -> bool:
        return unit is not None and self.contains_path(unit.path)


def scope_for_user(user: Any, capability: str) -> Scope:
    if user is None or not user.is_authenticated:
        return Scope.nothing()
    return user.scope_for(capability)


class ScopedQuerySet(models.QuerySet, Generic[M]):
    """QuerySet whose model says which unit governs a row (`scope_unit_lookup`)."""

    def for_scope(self, scope: Scope) -> ScopedQuerySet[M]:
        lookup = getattr(self.model, "scope_unit_lookup", "unit")
        return self.filter(scope.q(lookup))

    def for_user(self, user: Any, capability: str) -> ScopedQuerySet[M]:
        return self.for_scope(scope_for_user(user, capability))


def get_for_scope_or_404(queryset: models.QuerySet[M], scope: Scope, **lookup: Any) -> M:
    """One object inside the scope; 404 alike when missing and when out of scope."""
    try:
        return queryset.for_scope(scope).get(**lookup)  # type: ignore[attr-defined]
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
