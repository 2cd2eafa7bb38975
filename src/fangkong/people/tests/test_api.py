"""The people API: strict schemas, errors that name the field, tokens, CSRF."""

import json

from fangkong.accounts.services import create_device_token
from fangkong.core.testing import SYSTEM, valid_id_number
from fangkong.people.models import Person


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_it_registers_a_person_and_masks_the_answer(cadre_client, city):
    number = valid_id_number()
    response = post(
        cadre_client,
        "/api/v1/people/people",
        {
            "name": "杜宜霖",
            "id_number": number.lower(),
            "home_unit_code": city.shenghe.code,
            "phone": "13700001111",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert body["phone_masked"] == "137****1111"
    assert Person.objects.with_id_number(number).exists()


def test_it_names_the_field_of_a_bad_id_number(cadre_client, city):
    bad = valid_id_number()[:-1] + "Z"
    response = post(
        cadre_client,
        "/api/v1/people/people",
        {"name": "x", "id_number": bad, "home_unit_code": city.shenghe.code},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "id_number"]
    assert not Person.objects.exists()


def test_it_rejects_unknown_fields_by_name(cadre_client, city):
    response = post(
        cadre_client,
        "/api/v1/people/people",
        {
            "name": "x",
            "id_number": valid_id_number(),
            "home_unit_code": city.shenghe.code,
            "nickname": "y",
        },
    )
    assert response.status_code == 422
    assert any("nickname" in item["loc"] for item in response.json()["detail"])
    assert not Person.objects.exists()


def test_it_refuses_a_unit_outside_the_callers_area(cadre_client, city):
    response = post(
        cadre_client,
        "/api/v1/people/people",
        {"name": "x", "id_number": valid_id_number(), "home_unit_code": city.zhangbukou.code},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "home_unit_code"]


def test_it_requires_csrf_for_session_writes(cadre, city):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cadre)
    response = post(
        client,
        "/api/v1/people/people",
        {"name": "x", "id_number": valid_id_number(), "home_unit_code": city.shenghe.code},
    )
    assert response.status_code in (401, 403)
    assert not Person.objects.exists()


def test_it_answers_401_without_credentials(db):
    from django.test import Client

    assert Client().get("/api/v1/regions/units").status_code == 401


def test_it_lists_units_under_a_unit_for_a_device(city):
    from django.test import Client

    _device, token = create_device_token(SYSTEM, unit=city.shifan, name="tablet")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    units = client.get("/api/v1/regions/units").json()
    assert {unit["name"] for unit in units} == {
        "示范区",
        "搬口办事处",
        "盛和社区",
        "盛和家园",
        "许湾乡",
        "张埠口村",
    }
    shenghe = client.get(f"/api/v1/regions/units/{city.shenghe.code}").json()
    assert shenghe["path_names"] == ["周口市", "示范区", "搬口办事处", "盛和社区", "盛和家园"]
    assert client.get(f"/api/v1/regions/units/{city.chuanhui.code}").status_code == 404
