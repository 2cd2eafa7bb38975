"""The retest list of positive pools per community: name, masked ID
number, phone (clear only for roles allowed to see it, and audit-logged),
household address; printable and exportable."""

import csv
import io

import pytest
from openpyxl import load_workbook

from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, logged_in, make_person, make_user
from fangkong.testing import services


@pytest.fixture
def positive_pool(testing_round, site, swab, city, results_file):
    """A pool of four: three from 盛和家园 and one from 张埠口村, positive."""
    people = [
        make_person(city.shenghe, "张一", phone="13800000001", household="1号楼101"),
        make_person(city.shenghe, "张二", phone="13800000002", household="1号楼101"),
        make_person(city.shenghe, "张三", household="1号楼102"),
        make_person(city.zhangbukou, "王一", phone="13900000009", household="1组1号"),
    ]
    for person in people:
        swab(person, "P1")
    services.import_results(SYSTEM, testing_round, results_file([("P1", "阳性", "27.2")]))
    return people


def test_it_lists_a_positive_pool_per_community_with_phones_for_the_cadre(
    testing_round, positive_pool, cadre, cadre_client
):
    response = cadre_client.get(f"/testing/{testing_round.pk}/follow-up/retest/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "盛和社区" in page and "张一" in page and "张三" in page
    assert "13800000001" in page and "盛和家园 1号楼101" in page
    assert "王一" not in page and "13900000009" not in page  # another cadre's village
    assert positive_pool[0].masked_id_number in page
    event = AuditEvent.objects.get(action="testing.reveal_phones")
    assert event.actor == cadre
    assert event.detail["people"] == sorted(p.pk for p in positive_pool[:3])


def test_it_masks_phones_for_the_lab(testing_round, positive_pool, city):
    lab = logged_in(make_user("lab", "lab_technician", city.city))
    page = lab.get(f"/testing/{testing_round.pk}/follow-up/retest/").content.decode()
    assert "王一" in page and "张埠口村" in page  # the city lab sees every community
    assert "138****0001" in page and "13800000001" not in page
    assert not AuditEvent.objects.filter(action="testing.reveal_phones").exists()


def test_it_exports_the_retest_list(testing_round, positive_pool, cadre_client):
    url = f"/testing/{testing_round.pk}/follow-up/retest/"
    rows = list(
        csv.reader(
            io.StringIO(cadre_client.get(url, {"format": "csv"}).content.decode("utf-8-sig"))
        )
    )
    assert [row[:2] for row in rows[1:]] == [
        ["盛和社区", "张一"],
        ["盛和社区", "张二"],
        ["盛和社区", "张三"],
    ]
    assert rows[1][3] == "13800000001" and rows[1][5] == "P1"
    sheet = load_workbook(io.BytesIO(cadre_client.get(url, {"format": "xlsx"}).content)).active
    assert sheet.max_row == 4
    assert AuditEvent.objects.filter(action="testing.reveal_phones").count() == 2


def test_it_exports_the_retest_list_from_the_cli_masked_unless_asked(
    testing_round, positive_pool, tmp_path
):
    from django.core.management import call_command

    out = tmp_path / "retests.csv"
    call_command(
        "testing", "retests", "--round", testing_round.name, "--format", "csv", "-o", str(out)
    )
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["盛和社区"] * 3 + ["张埠口村"]
    assert rows[1][3] == "138****0001"
    assert not AuditEvent.objects.filter(action="testing.reveal_phones").exists()
    call_command(
        "testing", "retests", "--round", str(testing_round.pk), "--format", "xlsx",
        "-o", str(tmp_path / "r.xlsx"), "--unmasked",
    )  # fmt: skip
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet.cell(2, 4).value == "13800000001"
    assert AuditEvent.objects.get(action="testing.reveal_phones").actor_label.startswith("system:")


def test_it_empties_the_list_as_retests_are_swabbed(
    testing_round, positive_pool, swab, cadre_client
):
    swab(positive_pool[0], "S1", minutes_ago=1)
    page = cadre_client.get(f"/testing/{testing_round.pk}/follow-up/retest/").content.decode()
    assert "张一" not in page and "张二" in page
