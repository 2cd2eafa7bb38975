"""Who may post to and read which checkpoint: gate staff only where bound,
office roles in their subtree, devices in their unit's subtree."""

from __future__ import annotations

import pytest
from django.test import Client

from fangkong.accounts.services import revoke_device_token
from fangkong.checkpoints import services
from fangkong.checkpoints.models import CheckpointStaff, Entry
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, logged_in, make_user

from .support import body, post


@pytest.fixture
def staff_client(gate_staff):
    return logged_in(gate_staff)


def test_it_lets_gate_staff_post_at_their_own_checkpoint(
    staff_client, gate_staff, north_gate, resident_code
):
    response = post(staff_client, north_gate, body(code=resident_code))
    assert response.status_code == 201
    assert Entry.objects.get().operator == gate_staff


def test_it_keeps_gate_staff_from_another_gate_of_their_own_compound(
    staff_client, south_gate, resident_code
):
    assert post(staff_client, south_gate, body(code=resident_code)).status_code == 404
    assert staff_client.get(f"/api/v1/checkpoints/{south_gate.pk}/policy").status_code == 404
    assert staff_client.get(f"/api/v1/checkpoints/{south_gate.pk}/figures").status_code == 404
    assert staff_client.get(f"/checkpoints/{south_gate.pk}/duty/").status_code == 404
    assert staff_client.get(f"/checkpoints/{south_gate.pk}/figures/").status_code == 404
    assert not Entry.objects.exists()


def test_it_keeps_gate_staff_from_another_unit_s_checkpoint(
    staff_client, village_gate, resident_code
):
    assert post(staff_client, village_gate, body(code=resident_code)).status_code == 404
    assert staff_client.get(f"/api/v1/checkpoints/{village_gate.pk}/policy").status_code == 404
    assert staff_client.get(f"/checkpoints/{village_gate.pk}/register.xlsx").status_code == 404


def test_it_lets_gate_staff_read_only_their_checkpoint(staff_client, north_gate, south_gate):
    assert staff_client.get(f"/api/v1/checkpoints/{north_gate.pk}/policy").status_code == 200
    page = staff_client.get("/checkpoints/").content.decode()
    assert "北门" in page
    assert "南门" not in page


def test_it_lets_a_cadre_work_at_every_gate_of_their_compound(
    cadre_client, north_gate, south_gate, village_gate, resident_code
):
    assert post(cadre_client, north_gate, body(code=resident_code)).status_code == 201
    assert post(cadre_client, south_gate, body(code=resident_code)).status_code == 201
    assert post(cadre_client, village_gate, body(code=resident_code)).status_code == 404


def test_it_keeps_a_device_to_its_unit(
    scanner_client, village_scanner_client, north_gate, village_gate, resident_code
):
    assert post(scanner_client, village_gate, body(code=resident_code)).status_code == 404
    assert scanner_client.get(f"/api/v1/checkpoints/{village_gate.pk}/policy").status_code == 404
    assert post(village_scanner_client, north_gate, body(code=resident_code)).status_code == 404
    assert post(village_scanner_client, village_gate, body(code=resident_code)).status_code == 201


def test_it_refuses_a_revoked_token_and_anonymous_callers(
    scanner, scanner_client, north_gate, resident_code
):
    revoke_device_token(SYSTEM, scanner[0])
    assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 401
    assert post(Client(), north_gate, body(code=resident_code)).status_code == 401
    assert not Entry.objects.exists()


def test_it_keeps_other_roles_out(city, north_gate, resident_code):
    sampler = make_user("sampler", "sampler", city.shenghe)
    assert post(logged_in(sampler), north_gate, body(code=resident_code)).status_code == 404


def test_it_binds_only_staff_who_can_work_there(city, north_gate):
    from fangkong.core.errors import FieldError

    outsider = make_user("gate_village", "gate_staff", city.zhangbukou)
    with pytest.raises(FieldError):
        services.bind_staff(SYSTEM, north_gate, outsider)
    assert not CheckpointStaff.objects.filter(user=outsider).exists()
    assert logged_in(outsider).get(f"/checkpoints/{north_gate.pk}/duty/").status_code == 404
    cadre = make_user("cadre2", "cadre", city.shenghe_community)
    services.bind_staff(SYSTEM, north_gate, cadre)
    assert CheckpointStaff.objects.filter(checkpoint=north_gate, user=cadre).exists()

    # Gate staff of the compound do duty at the gates they are bound to, once bound.
    newcomer = make_user("gate_new", "gate_staff", city.shenghe)
    newcomer_client = logged_in(newcomer)
    assert newcomer_client.get(f"/checkpoints/{north_gate.pk}/duty/").status_code == 404
    binding = services.bind_staff(SYSTEM, north_gate, newcomer)
    assert CheckpointStaff.objects.get(checkpoint=north_gate, user=newcomer) == binding
    duty = newcomer_client.get(f"/checkpoints/{north_gate.pk}/duty/")
    assert duty.status_code == 200
    assert "北门" in duty.content.decode()
    assert AuditEvent.objects.filter(
        action="checkpoints.bind_staff", detail__user=newcomer.pk
    ).exists()


def test_it_keeps_the_archive_search_to_the_gate(staff_client, north_gate, resident, villager):
    found = staff_client.get(
        f"/api/v1/checkpoints/{north_gate.pk}/archive",
        {"name": "张", "last4": resident.id_number_last4},
    ).json()
    assert [person["name"] for person in found] == ["张立新"]
    assert "*" in found[0]["id_number_masked"]
    nobody = staff_client.get(
        f"/api/v1/checkpoints/{north_gate.pk}/archive",
        {"name": "张", "last4": villager.id_number_last4},
    ).json()
    assert all(person["name"] != "张战国" for person in nobody)
    # A name alone lists nobody: the archive is not a directory.
    assert (
        staff_client.get(f"/api/v1/checkpoints/{north_gate.pk}/archive", {"name": "张"}).json()
        == []
    )
