"""Writes to the administrative tree."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.core.importing import Column, ImportResult, RowError, read_rows
from fangkong.regions import rules
from fangkong.regions.models import Unit


class UnitError(ValueError):
    """A unit cannot be created or changed; the message says why."""


def _insert_unit(name: str, kind: str, parent: Unit | None, code: str | None) -> Unit:
    # Path and generated code need the id; a unique placeholder holds their place.
    placeholder = uuid.uuid4().hex
    unit = Unit(
        name=name,
        kind=kind,
        parent=parent,
        code=code or f"p{placeholder}"[:32],
        has_official_code=bool(code),
        depth=(parent.depth + 1) if parent else 0,
        # Temporary unique path until the id is known.
        path=f"pending:{placeholder}",
    )
    unit.save()
    unit.path = rules.path_for(parent.path if parent else "", unit.pk)
    if not code:
        unit.code = rules.generated_code(unit.pk)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path, code=unit.code)
    return unit


def _check_new_unit(name: str, kind: str, parent: Unit | None, code: str | None) -> None:
    if not name.strip():
        raise UnitError(_("name is empty"))
    if kind not in rules.UNIT_KINDS:
        raise UnitError(_("unknown kind %(kind)s") % {"kind": kind})
    if code and not rules.is_valid_code(code):
        raise UnitError(_("code %(code)s is not a valid unit code") % {"code": code})
    if code and Unit.objects.filter(code=code).exists():
        raise UnitError(_("code %(code)s is already used") % {"code": code})
    if Unit.objects.filter(parent=parent, name=name).exists():
        raise UnitError(_("a unit named %(name)s already exists there") % {"name": name})
    if parent is not None and len(parent.path) + rules.PATH_DIGITS + 1 > rules.MAX_PATH_LENGTH:
        raise UnitError(_("the tree is too deep under %(name)s") % {"name": parent.name})


@transaction.atomic
def create_unit(
    actor: Actor, *, name: str, kind: str, parent: Unit | None = None, code: str | None = None
) -> Unit:
    name = name.strip()
    _check_new_unit(name, kind, parent, code)
    unit = _insert_unit(name, kind, parent, code)
    audit.record(actor, "regions.create_unit", unit=unit, target=unit, code=unit.code)
    return unit


@transaction.atomic
def move_unit(actor: Actor, unit: Unit, new_parent: Unit) -> Unit:
    """Re-hang a unit and its subtree under another parent (one UPDATE)."""
    if new_parent.path.startswith(unit.path):
        raise UnitError(_("a unit cannot move under itself"))
    if Unit.objects.filter(parent=new_parent, name=unit.name).exists():
        raise UnitError(_("a unit named %(name)s already exists there") % {"name": unit.name})
    old_path, new_path = unit.path, rules.path_for(new_parent.path, unit.pk)
    deepest = Unit.objects.filter(path__startswith=old_path).aggregate(longest=Max(Length("path")))[
        "longest"
    ]
    if deepest - len(old_path) + len(new_path) > rules.MAX_PATH_LENGTH:
        raise UnitError(_("the tree is too deep under %(name)s") % {"name": new_parent.name})
    depth_change = new_parent.depth + 1 - unit.depth
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + depth_change,
    )
    unit.refresh_from_db()
    audit.record(actor, "regions.move_unit", unit=unit, target=unit, old_path=old_path)
    return unit


UNIT_COLUMNS = [
    Column("code", ("code", "编码", "代码", "单位编码", "区划代码"), required=False),
    Column("name", ("name", "名称", "单位名称")),
    Column("kind", ("kind", "类型", "单位类型")),
    Column("parent_code", ("parent_code", "上级编码", "上级代码", "上级单位编码"), required=False),
]


@transaction.atomic
def import_units(actor: Actor, path: Path | str, *, partial: bool = False) -> ImportResult:
    """Create or rename units from a `code,name,kind,parent_code` file.

    Rows may name parents defined earlier in the same file. An existing code
    updates that unit's name and kind. Without `partial`, any bad row rolls
    the whole file back.
    """
    result = ImportResult()
    savepoint = transaction.savepoint()
    by_code: dict[str, Unit] = {}

    def find(code: str) -> Unit | None:
        if code not in by_code:
            found = Unit.objects.filter(code=code).first()
            if found is None:
                return None
            by_code[code] = found
        return by_code[code]

    for row_number, row in read_rows(path, UNIT_COLUMNS):
        result.total_rows += 1
        code = row.get("code", "").strip()
        name = row["name"].strip()
        kind = rules.parse_kind(row["kind"])
        parent_code = row.get("parent_code", "").strip()
        errors: list[RowError] = []
        if not name:
            errors.append(RowError(row_number, "name", _("name is empty")))
        if kind is None:
            errors.append(
                RowError(row_number, "kind", _("unknown kind %(kind)s") % {"kind": row["kind"]})
            )
        if code and not rules.is_valid_code(code):
            errors.append(RowError(row_number, "code", _("not a valid unit code")))
        parent = None
        if parent_code:
            parent = find(parent_code)
            if parent is None:
                errors.append(
                    RowError(
                        row_number,
                        "parent_code",
                        _("unknown parent code %(code)s") % {"code": parent_code},
                    )
                )
        if errors:
            result.errors.extend(errors)
            continue
        existing = find(code) if code else None
        if existing is not None:
            if (existing.name, existing.kind) == (name, kind) and existing.parent == parent:
                result.unchanged += 1
                continue
            if existing.parent != parent:
                result.errors.append(
                    RowError(
                        row_number, "parent_code", _("an existing unit cannot change parent here")
                    )
                )
                continue
            Unit.objects.filter(pk=existing.pk).update(name=name, kind=kind)
            result.updated += 1
            continue
        if Unit.objects.filter(parent=parent, name=name).exists():
            result.errors.append(
                RowError(
                    row_number,
                    "name",
                    _("a unit named %(name)s already exists there") % {"name": name},
                )
            )
            continue
        unit = _insert_unit(name, kind, parent, code or None)
        if code:
            by_code[code] = unit
        result.created += 1

    if result.errors and not partial:
        transaction.savepoint_rollback(savepoint)
        result.created = result.updated = result.unchanged = 0
        return result
    transaction.savepoint_commit(savepoint)
    result.applied = True
    audit.record(actor, "regions.import_units", file=Path(path).name, **result.as_dict())
    return result


# `fangkong import units FILE`
COMMAND_IMPORTS = {
    "units": lambda actor, path, *, partial: import_units(actor, path, partial=partial)
}
