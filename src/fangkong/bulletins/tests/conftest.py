"""Fixtures for bulletin tests: targets and doses in the small city."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo

import pytest

from fangkong.core.testing import SYSTEM, valid_id_number
from fangkong.vaccination.models import TargetPopulation
from fangkong.vaccination.services import record_dose

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CUTOFF = datetime.datetime(2021, 8, 12, 18, 0, tzinfo=SHANGHAI)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


_births = itertools.count()


def give(unit, when: datetime.datetime, *, number: int = 1, count: int = 1) -> None:
    """`count` doses of `number` given by `unit` at `when`, to new people."""
    for _ in range(count):
        step = next(_births)
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=step // 900)
        record_dose(
            SYSTEM,
            id_number=valid_id_number(birth=f"{birth:%Y%m%d}", serial=step % 900),
            name="受种者",
            dose_number=number,
            vaccine="新冠病毒灭活疫苗(Vero细胞)",
            administered_at=when,
            unit=unit,
        )


def target(unit, population: int, valid_from=datetime.date(2021, 1, 1), group="18+"):
    return TargetPopulation.objects.create(
        unit=unit, group=group, population=population, valid_from=valid_from
    )


@pytest.fixture
def zones(city):
    """示范区 and 川汇区 with 18+ targets of 100 and 200."""
    target(city.shifan, 100)
    target(city.chuanhui, 200)
    return city
