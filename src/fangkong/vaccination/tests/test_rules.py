"""Parsing import cells."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from fangkong.vaccination import rules

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("raw", "number"), [("1", 1), ("第2剂", 2), ("第三剂", 3), ("2针", 2), (" 5 ", 5)]
)
def test_it_reads_dose_numbers(raw, number):
    assert rules.parse_dose_number(raw) == number


@pytest.mark.parametrize("raw", ["", "0", "6", "一二", "x"])
def test_it_refuses_bad_dose_numbers(raw):
    with pytest.raises(rules.CellError):
        rules.parse_dose_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-08-12 18:00", datetime.datetime(2021, 8, 12, 18, 0, tzinfo=SHANGHAI)),
        ("2021/8/12 9:05:07", datetime.datetime(2021, 8, 12, 9, 5, 7, tzinfo=SHANGHAI)),
        ("2021年8月12日18时30分", datetime.datetime(2021, 8, 12, 18, 30, tzinfo=SHANGHAI)),
        ("2021-08-12T10:00:00Z", datetime.datetime(2021, 8, 12, 18, 0, tzinfo=SHANGHAI)),
        ("2021-08-12T18:00:00+08:00", datetime.datetime(2021, 8, 12, 18, 0, tzinfo=SHANGHAI)),
    ],
)
def test_it_reads_instants_as_local_time(raw, expected):
    assert rules.parse_instant(raw) == expected


@pytest.mark.parametrize("raw", ["", "2021-08-12", "2021-02-30 10:00", "yesterday"])
def test_it_refuses_instants_without_a_real_time(raw):
    with pytest.raises(rules.CellError):
        rules.parse_instant(raw)


def test_it_reads_groups_populations_and_dates():
    assert rules.parse_group("18岁及以上") == "18+"
    assert rules.parse_group("ALL") == "all"
    assert rules.parse_population("1,234") == 1234
    first_of_june = datetime.date(2021, 6, 1)
    assert rules.parse_date("2021/6/1") == first_of_june
    assert rules.parse_date("2021-06-01 00:00:00") == first_of_june
    for parse, raw in (
        (rules.parse_group, "成人"),
        (rules.parse_population, "0"),
        (rules.parse_date, "6/1"),
    ):
        with pytest.raises(rules.CellError):
            parse(raw)
