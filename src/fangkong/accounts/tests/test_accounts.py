"""Users, roles at units, device tokens, login throttling."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import (
    authenticate_device_token,
    create_device_token,
    hash_device_token,
    revoke_device_token,
)
from fangkong.core.models import AuditEvent
from fangkong.core.testing import PASSWORD, SYSTEM, make_user


def test_it_hashes_passwords_with_argon2_in_production_settings():
    assert settings.PASSWORD_HASHERS  # the test fixture swaps in a fast hasher
    from fangkong import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_it_scopes_a_role_to_its_units_subtree(city):
    cadre = make_user("c", "cadre", city.shenghe_community)
    assert cadre.can("people.view", city.shenghe)
    assert not cadre.can("people.view", city.zhangbukou)
    assert not cadre.can("bulletins.issue")
    gate = make_user("g", "gate_staff", city.shenghe)
    assert gate.can("people.view", city.shenghe) and not gate.can("people.reveal", city.shenghe)


def test_it_prints_a_device_token_once_and_stores_only_its_hash(city):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "device-token", "--unit", city.shenghe.code, "--name", "北门扫码枪", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    device = DeviceToken.objects.get()
    assert token.startswith("fkd_") and len(token) > 40
    assert device.token_hash == hash_device_token(token) and token not in device.token_hash
    assert authenticate_device_token(token) == device
    assert authenticate_device_token(token + "x") is None


def test_it_refuses_a_revoked_device_token(city, resident):
    device, token = create_device_token(SYSTEM, unit=city.shenghe, name="gate")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(f"/api/v1/people/people/{resident.pk}").status_code == 200
    revoke_device_token(SYSTEM, device)
    assert client.get(f"/api/v1/people/people/{resident.pk}").status_code == 401
    assert AuditEvent.objects.filter(action="accounts.revoke_device_token").exists()


def test_it_keeps_a_device_inside_its_unit(city, villager):
    _device, token = create_device_token(SYSTEM, unit=city.shenghe, name="gate")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(f"/api/v1/people/people/{villager.pk}").status_code == 404


def test_it_locks_a_login_after_repeated_failures(cadre):
    client = Client()
    statuses = [
        client.post(
            "/accounts/login/", {"username": cadre.username, "password": "wrong"}
        ).status_code
        for _attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    # Wrong passwords are answered by the form until the limit; the last one locks.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = client.post("/accounts/login/", {"username": cadre.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_logs_in_with_the_right_password(cadre):
    client = Client()
    response = client.post("/accounts/login/", {"username": cadre.username, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert "People" in home.content.decode() or "人员" in home.content.decode()


def test_it_shows_each_role_only_its_links(city):
    gate = make_user("gate", "gate_staff", city.shenghe)
    client = Client()
    client.force_login(gate)
    page = client.get("/").content.decode()
    assert "/people/import/" not in page
    cadre = make_user("cadre", "cadre", city.shenghe)
    client.force_login(cadre)
    assert "/people/import/" in client.get("/").content.decode()


@pytest.mark.parametrize("path", ["/", "/people/", "/regions/"])
def test_it_sends_anonymous_visitors_to_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
