"""The command office's bulletin page: preview, download, issue, archive."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from fangkong.bulletins.models import IssuedBulletin
from fangkong.bulletins.tests.conftest import at, give
from fangkong.core.testing import logged_in, make_user

pytestmark = pytest.mark.django_db
QUERY = {"kind": "vaccination", "as_of": "2021-08-12T18:00", "unit": "411600", "level": "children"}


@pytest.fixture
def commander(zones):
    give(zones.shifan, at("2021-08-12 10:00"), count=3)
    return make_user("commander", "commander", zones.city, display_name="指挥部值班员")


def test_it_previews_a_bulletin_in_chinese(commander):
    client = logged_in(commander)
    page = client.get("/bulletins/").content.decode()
    assert "制作通报" not in page and "截止时间" in page
    preview = client.get("/bulletins/", QUERY, HTTP_HX_REQUEST="true").content.decode()
    assert "周口市新冠病毒疫苗接种进度通报" in preview
    assert "截止日期 2021年8月12日18时" in preview
    assert "3.00" in preview and "发布此通报" in preview


def test_it_downloads_every_format_of_the_preview(commander):
    client = logged_in(commander)
    expected = {
        "json": "application/json",
        "html": "text/html; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png": "image/png",
    }
    for fmt, content_type in expected.items():
        response = client.get(f"/bulletins/preview.{fmt}", QUERY)
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == content_type
        assert "vaccination-411600-20210812-1800" in response["Content-Disposition"]
    data = json.loads(client.get("/bulletins/preview.json", QUERY).content)
    assert data["rows"][0]["first_dose_rate"] == "3.00"
    assert client.get("/bulletins/preview.pdf", QUERY).status_code == 404


def test_it_issues_once_and_archives(commander, zones):
    client = logged_in(commander)
    form = {**QUERY, "as_of": "2021-08-12 18:00", "client_uuid": str(uuid.uuid4())}
    response = client.post("/bulletins/issue/", form)
    bulletin = IssuedBulletin.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/bulletins/issued/{bulletin.pk}/"
    )
    assert client.post("/bulletins/issue/", form).status_code == 302
    assert IssuedBulletin.objects.count() == 1
    give(zones.shifan, at("2021-08-12 11:00"), count=2)  # arrives late
    page = client.get(f"/bulletins/issued/{bulletin.pk}/").content.decode()
    assert "3.00" in page and "5.00" not in page and "指挥部值班员" in page
    archive = client.get("/bulletins/issued/").content.decode()
    assert "周口市新冠病毒疫苗接种进度通报" in archive
    from docx import Document

    docx = client.get(f"/bulletins/issued/{bulletin.pk}.docx")
    cells = [
        [c.text for c in row.cells] for row in Document(io.BytesIO(docx.content)).tables[0].rows
    ]
    assert ["示范区", "3.00", "1", "3"] in cells


def test_it_lets_only_commanders_issue(zones):
    cadre = make_user("admin_city", "unit_admin", zones.city)
    client = logged_in(cadre)
    assert client.get("/bulletins/", QUERY).status_code == 200
    assert "发布此通报" not in client.get("/bulletins/", QUERY).content.decode()
    form = {**QUERY, "client_uuid": str(uuid.uuid4())}
    assert client.post("/bulletins/issue/", form).status_code == 403
    assert IssuedBulletin.objects.count() == 0


def test_it_keeps_units_and_issued_bulletins_to_the_scope(zones, commander):
    from fangkong.bulletins.services import issue_bulletin
    from fangkong.bulletins.tests.conftest import CUTOFF
    from fangkong.core.audit import Actor

    bulletin = issue_bulletin(Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city)
    cadre = make_user("cadre_shenghe", "cadre", zones.shenghe)
    client = logged_in(cadre)
    # Units outside the scope are not choices: answered alike for a missing code.
    assert client.get("/bulletins/preview.json", QUERY).status_code == 400
    assert client.get("/bulletins/preview.json", {**QUERY, "unit": "NOPE"}).status_code == 400
    assert client.get(f"/bulletins/issued/{bulletin.pk}/").status_code == 404
    assert client.get(f"/bulletins/issued/{bulletin.pk}.xlsx").status_code == 404
    vaccinator = make_user("vaccinator_chuanhui", "vaccinator", zones.chuanhui)
    assert logged_in(vaccinator).get("/bulletins/").status_code == 403
