from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.core.scoping import scope_for_user
from fangkong.people.queries import resident_counts
from fangkong.regions import queries
from fangkong.regions.models import Unit


def _with_counts(units: list[Unit]) -> list[Unit]:
    counts = resident_counts(units)
    for unit in units:
        unit.resident_count = counts.get(unit.pk, 0)
    return units


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user, "units.view")
    roots = queries.visible_roots(scope)
    for root in roots:
        root.child_count = root.children.count()
    return render(request, "regions/tree.html", {"units": _with_counts(roots)})


@login_required
def children(request: HttpRequest, unit_id: int) -> HttpResponse:
    """htmx partial: one level of the tree below a unit."""
    scope = scope_for_user(request.user, "units.view")
    unit = queries.get_unit_for_scope(scope, pk=unit_id)
    units = _with_counts(queries.children_with_counts(unit))
    return render(request, "regions/_children.html", {"units": units})
