"""Fixtures for the testing app: a round over 示范区 with a site at 盛和家园."""

from __future__ import annotations

import csv
import datetime
import uuid
from pathlib import Path

import pytest
from django.utils import timezone, translation

from fangkong.core.testing import SYSTEM, make_person
from fangkong.testing import services


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages in English, so assertions read plainly; pages and
    the API still answer in Chinese (LocaleMiddleware, zh-hans default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def testing_round(city):
    now = timezone.now()
    return services.create_round(
        SYSTEM,
        name="8月10日全员核酸检测",
        units=[city.shifan],
        starts_at=now - datetime.timedelta(hours=12),
        ends_at=now + datetime.timedelta(hours=36),
        pool_size=10,
    )


@pytest.fixture
def site(testing_round, city):
    return services.create_site(
        SYSTEM, round=testing_round, unit=city.shenghe, name="盛和家园采样点"
    )


@pytest.fixture
def swab(site):
    """Record a sample of `person` into `barcode` at `site` (or another site)."""

    def record(person, barcode, *, at_site=None, reason="", minutes_ago=30, **extra):
        return services.record_sample(
            SYSTEM,
            site=at_site or site,
            person=person,
            tube_barcode=barcode,
            collected_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
            reason=reason,
            client_uuid=extra.pop("client_uuid", None) or uuid.uuid4(),
            **extra,
        )

    return record


@pytest.fixture
def many_people(city):
    """`many_people(n, unit)`: n residents of a unit, households of four."""

    def make(count, unit=None, prefix="居民"):
        unit = unit or city.shenghe
        return [
            make_person(unit, f"{prefix}{index:03d}", household=f"{index // 4 + 1}号楼")
            for index in range(count)
        ]

    return make


@pytest.fixture
def results_file(tmp_path):
    """Write rows of (barcode, result[, ct]) as a results CSV; returns its path."""

    def write(rows, name="results.csv", headers=None):
        path: Path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(headers or ["tube_barcode", "result", "ct_value", "reported_at", "lab"])
            for row in rows:
                barcode, result, *rest = row
                ct = rest[0] if rest else ""
                writer.writerow([barcode, result, ct, "2021-08-10 22:00", "周口市疾控中心"])
        return path

    return write
