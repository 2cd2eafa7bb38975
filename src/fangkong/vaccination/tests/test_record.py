"""Recording a dose: the service and the vaccinator's page."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest

from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, logged_in, make_person, make_user, valid_id_number
from fangkong.people.models import Person
from fangkong.vaccination.models import Dose
from fangkong.vaccination.services import DoseError, record_dose

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
GIVEN = datetime.datetime(2021, 8, 12, 9, 30, tzinfo=SHANGHAI)


def dose(unit, number: str, **extra):
    values = {
        "id_number": number,
        "name": "张立新",
        "dose_number": 1,
        "vaccine": "北京生物",
        "administered_at": GIVEN,
        "unit": unit,
    } | extra
    return record_dose(SYSTEM, **values)


def test_it_records_a_dose_for_someone_not_in_the_registry(city):
    number = valid_id_number(prefix="410102", serial=11)
    given = dose(city.chuanhui, number, site="川汇区人民医院接种点")
    person = Person.objects.with_id_number(number).get()
    assert (person.is_resident, person.home_unit) == (False, city.chuanhui)
    assert (given.person, given.unit, given.site) == (person, city.chuanhui, "川汇区人民医院接种点")
    assert AuditEvent.objects.filter(action="vaccination.record_dose").count() == 1


def test_it_refuses_the_same_dose_twice_but_repeats_a_retried_form(city, resident):
    number = valid_id_number(serial=12)
    make_person(city.shenghe, "李四", id_number=number)
    key = uuid.uuid4()
    first = dose(city.shifan, number, client_uuid=key)
    assert dose(city.shifan, number, client_uuid=key).pk == first.pk
    with pytest.raises(DoseError) as refused:
        dose(city.shifan, number)
    assert refused.value.field == "dose_number"
    assert Dose.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "12345"}, "id_number"),
        ({"name": " "}, "name"),
        ({"dose_number": 6}, "dose_number"),
        ({"vaccine": ""}, "vaccine"),
        ({"administered_at": datetime.datetime(2099, 1, 1, tzinfo=SHANGHAI)}, "administered_at"),
    ],
)
def test_it_names_the_bad_field(city, change, field):
    with pytest.raises(DoseError) as refused:
        dose(city.shifan, valid_id_number(serial=13), **change)
    assert refused.value.field == field


def test_it_lets_a_vaccinator_record_on_the_page(city):
    vaccinator = make_user("vaccinator_chuanhui", "vaccinator", city.chuanhui)
    client = logged_in(vaccinator)
    page = client.get("/vaccination/doses/new/")
    assert page.status_code == 200
    assert "登记接种" in page.content.decode()
    key = uuid.uuid4()
    form = {
        "id_number": valid_id_number(prefix="410102", serial=14),
        "name": "王外地",
        "dose_number": "1",
        "vaccine": "新冠病毒灭活疫苗(Vero细胞)/北京生物",
        "batch": "202108001",
        "administered_at": "2021-08-12T09:30",
        "unit": city.chuanhui.code,
        "site": "城南接种点",
        "client_uuid": str(key),
    }
    response = client.post("/vaccination/doses/new/", form)
    assert response.status_code == 302
    assert client.post("/vaccination/doses/new/", form).status_code == 302  # retried: one dose
    recorded = Dose.objects.get()
    assert recorded.administered_at == GIVEN
    assert recorded.recorded_by == "user:vaccinator_chuanhui"
    listing = client.get("/vaccination/doses/new/").content.decode()
    assert "王外地" in listing and "410102********" in listing


def test_it_keeps_the_page_to_the_vaccinators_area(city):
    vaccinator = make_user("vaccinator_chuanhui", "vaccinator", city.chuanhui)
    client = logged_in(vaccinator)
    form = {
        "id_number": valid_id_number(serial=15),
        "name": "王五",
        "dose_number": "1",
        "vaccine": "科兴",
        "administered_at": "2021-08-12T09:30",
        "unit": city.shifan.code,
        "client_uuid": str(uuid.uuid4()),
    }
    response = client.post("/vaccination/doses/new/", form)
    assert response.status_code == 200  # not a choice for this vaccinator
    assert Dose.objects.count() == 0
    cadre = make_user("cadre_x", "cadre", city.shenghe)
    assert logged_in(cadre).get("/vaccination/doses/new/").status_code == 403


def test_it_shows_a_duplicate_dose_as_a_form_error(city):
    vaccinator = make_user("vaccinator_chuanhui", "vaccinator", city.chuanhui)
    number = valid_id_number(serial=16)
    dose(city.chuanhui, number)
    form = {
        "id_number": number,
        "name": "张立新",
        "dose_number": "1",
        "vaccine": "科兴",
        "administered_at": "2021-08-12T10:30",
        "unit": city.chuanhui.code,
        "client_uuid": str(uuid.uuid4()),
    }
    response = logged_in(vaccinator).post("/vaccination/doses/new/", form)
    assert response.status_code == 200
    assert "已有登记" in response.content.decode()
