from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from fangkong.accounts.auth import caller
from fangkong.core.schemas import StrictSchema
from fangkong.regions import queries

router = Router(tags=["units"])


class UnitOut(StrictSchema):
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    depth: int
    path_names: list[str]


def _out(unit, names: dict[int, str] | None = None) -> UnitOut:
    from fangkong.regions.rules import ancestor_ids

    names = names or {}
    return UnitOut(
        id=unit.pk,
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        parent_code=unit.parent.code if unit.parent_id else None,
        depth=unit.depth,
        path_names=[names.get(pk, "") for pk in ancestor_ids(unit.path)],
    )


def _names_for(units) -> dict[int, str]:
    from fangkong.regions.models import Unit
    from fangkong.regions.rules import ancestor_ids

    ids = {pk for unit in units for pk in ancestor_ids(unit.path)}
    return dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))


@router.get("/units", response=list[UnitOut], summary="Units under a unit (scoped)")
def list_units(
    request: HttpRequest, under: str | None = None, kind: str | None = None, limit: int = 500
) -> list[UnitOut]:
    scope = caller(request, "units.view").scope
    units = queries.units_for_scope(scope).select_related("parent")
    if under:
        units = units.subtree(queries.get_unit_for_scope(scope, code=under))
    if kind:
        units = units.filter(kind=kind)
    units = list(units[: max(1, min(limit, 5000))])
    names = _names_for(units)
    return [_out(unit, names) for unit in units]


@router.get("/units/{code}", response=UnitOut, summary="One unit by code (404 outside scope)")
def get_unit(request: HttpRequest, code: str) -> UnitOut:
    unit = queries.get_unit_for_scope(caller(request, "units.view").scope, code=code)
    return _out(unit, _names_for([unit]))
