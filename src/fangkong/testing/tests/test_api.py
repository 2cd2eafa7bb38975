"""POST /api/v1/testing/samples for offline devices: device token, one of
code | id_number | person_id, idempotent by client_uuid, 422 naming the field."""

import datetime
import types
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.accounts.services import create_device_token
from fangkong.core.errors import FieldError
from fangkong.core.testing import SYSTEM, make_person, valid_id_number
from fangkong.people.models import Person
from fangkong.testing import identify
from fangkong.testing.models import Sample, Tube

URL = "/api/v1/testing/samples"


@pytest.fixture
def device(city):
    _device, token = create_device_token(SYSTEM, unit=city.shenghe, name="盛和家园采样平板")
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def payload(site, **fields):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "site_id": site.pk,
        "tube_barcode": "A0001",
        "collected_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
    }
    body.update(fields)
    return body


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def field_of(response):
    return response.json()["detail"][0]["loc"][-1]


def test_it_records_a_sample_by_id_number_and_answers_201(device, site, resident):
    number = resident_number(resident)
    response = post(device, payload(site, id_number=number))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["person_id"] == resident.pk
    assert (body["tube_count"], body["tube_capacity"], body["tube_sealed"]) == (1, 10, False)
    assert body["id_number_masked"] == resident.masked_id_number
    assert number not in response.content.decode()


