"""The sampler's, the lab's and the cadre's pages, through the test client."""

import io
import re
import uuid

import pytest
from openpyxl import Workbook

from fangkong.core import personal_data
from fangkong.core.testing import logged_in, make_user
from fangkong.testing.models import LabResult, Sample, Tube


@pytest.fixture
def sampler(city):
    return logged_in(make_user("sampler_shenghe", "sampler", city.shenghe))


@pytest.fixture
def lab(city):
    return logged_in(make_user("lab_city", "lab_technician", city.city))


def add(client, site, tube, **fields):
    """Post a person into the tube; without htmx a success redirects to the
    tube page (followed here), so a reload never swabs twice."""
    data = {"client_uuid": str(uuid.uuid4()), "who": "", "name": "", "reason": "", **fields}
    return client.post(f"/testing/sampling/{site.pk}/tubes/{tube.pk}/add/", data, follow=True)


def test_it_walks_a_sampler_through_a_tube(sampler, site, resident, many_people):
    assert site.name in sampler.get("/testing/sampling/").content.decode()
    opened = sampler.post(f"/testing/sampling/{site.pk}/", {"barcode": "W0001"})
    tube = Tube.objects.get(barcode="W0001")
    assert opened.status_code == 302 and opened["Location"].endswith(f"/tubes/{tube.pk}/")
    number = personal_data.decrypt(resident.id_number_encrypted)
    added = add(sampler, site, tube, who=number)
    assert added.redirect_chain == [(f"/testing/sampling/{site.pk}/tubes/{tube.pk}/", 302)]
    page = added.content.decode()
    assert "1/10" in page and "张立新" in page and number not in page
    # The archive lookup finds by name; its result adds by person id.
    neighbour = many_people(1, prefix="赵")[0]
    found = sampler.get(f"/testing/sampling/{site.pk}/tubes/{tube.pk}/search/", {"q": "赵"})
    assert f'value="{neighbour.pk}"' in found.content.decode()
    page = add(sampler, site, tube, person_id=neighbour.pk, HTTP_HX_REQUEST="true")
    assert "2/10" in page.content.decode()
    sealed = sampler.post(f"/testing/sampling/{site.pk}/tubes/{tube.pk}/seal/")
    assert sealed.status_code == 302
    tube.refresh_from_db()
    assert tube.sealed_at is not None and tube.sample_count == 2
    # In the next tube, the same person again is flagged and asks for a reason.
    sampler.post(f"/testing/sampling/{site.pk}/", {"barcode": "W0003"})
    next_tube = Tube.objects.get(barcode="W0003")
    flagged = add(sampler, site, next_tube, who=number).content.decode()
    assert 'class="flag"' in flagged and 'name="reason"' in flagged and "W0001" in flagged
    assert Sample.objects.count() == 2
    again = add(sampler, site, next_tube, who=number, reason="采样管破损").content.decode()
    assert "1/10" in again and Sample.objects.count() == 3


def test_it_answers_the_htmx_panel_alone(sampler, site, resident):
    sampler.post(f"/testing/sampling/{site.pk}/", {"barcode": "W0002"})
    tube = Tube.objects.get(barcode="W0002")
    response = sampler.post(
        f"/testing/sampling/{site.pk}/tubes/{tube.pk}/add/",
        {"client_uuid": str(uuid.uuid4()), "person_id": resident.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="tube-count">1/10' in body


def test_it_keeps_samplers_to_their_sites(testing_round, city, site, villager):
    from fangkong.core.testing import SYSTEM
    from fangkong.testing.services import create_site

    village_site = create_site(SYSTEM, round=testing_round, unit=city.zhangbukou, name="村口")
    sampler = logged_in(make_user("sampler_village", "sampler", city.zhangbukou))
    assert sampler.get(f"/testing/sampling/{site.pk}/").status_code == 404
    assert sampler.get(f"/testing/sampling/{village_site.pk}/").status_code == 200
    assert (
        logged_in(make_user("nobody", "gate_staff", city.shenghe))
        .get("/testing/sampling/")
        .status_code
        == 403
    )


def test_it_lets_the_lab_receive_enter_and_import(lab, testing_round, site, swab, many_people):
    people = many_people(12)
    for index, person in enumerate(people):
        swab(person, f"L{index // 10 + 1:03d}")
    url = f"/testing/lab/{testing_round.pk}/"
    assert testing_round.name in lab.get("/testing/lab/").content.decode()
    received = lab.post(url, {"action": "receive", "barcode": "L002"})
    assert received.status_code == 302
    assert Tube.objects.get(barcode="L002").received_at is not None
    unknown = lab.post(url, {"action": "receive", "barcode": "L404"}).content.decode()
    assert "L404" not in Tube.objects.values_list("barcode", flat=True) and "errors" in unknown
    entered = lab.post(
        url,
        {"action": "result", "barcode": "L001", "result": "positive", "ct_value": "30.2",
         "reported_at": "2021-08-10 22:00", "lab": "周口市疾控中心"},
    )  # fmt: skip
    assert entered.status_code == 302
    assert LabResult.objects.get(tube__barcode="L001").result == "positive"
    workbook = Workbook()
    workbook.active.append(["采样管编码", "检测结果", "CT值", "报告时间", "检测机构"])
    workbook.active.append(["L002", "阴性", None, "2021-08-10 22:10", "周口市疾控中心"])
    workbook.active.append(["L999", "阴性", None, "2021-08-10 22:10", "周口市疾控中心"])
    upload = io.BytesIO()
    workbook.save(upload)
    upload.name = "results.xlsx"
    upload.seek(0)
    page = lab.post(url, {"action": "import", "file": upload}).content.decode()
    assert "L999" in page and not LabResult.objects.filter(tube__barcode="L002").exists()
    report = re.search(r'href="(/testing/lab/report/\w+\.csv)"', page).group(1)
    assert "L999" in lab.get(report).getvalue().decode("utf-8-sig")
    assert (
        logged_in(make_user("other", "sampler", testing_round.units.get())).get(report).status_code
        == 404
    )


def test_it_keeps_lab_pages_from_cadres(cadre_client, testing_round):
    assert cadre_client.get(f"/testing/lab/{testing_round.pk}/").status_code == 403


def test_it_speaks_chinese_by_default(sampler, site, cadre_client, testing_round):
    assert "选择采样点" in sampler.get("/testing/sampling/").content.decode()
    page = cadre_client.get(f"/testing/{testing_round.pk}/").content.decode()
    assert "复核名单" in page and "应检人数" in page
    home = cadre_client.get("/").content.decode()
    assert "全员核酸检测" in home
