"""Demo vaccination records: targets and doses from which the bulletin at
2021-08-12 18:00 equals the source page's table, row for row.

The page prints, for each county-level unit, the first-dose cumulative rate
(2 decimals), its rank and the day's first doses. For each unit the demo
takes the day's count D from the page and the smallest 18+ target T for
which some cumulative count C ≥ 2·D prints exactly the page's rate (C ÷ T ×
100, half-up): at least half of the first doses were given before the day,
so the days before and the second doses look like a campaign, while the
whole demo stays near 30,000 doses. Doses go to the unit's own adult
residents first, then to people from elsewhere (non-resident records,
created by the dose import) — which is how 开发区 reaches 127.57%.

Everything goes in through the real, set-based dose import.
"""

from __future__ import annotations

import csv
import datetime
import math
import tempfile
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from stdnum.cn import ric

from fangkong.core import personal_data
from fangkong.core.demo_support import DemoContext
from fangkong.core.scoping import Scope
from fangkong.people.models import Person
from fangkong.regions.models import Unit
from fangkong.vaccination.importers import run_dose_import
from fangkong.vaccination.models import TargetPopulation

# 周口市新冠病毒疫苗接种进度通报, 截止日期 2021年8月12日18时 (the source page).
SOURCE_TABLE = [
    ("开发区", "127.57", 1, 505),
    ("示范区", "104.24", 2, 252),
    ("川汇区", "94.54", 3, 1022),
    ("郸城县", "85.27", 4, 1107),
    ("淮阳区", "83.74", 5, 1640),
    ("鹿邑县", "81.83", 6, 1666),
    ("港区", "80.43", 7, 212),
    ("沈丘县", "80.21", 8, 450),
    ("扶沟县", "79.70", 9, 1226),
    ("太康县", "78.83", 10, 691),
    ("项城市", "78.58", 11, 699),
    ("商水县", "76.92", 12, 1270),
    ("西华县", "73.78", 13, 485),
]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CUTOFF = datetime.datetime(2021, 8, 12, 18, 0, tzinfo=SHANGHAI)
CAMPAIGN_START = datetime.date(2021, 3, 15)
TARGETS_VALID_FROM = datetime.date(2021, 6, 1)
HISTORY = 2  # cumulative first doses ≥ HISTORY × the day's
SECOND_DOSE_SHARE = 0.7
VACCINES = [
    ("新冠病毒灭活疫苗(Vero细胞)/北京生物", 5),
    ("新冠病毒灭活疫苗(Vero细胞)/科兴", 4),
    ("重组新冠病毒蛋白疫苗(CHO细胞)/智飞", 1),
]
# Where people vaccinated here but registered elsewhere come from.
OUTSIDE_PREFIXES = ["410102", "410105", "410302", "411102", "411302", "411502", "440304"]


def smallest_target(rate: str, at_least: int) -> tuple[int, int]:
    """(cumulative, target): the smallest target for which a cumulative count
    of at least `at_least` prints as `rate` with two decimals, half-up."""
    printed = Decimal(rate)
    low = printed - Decimal("0.005")
    target = 1
    while True:
        cumulative = max(at_least, math.ceil(low * target / 100))
        value = (Decimal(cumulative) * 100 / target).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if value == printed:
            return cumulative, target
        target += 1


def _split(total: int, parts: int, rng) -> list[int]:
    """`total` split into `parts` uneven shares (so townships differ)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    shares = [int(total * weight / sum(weights)) for weight in weights]
    shares[0] += total - sum(shares)
    return shares


def _outsider(context: DemoContext, used: set[str]) -> str:
    while True:
        birth = datetime.date(1941, 1, 1) + datetime.timedelta(days=context.rng.randint(0, 22800))
        body = (
            f"{context.rng.choice(OUTSIDE_PREFIXES)}{birth:%Y%m%d}{context.rng.randint(0, 999):03d}"
        )
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            return number


def _clinic_time(context: DemoContext, day: datetime.date) -> datetime.datetime:
    seconds = context.rng.randint(8 * 3600, 18 * 3600 - 1)  # 08:00:00–17:59:59
    return datetime.datetime.combine(day, datetime.time(), SHANGHAI) + datetime.timedelta(
        seconds=seconds
    )


def _earlier_day(context: DemoContext) -> datetime.date:
    """A campaign day before the bulletin's day, busier towards August."""
    span = (CUTOFF.date() - CAMPAIGN_START).days - 1
    return CAMPAIGN_START + datetime.timedelta(days=int(span * context.rng.random() ** 0.6))


