"""Two clinics recording the same person's same dose at once (PostgreSQL)."""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
from django.db import connection

from fangkong.core.testing import SYSTEM, make_person, make_small_city, valid_id_number
from fangkong.vaccination.models import Dose
from fangkong.vaccination.services import DoseError, record_dose


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_records_one_dose_when_two_clinics_race():
    city = make_small_city()
    number = valid_id_number(serial=21)
    make_person(city.shenghe, "张立新", id_number=number)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(unit) -> None:
        try:
            barrier.wait()
            record_dose(
                SYSTEM,
                id_number=number,
                name="张立新",
                dose_number=1,
                vaccine="北京生物",
                administered_at=datetime.datetime(
                    2021, 8, 12, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
                ),
                unit=unit,
            )
            outcomes.append("recorded")
        except DoseError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(unit,)) for unit in (city.shifan, city.chuanhui)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused"]
    assert Dose.objects.count() == 1
