"""The bulletin engine on the vaccination bulletin: rates, ranks, windows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from fangkong.bulletins import queries, rules
from fangkong.bulletins.catalog import VACCINATION
from fangkong.bulletins.engine import compute
from fangkong.bulletins.tests.conftest import CUTOFF, at, give, target
from fangkong.core.testing import SYSTEM
from fangkong.regions.services import create_unit


def bulletin(city, **options):
    table = compute(VACCINATION, as_of=options.pop("as_of", CUTOFF), under=city.city, **options)
    return {row["name"]: row for row in table.rows}, table


def test_it_rounds_half_up_exactly():
    # 1 ÷ 800 × 100 = 0.125: half-up gives 0.13 (half-even would give 0.12);
    # 107 ÷ 4000 × 100 = 2.675 exactly, which float arithmetic prints as 2.67.
    assert rules.rate(1, 800, precision=2) == Decimal("0.13")
    assert rules.rate(107, 4000, precision=2) == Decimal("2.68")
    assert rules.rate(12757, 10000, precision=2) == Decimal("127.57")
    assert rules.rate(5, 0, precision=2) is None
    assert rules.format_decimal(Decimal("80"), 2) == "80.00"


def test_it_ranks_ties_together_and_skips():
    values = [Decimal("90.00"), Decimal("95.10"), Decimal("90.00"), None, Decimal("80.00")]
    assert rules.competition_ranks(values) == [2, 1, 2, None, 4]


@pytest.mark.django_db
def test_it_rounds_the_printed_rate_half_up(city):
    target(city.shifan, 800)
    target(city.chuanhui, 4000)
    give(city.shenghe, at("2021-08-01 09:00"))
    give(city.chuanhui, at("2021-08-01 09:00"), count=107)
    rows, _table = bulletin(city)
    assert rows["示范区"]["first_dose_rate"] == "0.13"
    assert rows["川汇区"]["first_dose_rate"] == "2.68"


@pytest.mark.django_db
def test_it_lets_equal_printed_rates_share_a_rank(city):
    third = create_unit(SYSTEM, name="港区", kind="zone", parent=city.city)
    target(city.shifan, 300)
    target(city.chuanhui, 600)
    target(third, 100)
    # 1/300 = 0.333… and 2/600 = 0.333… print alike: 0.33; 港区 has 1.00.
    give(city.shifan, at("2021-08-10 10:00"))
    give(city.chuanhui, at("2021-08-10 10:00"), count=2)
    give(third, at("2021-08-10 10:00"))
    _rows, table = bulletin(city)
    assert [(r["name"], r["first_dose_rate"], r["rank"]) for r in table.rows] == [
        ("港区", "1.00", 1),
        ("示范区", "0.33", 2),
        ("川汇区", "0.33", 2),
    ]


@pytest.mark.django_db
def test_it_credits_doses_to_the_giving_unit_and_passes_100_percent(zones):
    # 示范区's target is 100; it vaccinated 150, most of them from elsewhere.
    give(zones.shenghe, at("2021-08-01 09:00"), count=100)
    give(zones.zhangbukou, at("2021-08-12 10:00"), count=50)
    rows, _table = bulletin(zones)
    assert rows["示范区"]["first_dose_rate"] == "150.00"
    assert rows["示范区"]["first_doses_day"] == 50
    assert rows["示范区"]["rank"] == 1
    assert rows["川汇区"]["first_dose_rate"] == "0.00"


@pytest.mark.django_db
def test_it_counts_the_day_that_ends_at_the_cut_off_inclusive(zones):
    give(zones.shifan, at("2021-08-11 18:00:00"))  # the previous day's last second
    give(zones.shifan, at("2021-08-11 18:00:01"))
    give(zones.shifan, at("2021-08-12 17:59:59"))
    give(zones.shifan, at("2021-08-12 18:00:00"))  # "截止 18 时" includes 18:00:00
    give(zones.shifan, at("2021-08-12 18:00:01"))  # tomorrow's
    rows, _table = bulletin(zones)
    assert rows["示范区"]["first_doses_day"] == 3
    assert rows["示范区"]["first_dose_rate"] == "4.00"  # 4 up to 18:00:00 of 100
    rows, _table = bulletin(zones, as_of=at("2021-08-13 18:00"))
    assert rows["示范区"]["first_doses_day"] == 1
    assert rows["示范区"]["first_dose_rate"] == "5.00"


@pytest.mark.django_db
def test_it_uses_the_target_valid_at_the_cut_off(zones):
    target(zones.shifan, 50, valid_from=datetime.date(2021, 8, 1))
    target(zones.shifan, 10, valid_from=datetime.date(2021, 8, 13))
    give(zones.shifan, at("2021-07-20 10:00"), count=5)
    rows, _table = bulletin(zones)
    assert rows["示范区"]["first_dose_rate"] == "10.00"
    rows, _table = bulletin(zones, as_of=at("2021-07-31 18:00"))
    assert rows["示范区"]["first_dose_rate"] == "5.00"


@pytest.mark.django_db
def test_it_puts_units_without_a_target_last_and_unranked(city):
    target(city.chuanhui, 10)
    give(city.shifan, at("2021-08-12 10:00"), count=3)
    _rows, table = bulletin(city)
    assert [
        (r["name"], r["first_dose_rate"], r["rank"], r["first_doses_day"]) for r in table.rows
    ] == [
        ("川汇区", "0.00", 1, 0),
        ("示范区", None, None, 3),
    ]


@pytest.mark.django_db
def test_it_offers_second_dose_and_booster_rates(zones):
    give(zones.shifan, at("2021-07-01 10:00"), count=4)
    give(zones.shifan, at("2021-08-12 10:00"), number=2, count=3)
    give(zones.shifan, at("2021-08-12 11:00"), number=3, count=1)
    rows, table = bulletin(
        zones, extra_columns=["first_doses", "second_dose_rate", "second_doses_day", "booster_rate"]
    )
    assert [c["key"] for c in table.columns] == [
        "first_dose_rate",
        "rank",
        "first_doses_day",
        "first_doses",
        "second_dose_rate",
        "second_doses_day",
        "booster_rate",
    ]
    row = rows["示范区"]
    assert (row["first_doses"], row["second_dose_rate"], row["second_doses_day"]) == (4, "3.00", 3)
    assert row["booster_rate"] == "1.00"


@pytest.mark.django_db
def test_it_ranks_townships_across_counties(zones):
    target(zones.bankou, 10)
    target(zones.xuwan, 20)
    give(zones.shenghe, at("2021-08-12 10:00"), count=2)
    give(zones.zhangbukou, at("2021-08-12 10:00"), count=2)
    give(zones.shifan, at("2021-08-12 10:00"), count=7)  # the zone's own clinic
    _rows, table = bulletin(zones, level="township")
    assert [(r["name"], r["first_dose_rate"], r["rank"]) for r in table.rows] == [
        ("搬口办事处", "20.00", 1),
        ("许湾乡", "10.00", 2),
    ]
    rows, _table = bulletin(zones)
    assert rows["示范区"]["first_dose_rate"] == "11.00"


@pytest.mark.django_db
def test_it_aggregates_in_a_fixed_number_of_queries(zones, django_assert_max_num_queries):
    give(zones.shenghe, at("2021-08-12 10:00"), count=30)
    give(zones.chuanhui, at("2021-08-12 10:00"), count=30)
    # Ranked units, one aggregate per metric, one target lookup: never one per dose.
    with django_assert_max_num_queries(4):
        _rows, table = bulletin(zones)
    assert sum(row["first_doses_day"] for row in table.rows) == 60


@pytest.mark.django_db
def test_it_titles_the_bulletin_like_the_source_page(zones, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    _rows, table = bulletin(zones)
    data = table.as_dict()
    assert data["title"] == "周口市新冠病毒疫苗接种进度通报"
    assert data["as_of"] == "2021-08-12T18:00:00+08:00"
    assert data["subtitle"] == "截止日期 2021年8月12日18时"
    assert [c["label"] for c in data["columns"]] == [
        "第一剂累计接种率(%)",
        "位次",
        "8月12日第一剂接种人数(人)",
    ]
    assert set(data["rows"][0]) == {"name", "code", "first_dose_rate", "rank", "first_doses_day"}


@pytest.mark.django_db
def test_it_previews_through_the_scoped_query(zones):
    table = queries.preview("vaccination", as_of=CUTOFF, under=zones.shifan, level="children")
    assert [row["name"] for row in table.rows] == ["搬口办事处", "许湾乡"]
