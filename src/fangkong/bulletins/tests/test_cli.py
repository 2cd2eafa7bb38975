"""`fangkong bulletin vaccination --as-of … --format … -o FILE`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from fangkong.bulletins.models import IssuedBulletin
from fangkong.bulletins.tests.conftest import at, give

pytestmark = pytest.mark.django_db


def bulletin(*args: str) -> None:
    call_command("bulletin", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_it_writes_each_format(zones, tmp_path):
    give(zones.shifan, at("2021-08-12 12:00"), count=2)
    for fmt in ("json", "html", "xlsx", "docx", "png"):
        path = tmp_path / f"b.{fmt}"
        bulletin("vaccination", "--as-of", "2021-08-12 18:00", "--format", fmt, "-o", str(path))
        assert path.stat().st_size > 500, fmt
    data = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert data["as_of"] == "2021-08-12T18:00:00+08:00"
    assert {key for row in data["rows"] for key in row} == {
        "name",
        "code",
        "first_dose_rate",
        "rank",
        "first_doses_day",
    }
    assert data["rows"][0] == {
        "name": "示范区",
        "code": zones.shifan.code,
        "first_dose_rate": "2.00",
        "rank": 1,
        "first_doses_day": 2,
    }


def test_it_ranks_the_units_under_a_code_and_issues(zones, tmp_path):
    path = tmp_path / "b.json"
    bulletin(
        "vaccination",
        "--as-of",
        "2021-08-12 18:00",
        "--under",
        zones.shifan.code,
        "--columns",
        "first_doses,booster_rate",
        "--issue",
        "-o",
        str(path),
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [row["name"] for row in data["rows"]] == ["搬口办事处", "许湾乡"]
    assert "booster_rate" in data["rows"][0]
    issued = IssuedBulletin.objects.get()
    assert data["issued"]["id"] == issued.pk and issued.issued_by_label == "system:bulletin"
    again = tmp_path / "again.json"
    bulletin("--issued", str(issued.pk), "-o", str(again))
    assert json.loads(again.read_text(encoding="utf-8")) == data


def test_it_explains_bad_arguments(zones, tmp_path):
    with pytest.raises(CommandError, match="--as-of"):
        bulletin("vaccination", "--as-of", "tomorrow", "-o", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="no unit"):
        bulletin("vaccination", "--as-of", "2021-08-12 18:00", "--under", "NOPE")
    with pytest.raises(CommandError, match="-o FILE"):
        bulletin("vaccination", "--as-of", "2021-08-12 18:00", "--format", "png")