def test_it_is_idempotent_by_client_uuid(device, site, resident):
    body = payload(site, person_id=resident.pk)
    first = post(device, body)
    again = post(device, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Sample.objects.count() == 1
    assert Tube.objects.get(barcode="A0001").sample_count == 1
    reused = post(device, {**body, "tube_barcode": "A0002"})
    assert reused.status_code == 409 and field_of(reused) == "client_uuid"


def test_it_needs_a_reason_for_a_second_sample(device, site, resident):
    assert post(device, payload(site, person_id=resident.pk)).status_code == 201
    second = post(device, payload(site, person_id=resident.pk, tube_barcode="A0002"))
    assert second.status_code == 422 and field_of(second) == "reason"
    with_reason = payload(site, person_id=resident.pk, tube_barcode="A0002", reason="管子破损")
    response = post(device, with_reason)
    assert response.status_code == 201 and response.json()["kind"] == "repeat"


def test_it_answers_422_on_a_full_tube(device, site, many_people):
    people = many_people(11)
    for person in people[:10]:
        assert post(device, payload(site, person_id=person.pk)).status_code == 201
    full = post(device, payload(site, person_id=people[10].pk))
    assert full.status_code == 422 and field_of(full) == "tube_barcode"


def test_it_wants_exactly_one_way_to_name_the_person(device, site, resident):
    neither = post(device, payload(site))
    assert neither.status_code == 422 and field_of(neither) == "code"
    both = post(device, payload(site, person_id=resident.pk, id_number=resident_number(resident)))
    assert both.status_code == 422
    unknown_field = post(device, payload(site, person_id=resident.pk, colour="red"))
    assert unknown_field.status_code == 422


def test_it_registers_a_visitor_given_a_name(device, site, city):
    number = valid_id_number("410102", "19751212")
    nameless = post(device, payload(site, id_number=number))
    assert nameless.status_code == 422 and field_of(nameless) == "id_number"
    response = post(device, payload(site, id_number=number, name="过路人"))
    assert response.status_code == 201
    visitor = Person.objects.get(pk=response.json()["person_id"])
    assert (visitor.is_resident, visitor.home_unit) == (False, city.shenghe)


def test_it_says_pass_codes_are_unavailable_without_a_providing_app(device, site, monkeypatch):
    monkeypatch.setattr(identify, "app_modules", lambda name: iter([]))
    response = post(device, payload(site, code="FK-PASS-0001"))
    assert response.status_code == 422 and field_of(response) == "code"
    assert response.json()["detail"][0]["msg"] == "通行码功能不可用"  # pass codes are not available


def test_it_samples_by_a_real_pass_code_and_refuses_a_reissued_one(device, site, resident):
    """Integration with the checkpoints app's signed pass codes (一人一码)."""
    from fangkong.checkpoints.services import code_for, issue_pass_code

    first = code_for(issue_pass_code(SYSTEM, resident))
    response = post(device, payload(site, code=first))
    assert response.status_code == 201 and response.json()["person_id"] == resident.pk
    code_for(issue_pass_code(SYSTEM, resident, reissue=True))
    stale = post(device, payload(site, code=first, tube_barcode="A0002", reason="复采"))
    assert stale.status_code == 422 and field_of(stale) == "code"
    assert stale.json()["detail"][0]["msg"] == "通行码已作废（已重新签发）"
    tampered = post(device, payload(site, code=first[:-2] + "AA", tube_barcode="A0003"))
    assert tampered.status_code == 422 and field_of(tampered) == "code"


def test_it_resolves_a_pass_code_through_the_providing_app(device, site, resident, monkeypatch):
    def person_id_from_pass_code(code):
        if code != "GOOD":
            raise FieldError("code", "revoked pass code")
        return resident.pk

    provider = types.SimpleNamespace(person_id_from_pass_code=person_id_from_pass_code)
    monkeypatch.setattr(identify, "app_modules", lambda name: iter([("checkpoints", provider)]))
    response = post(device, payload(site, code="GOOD"))
    assert response.status_code == 201 and response.json()["person_id"] == resident.pk
    revoked = post(device, payload(site, code="OLD", tube_barcode="A0002"))
    assert revoked.status_code == 422 and field_of(revoked) == "code"
    assert revoked.json()["detail"][0]["msg"] == "revoked pass code"


def test_it_keeps_a_device_to_its_own_area(device, testing_round, site, city, villager):
    from fangkong.testing.services import create_site

    village_site = create_site(SYSTEM, round=testing_round, unit=city.zhangbukou, name="村采样点")
    elsewhere = post(device, payload(village_site, id_number=resident_number(villager)))
    assert elsewhere.status_code == 422 and field_of(elsewhere) == "site_id"
    by_id = post(device, payload(site, person_id=villager.pk))
    assert by_id.status_code == 422 and field_of(by_id) == "person_id"
    # A full ID number finds anyone who comes to the site.
    assert post(device, payload(site, id_number=resident_number(villager))).status_code == 201


def test_it_lists_the_devices_sites_and_seals_a_tube(device, site, resident):
    sites = device.get("/api/v1/testing/sites").json()
    assert [entry["id"] for entry in sites] == [site.pk]
    assert sites[0]["tube_size"] == 10
    post(device, payload(site, person_id=resident.pk))
    sealed = device.post(
        "/api/v1/testing/tubes/seal",
        {"site_id": site.pk, "tube_barcode": "A0001"},
        content_type="application/json",
    )
    assert sealed.status_code == 200 and sealed.json()["sealed"] is True


def test_it_refuses_anonymous_callers(site, resident):
    assert post(Client(), payload(site, person_id=resident.pk)).status_code == 401


def test_it_lets_a_sampler_use_the_api_with_a_session(site, city, resident):
    from fangkong.core.testing import logged_in, make_user

    sampler = logged_in(make_user("sampler", "sampler", city.shenghe))
    sampler.defaults["HTTP_X_CSRFTOKEN"] = "x"
    response = post(sampler, payload(site, person_id=resident.pk))
    assert response.status_code == 201


def resident_number(person):
    from fangkong.core import personal_data

    return personal_data.decrypt(person.id_number_encrypted)


def test_it_samples_a_resident_from_another_area_by_id_number(device, site, city):
    outsider = make_person(city.chuanhui, "王五")
    response = post(device, payload(site, id_number=resident_number(outsider)))
    assert response.status_code == 201 and response.json()["person_id"] == outsider.pk
