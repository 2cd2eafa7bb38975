"""Unit paths with fixed-width ids ("1.5.12." becomes
"0000000001.0000000005.0000000012."), so that ordering by path is tree order:
as text, "1.5.100." sorted before its older sibling "1.5.98.".

Written for both databases in Python, a few thousand rows at a time; a
province's tree is tens of thousands of units."""

from django.db import migrations

BATCH = 2000


def _rewrite(apps, rewrite_path) -> None:
    Unit = apps.get_model("regions", "Unit")
    units = Unit.objects.only("pk", "path").order_by("pk")
    changed = []
    for unit in units.iterator(chunk_size=BATCH):
        new_path = rewrite_path(unit.path)
        if new_path != unit.path:
            unit.path = new_path
            changed.append(unit)
        if len(changed) == BATCH:
            Unit.objects.bulk_update(changed, ["path"])
            changed = []
    if changed:
        Unit.objects.bulk_update(changed, ["path"])


def fixed_width(path: str) -> str:
    return "".join(f"{int(part):010d}." for part in path.split(".") if part)


def plain(path: str) -> str:
    return "".join(f"{int(part)}." for part in path.split(".") if part)


def to_fixed_width(apps, schema_editor) -> None:
    _rewrite(apps, fixed_width)


def to_plain(apps, schema_editor) -> None:
    _rewrite(apps, plain)


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(to_fixed_width, to_plain, elidable=False)]
