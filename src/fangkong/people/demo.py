"""Demo residents: households in the demo city's compounds and villages,
valid ID numbers, some without smartphones, a few in each status. They go in
through the real registry import, so the demo exercises it."""

from __future__ import annotations

import csv
import datetime
import tempfile
from pathlib import Path

from stdnum.cn import ric

from fangkong.core.demo_support import DemoContext
from fangkong.core.scoping import Scope
from fangkong.people.importers import run_people_import
from fangkong.people.models import Person, Status
from fangkong.people.services import set_person_status
from fangkong.regions.models import Unit

# Heavier where the source page shows crowds: 联盟新城 tested 20,000 residents.
WEIGHTS = {"联盟新城": 6, "盛和家园": 3, "书香门第": 2, "张埠口村": 2}
STATUS_SAMPLES = {
    Status.HOME_QUARANTINE: 6,
    Status.CENTRAL_QUARANTINE: 3,
    Status.HEALTH_MONITORING: 8,
    Status.CLOSE_CONTACT: 4,
    Status.POSITIVE: 2,
    Status.RECOVERED: 2,
}


def home_units() -> list[Unit]:
    """Where people live: compounds, and villages/communities without compounds."""
    units = list(Unit.objects.filter(kind__in=["compound", "village", "community"]))
    parents_of_compounds = {u.parent_id for u in units if u.kind == "compound"}
    return [u for u in units if u.kind == "compound" or u.pk not in parents_of_compounds]


def region_prefix(unit: Unit) -> str:
    for ancestor in reversed(list(Unit.objects.ancestors(unit))):
        if ancestor.has_official_code and len(ancestor.code) == 6 and ancestor.kind != "city":
            return ancestor.code
    return "411602"


def make_id_number(context: DemoContext, prefix: str, used: set[str]) -> str:
    while True:
        age_days = context.rng.randint(0, 90 * 365)
        birth = datetime.date(2021, 8, 1) - datetime.timedelta(days=age_days)
        body = f"{prefix}{birth:%Y%m%d}{context.rng.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            return number


def household_label(context: DemoContext, unit: Unit, number: int) -> str:
    if unit.kind == "compound":
        return f"{number // 40 + 1}号楼{number // 10 % 4 + 1}单元{number % 10 + 1:02d}室"
    return f"{number // 30 + 1}组{number % 30 + 1}号"


def write_residents(context: DemoContext, path: Path) -> None:
    units = home_units()
    weights = [WEIGHTS.get(unit.name, 1) for unit in units]
    prefixes = {unit.pk: region_prefix(unit) for unit in units}
    households = {unit.pk: 0 for unit in units}
    used: set[str] = set()
    written = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["姓名", "身份证号", "手机号", "所属单位编码", "户号", "有无智能手机"])
        while written < context.people:
            unit = context.rng.choices(units, weights)[0]
            households[unit.pk] += 1
            label = household_label(context, unit, households[unit.pk])
            surname = context.faker.last_name()
            for _member in range(min(context.rng.randint(1, 5), context.people - written)):
                number = make_id_number(context, prefixes[unit.pk], used)
                age = 2021 - int(number[6:10])
                smartphone = context.rng.random() > (
                    0.55 if age >= 70 else 0.04 if age >= 12 else 0.7
                )
                phone = (
                    context.faker.phone_number() if smartphone or context.rng.random() < 0.5 else ""
                )
                writer.writerow(
                    [
                        surname + context.faker.first_name(),
                        number,
                        phone,
                        unit.code,
                        label,
                        "有" if smartphone else "无",
                    ]
                )
                written += 1


def build(context: DemoContext) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "residents.csv"
        write_residents(context, path)
        result = run_people_import(path, partial=False, scope=Scope.all())
    if not result.applied:
        raise RuntimeError(f"demo residents were rejected: {result.errors[:3]}")
    context.log(f"  {result.created} residents")
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    chosen = context.rng.sample(ids, min(len(ids), sum(STATUS_SAMPLES.values())))
    start = datetime.datetime(2021, 8, 1, 9, tzinfo=datetime.UTC)
    for status, count in STATUS_SAMPLES.items():
        for person_id in chosen[:count]:
            person = Person.objects.get(pk=person_id)
            at = max(person.status_since, start) + datetime.timedelta(hours=1)
            if status == Status.RECOVERED:
                set_person_status(context.actor, person, Status.POSITIVE, at=at, note="demo")
                at += datetime.timedelta(days=14)
                person.refresh_from_db()
            set_person_status(context.actor, person, status, at=at, note="demo")
        chosen = chosen[count:]
