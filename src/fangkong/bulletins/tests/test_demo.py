"""The demo city reproduces the source page's vaccination bulletin exactly."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from fangkong.bulletins.models import IssuedBulletin

# 周口市新冠病毒疫苗接种进度通报 — 截止日期 2021 年 8 月 12 日 18 时, as printed on
# the source page: 单位, 第一剂累计接种率(%), 位次, 8 月 12 日第一剂接种人数(人).
SOURCE_PAGE = [
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


def rows_of(data):
    return [
        (row["name"], row["first_dose_rate"], row["rank"], row["first_doses_day"])
        for row in data["rows"]
    ]


@pytest.mark.django_db
def test_it_reproduces_the_source_table_from_the_demo_at_its_default_size(tmp_path):
    call_command("demo", password="demo-password-2021", stdout=io.StringIO())
    path = tmp_path / "bulletin.json"
    with translation.override("zh-hans"):
        call_command(
            "bulletin",
            "vaccination",
            as_of="2021-08-12 18:00",
            format="json",
            output=str(path),
            stderr=io.StringIO(),
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["title"] == "周口市新冠病毒疫苗接种进度通报"
    assert data["subtitle"] == "截止日期 2021年8月12日18时"
    assert data["as_of"] == "2021-08-12T18:00:00+08:00"
    assert data["intro"] == "现将各县(市、区)18岁及以上人群接种进度通报如下："
    assert [c["label"] for c in data["columns"]] == [
        "第一剂累计接种率(%)",
        "位次",
        "8月12日第一剂接种人数(人)",
    ]
    assert rows_of(data) == SOURCE_PAGE
    # The demo also issued it, as the command office's demo user.
    issued = IssuedBulletin.objects.get()
    assert rows_of(issued.data) == SOURCE_PAGE
    assert issued.data["issued"]["by"] == "指挥部值班员"
