"""Coverage on a small city: per unit, per household, the door-to-door
list, samples per hour per site; and what each user may see of it."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from fangkong.core.scoping import Scope
from fangkong.core.testing import SYSTEM, logged_in, make_person, make_user
from fangkong.testing import queries, services


@pytest.fixture
def scenario(testing_round, site, swab, city, results_file):
    """盛和家园: 7 residents in two households, 6 swabbed (5 negative, 1
    positive single tube); 张埠口村: 4 residents, 2 swabbed, no result yet;
    a resident of 川汇区 and a visitor swabbed too (not expected)."""

    def resident(unit, name, household, phone=""):
        return make_person(unit, name, household=household, phone=phone)

    people = {
        name: resident(city.shenghe, name, household, phone)
        for name, household, phone in [
            ("张一", "1号楼101", "13800000001"),
            ("张二", "1号楼101", ""),
            ("张三", "1号楼101", ""),
            ("李一", "1号楼102", ""),
            ("李二", "1号楼102", ""),
            ("李三", "1号楼102", "13800000006"),
            ("李四", "1号楼102", ""),
        ]
    }
    for name, household in [
        ("王一", "1组1号"),
        ("王二", "1组1号"),
        ("赵一", "1组2号"),
        ("赵二", "1组2号"),
    ]:
        people[name] = resident(city.zhangbukou, name, household)
    people["陈一"] = resident(city.chuanhui, "陈一", "")
    village_site = services.create_site(
        SYSTEM, round=testing_round, unit=city.zhangbukou, name="张埠口村采样点", pool_size=5
    )
    for name in ["张一", "张二", "张三", "李一", "李二"]:
        swab(people[name], "T1", minutes_ago=120)
    swab(people["李三"], "S1", tube_size=1, minutes_ago=60)
    swab(people["陈一"], "T2", minutes_ago=30)
    swab(people["王一"], "V1", at_site=village_site, minutes_ago=30)
    swab(people["赵一"], "V1", at_site=village_site, minutes_ago=20)
    services.import_results(SYSTEM, testing_round, results_file([("T1", "阴性"), ("S1", "阳性")]))
    return people, village_site


def figures(row):
    return (row.expected, row.sampled, row.not_sampled, row.pending, row.negative, row.positive)


def test_it_counts_coverage_per_unit(testing_round, scenario):
    rows = {row.name: row for row in queries.unit_coverage(testing_round, Scope.all())}
    assert list(rows) == ["示范区", "搬口办事处", "盛和社区", "盛和家园", "许湾乡", "张埠口村"]
    assert figures(rows["示范区"]) == (11, 8, 3, 2, 5, 1)
    assert figures(rows["盛和社区"]) == figures(rows["盛和家园"]) == (7, 6, 1, 0, 5, 1)
    assert figures(rows["张埠口村"]) == (4, 2, 2, 2, 0, 0)


def test_it_counts_coverage_per_household(testing_round, scenario, city):
    rows = queries.household_coverage(testing_round, Scope.all(), city.shenghe)
    assert [(row.name, figures(row)) for row in rows] == [
        ("1号楼101", (3, 3, 0, 0, 3, 0)),
        ("1号楼102", (4, 3, 1, 0, 2, 1)),
    ]


def test_it_lists_who_was_not_sampled_for_the_door_to_door_visit(testing_round, scenario, city):
    people = queries.not_sampled(testing_round, Scope.all(), city.shifan)
    assert [person.name for person in people] == ["李四", "王二", "赵二"]
    assert [p.name for p in queries.not_sampled(testing_round, Scope.all(), city.zhangbukou)] == [
        "王二",
        "赵二",
    ]


def test_it_exports_coverage_from_the_cli(testing_round, scenario, city, tmp_path):
    out = tmp_path / "coverage.json"
    call_command(
        "testing", "coverage", "--round", testing_round.name, "--under", city.shifan.code,
        "--format", "json", "-o", str(out),
    )  # fmt: skip
    rows = json.loads(out.read_text())
    assert rows[0] == {
        "name": "示范区",
        "code": city.shifan.code,
        "expected": 11,
        "sampled": 8,
        "not_sampled": 3,
        "pending": 2,
        "negative": 5,
        "positive": 1,
    }
    assert [row["name"] for row in rows] == [
        "示范区", "搬口办事处", "盛和社区", "盛和家园", "许湾乡", "张埠口村",
    ]  # fmt: skip
    call_command(
        "testing", "coverage", "--round", str(testing_round.pk), "--under",
        city.zhangbukou.code, "--format", "csv", "-o", str(tmp_path / "c.csv"),
    )  # fmt: skip
    lines = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8-sig"))))
    assert lines[1] == ["张埠口村", city.zhangbukou.code, "4", "2", "2", "2", "0", "0"]
    call_command(
        "testing", "coverage", "--round", testing_round.name, "--under", city.shenghe.code,
        "--format", "xlsx", "-o", str(tmp_path / "c.xlsx"),
    )  # fmt: skip
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert [cell.value for cell in sheet[2]] == ["盛和家园", city.shenghe.code, 7, 6, 1, 0, 5, 1]


def test_it_counts_samples_per_hour_at_each_site(testing_round, site, scenario):
    rates = {rate.site.name: rate for rate in queries.site_rates(testing_round, Scope.all())}
    assert rates["盛和家园采样点"].total == 7 and rates["盛和家园采样点"].tubes == 3
    assert sum(count for _hour, count in rates["盛和家园采样点"].hours) == 7
    assert rates["张埠口村采样点"].total == 2 and rates["张埠口村采样点"].per_hour >= 1


# What each user sees ---------------------------------------------------------


def test_it_shows_a_cadre_only_their_units(testing_round, scenario, cadre_client, city):
    page = cadre_client.get(f"/testing/{testing_round.pk}/").content.decode()
    assert "盛和家园" in page and "张埠口村" not in page and "示范区" not in page
    unit_page = cadre_client.get(f"/testing/{testing_round.pk}/units/{city.shenghe.pk}/")
    assert unit_page.status_code == 200 and "1号楼102" in unit_page.content.decode()
    for url in [
        f"/testing/{testing_round.pk}/units/{city.zhangbukou.pk}/",
        f"/testing/{testing_round.pk}/units/{city.zhangbukou.pk}/not-sampled/",
        f"/testing/{testing_round.pk}/units/{city.shifan.pk}/",
    ]:
        assert cadre_client.get(url).status_code == 404, url
    exported = cadre_client.get(f"/testing/{testing_round.pk}/coverage.json").json()
    assert [row["name"] for row in exported] == ["盛和家园"]
    api = cadre_client.get(f"/api/v1/testing/rounds/{testing_round.pk}/coverage").json()
    assert [(row["name"], row["not_sampled"]) for row in api] == [("盛和家园", 1)]


def test_it_shows_the_other_cadre_their_village_only(testing_round, scenario, other_cadre):
    client = logged_in(other_cadre)
    exported = client.get(f"/testing/{testing_round.pk}/coverage.json").json()
    assert [row["name"] for row in exported] == ["张埠口村"]
    listing = client.get(
        f"/testing/{testing_round.pk}/units/{other_cadre.roles()[0].unit_id}/not-sampled/"
    )
    assert "王二" in listing.content.decode() and "李四" not in listing.content.decode()


def test_it_hides_a_round_from_a_cadre_outside_it(testing_round, scenario, city):
    client = logged_in(make_user("cadre_chuanhui", "cadre", city.chuanhui))
    assert testing_round.name not in client.get("/testing/").content.decode()
    assert client.get(f"/testing/{testing_round.pk}/").status_code == 404
    assert client.get(f"/api/v1/testing/rounds/{testing_round.pk}/coverage").status_code == 404


def test_it_exports_the_door_to_door_list(testing_round, scenario, cadre_client, city):
    response = cadre_client.get(
        f"/testing/{testing_round.pk}/units/{city.shenghe.pk}/not-sampled/", {"format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["李四"]
    assert rows[1][3].startswith("411602********")
    xlsx = cadre_client.get(
        f"/testing/{testing_round.pk}/units/{city.shenghe.pk}/not-sampled/", {"format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(2, 3).value == "李四"