def _adult_residents(county: Unit) -> list[tuple[str, str]]:
    """(name, ID number) of the county's residents aged 18 or more on the day."""
    born_by = datetime.date(2003, 8, 12)
    people = Person.objects.filter(
        home_unit__path__startswith=county.path, is_resident=True, birth_date__lte=born_by
    ).order_by("pk")
    return [
        (name, personal_data.decrypt(token))
        for name, token in people.values_list("name", "id_number_encrypted")
    ]


def write_doses(context: DemoContext, path: Path) -> int:
    used: set[str] = set()
    written = 0
    vaccine_names = [name for name, _weight in VACCINES]
    vaccine_weights = [weight for _name, weight in VACCINES]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["身份证号", "姓名", "剂次", "疫苗名称", "疫苗批号", "接种时间", "接种单位编码"]
        )
        for name, rate, _rank, day_count in SOURCE_TABLE:
            county = context.unit(name)
            cumulative, population = smallest_target(rate, HISTORY * day_count)
            townships = list(county.children.order_by("pk"))
            TargetPopulation.objects.create(
                unit=county, group="18+", population=population, valid_from=TARGETS_VALID_FROM
            )
            for township, share in zip(
                townships, _split(population, len(townships), context.rng), strict=True
            ):
                TargetPopulation.objects.create(
                    unit=township, group="18+", population=share, valid_from=TARGETS_VALID_FROM
                )
            residents = _adult_residents(county)
            context.rng.shuffle(residents)
            for number in range(cumulative):
                if number < len(residents):
                    person_name, id_number = residents[number]
                    used.add(id_number)
                else:
                    person_name, id_number = context.faker.name(), _outsider(context, used)
                on_the_day = number < day_count
                day = CUTOFF.date() if on_the_day else _earlier_day(context)
                given = _clinic_time(context, day)
                vaccine = context.rng.choices(vaccine_names, vaccine_weights)[0]
                township = context.rng.choice(townships)
                batch = f"2021{given.month:02d}{context.rng.randint(1, 40):03d}"
                row = [id_number, person_name, 1, vaccine, batch, f"{given:%Y-%m-%d %H:%M:%S}"]
                writer.writerow([*row, township.code])
                written += 1
                second_day = day + datetime.timedelta(days=context.rng.randint(21, 56))
                if (
                    not on_the_day
                    and second_day <= CUTOFF.date()
                    and context.rng.random() < SECOND_DOSE_SHARE
                ):
                    second = _clinic_time(context, second_day)
                    batch = f"2021{second.month:02d}{context.rng.randint(1, 40):03d}"
                    given_by = context.rng.choice(townships)
                    row = [id_number, person_name, 2, vaccine, batch, f"{second:%Y-%m-%d %H:%M:%S}"]
                    writer.writerow([*row, given_by.code])
                    written += 1
    return written


def build(context: DemoContext) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "doses.csv"
        written = write_doses(context, path)
        result = run_dose_import(path, partial=False, scope=Scope.all(), recorded_by="system:demo")
    if not result.applied:
        raise RuntimeError(f"demo doses were rejected: {result.errors[:3]}")
    context.log(
        f"  {written} doses ({result.people_created} people from elsewhere), "
        f"targets for {len(SOURCE_TABLE)} county-level units and their townships"
    )
