"""Staff pages: creating checkpoints (page, command, admin), the duty page
over htmx, figures, the day's register with masked and unmasked numbers."""

from __future__ import annotations

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.checkpoints import services
from fangkong.checkpoints.models import Checkpoint, Entry
from fangkong.core import personal_data
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, logged_in, make_user


@pytest.fixture
def staff_client(gate_staff):
    return logged_in(gate_staff)


def duty_post(client, checkpoint, **fields):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "observed_at": timezone.now().isoformat(),
        "identifier": "",
        "mask": "1",
        "health_code": "green",
        "itinerary_star": "0",
        "direction": "in",
        "temperature": "36.5",
        **fields,
    }
    return client.post(
        f"/checkpoints/{checkpoint.pk}/duty/register/", data, headers={"HX-Request": "true"}
    )


def admin_checkpoint_post(client, url, unit, staff=(), initial=0, **fields):
    """POST the admin's checkpoint form: the default policy, `fields` over
    it, and `staff` as the inline rows (dicts of their fields)."""
    data = {
        "unit": unit.pk,
        "name": "北门",
        "kind": "compound_gate",
        "is_active": "on",
        "fever_threshold": "37.3",
        "mask_required": "on",
        "admitted_health_codes": '["green"]',
        "star_action": "deny",
        "negative_test_hours": "48",
        "denied_statuses": '["positive"]',
        "checkpointstaff_set-TOTAL_FORMS": str(len(staff)),
        "checkpointstaff_set-INITIAL_FORMS": str(initial),
        **fields,
    }
    for index, row in enumerate(staff):
        data.update({f"checkpointstaff_set-{index}-{key}": value for key, value in row.items()})
    return client.post(url, data)


def test_it_creates_a_checkpoint_from_the_command_line(city):
    out = io.StringIO()
    call_command("checkpoint", "add", "--unit", city.shenghe.code, "--name", "东门", stdout=out)
    checkpoint = Checkpoint.objects.get(pk=int(out.getvalue().strip()))
    assert (checkpoint.unit, checkpoint.name, checkpoint.kind) == (
        city.shenghe,
        "东门",
        "compound_gate",
    )
    assert checkpoint.fever_threshold == Decimal("37.3")
    assert checkpoint.admitted_health_codes == ["green"]
    assert checkpoint.star_action == "deny"
    assert not checkpoint.negative_test_required
    assert sorted(checkpoint.denied_statuses) == [
        "central_quarantine",
        "close_contact",
        "home_quarantine",
        "positive",
    ]
    assert AuditEvent.objects.filter(action="checkpoints.create").exists()


def test_it_names_the_option_of_an_unknown_unit_on_the_command_line(city):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--unit: unknown unit code NOPE"):
        call_command("checkpoint", "add", "--unit", "NOPE", "--name", "东门")


def test_it_creates_a_checkpoint_on_a_page(cadre_client, city):
    response = cadre_client.post(
        "/checkpoints/new/",
        {
            "unit": city.shenghe.code,
            "name": "西门",
            "fever_threshold": "37.3",
            "mask_required": "on",
            "admitted_health_codes": ["green"],
            "star_action": "flag",
            "negative_test_hours": "48",
            "denied_statuses": ["positive", "home_quarantine"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    checkpoint = Checkpoint.objects.get(name="西门")
    assert checkpoint.star_action == "flag"
    assert checkpoint.denied_statuses == ["home_quarantine", "positive"]


def test_it_refuses_a_checkpoint_outside_the_area(cadre_client, city):
    response = cadre_client.post(
        "/checkpoints/new/",
        {
            "unit": city.zhangbukou.code,
            "name": "村口",
            "fever_threshold": "37.3",
            "admitted_health_codes": ["green"],
            "star_action": "deny",
            "negative_test_hours": "48",
        },
    )
    assert response.status_code == 200
    assert not Checkpoint.objects.exists()


def test_it_creates_a_checkpoint_in_the_admin(city):
    admin = make_user("root", is_superuser=True)
    client = logged_in(admin)
    response = admin_checkpoint_post(client, "/admin/checkpoints/checkpoint/add/", city.shenghe)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Checkpoint.objects.get().name == "北门"
    assert AuditEvent.objects.filter(action="checkpoints.create").exists()
    assert client.get("/admin/checkpoints/entry/").status_code == 200


def test_it_binds_staff_in_the_admin_through_the_service(city, north_gate, gate_staff):
    from fangkong.checkpoints.models import CheckpointStaff

    other = make_user("gate_second", "gate_staff", city.shenghe)
    outsider = make_user("gate_village", "gate_staff", city.zhangbukou)
    client = logged_in(make_user("root", is_superuser=True))
    binding = CheckpointStaff.objects.get(checkpoint=north_gate, user=gate_staff)

    def change(user):
        return admin_checkpoint_post(
            client,
            f"/admin/checkpoints/checkpoint/{north_gate.pk}/change/",
            city.shenghe,
            staff=[
                {"id": binding.pk, "checkpoint": north_gate.pk, "user": gate_staff.pk},
                {"checkpoint": north_gate.pk, "user": user.pk},
            ],
            initial=1,
        )

    assert change(outsider).status_code == 200  # refused, shown on the form
    assert change(other).status_code == 302
    assert set(north_gate.staff.values_list("username", flat=True)) == {
        "gate_shenghe",
        "gate_second",
    }
    assert AuditEvent.objects.filter(action="checkpoints.bind_staff").count() == 2


def test_it_keeps_the_unit_and_audits_every_change_in_the_admin(city, north_gate):
    client = logged_in(make_user("root", is_superuser=True))
    url = f"/admin/checkpoints/checkpoint/{north_gate.pk}/change/"
    assert 'name="unit"' not in client.get(url).content.decode()
    response = admin_checkpoint_post(client, url, city.zhangbukou, kind="other")
    assert response.status_code == 302, response.content.decode()[:2000]
    north_gate.refresh_from_db()
    assert (north_gate.unit, north_gate.kind) == (city.shenghe, "other")
    event = AuditEvent.objects.filter(action="checkpoints.update").get()
    assert "kind" in event.detail["changed"] and "unit" not in event.detail["changed"]


def test_it_writes_only_the_fields_update_checkpoint_audits(city, north_gate):
    before = north_gate.updated_at
    north_gate.unit = city.zhangbukou  # a change the service neither checks nor audits
    services.update_checkpoint(SYSTEM, north_gate, mask_required=False)
    north_gate.refresh_from_db()
    assert north_gate.unit == city.shenghe
    assert not north_gate.mask_required
    assert north_gate.updated_at > before


def test_it_does_not_rebind_a_changed_user_in_the_admin_inline(city, north_gate, gate_staff):
    from fangkong.checkpoints.models import CheckpointStaff

    make_user("gate_second", "gate_staff", city.shenghe)
    other = make_user("gate_third", "gate_staff", city.shenghe)
    client = logged_in(make_user("root", is_superuser=True))
    binding = CheckpointStaff.objects.get(checkpoint=north_gate, user=gate_staff)
    response = admin_checkpoint_post(
        client,
        f"/admin/checkpoints/checkpoint/{north_gate.pk}/change/",
        city.shenghe,
        staff=[{"id": binding.pk, "checkpoint": north_gate.pk, "user": other.pk}],
        initial=1,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(north_gate.staff.values_list("username", flat=True)) == ["gate_shenghe"]
    assert AuditEvent.objects.filter(action="checkpoints.bind_staff").count() == 1


def test_it_lets_no_pass_code_be_deleted_in_the_admin(resident, resident_code):
    from fangkong.checkpoints.models import PassCode

    client = logged_in(make_user("root", is_superuser=True))
    url = f"/admin/checkpoints/passcode/{resident.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert PassCode.objects.filter(person=resident).exists()


SETTINGS = {
    "name": "北门",
    "kind": "compound_gate",
    "is_active": "on",
    "fever_threshold": "37.3",
    "mask_required": "on",
    "admitted_health_codes": ["green"],
    "star_action": "deny",
    "negative_test_hours": "48",
    "denied_statuses": ["positive"],
}


def test_it_changes_the_kind_on_the_settings_page(cadre_client, north_gate):
    response = cadre_client.post(
        f"/checkpoints/{north_gate.pk}/edit/", {**SETTINGS, "kind": "school_gate"}
    )
    assert response.status_code == 302
    north_gate.refresh_from_db()
    assert north_gate.kind == "school_gate"
    assert "kind" in AuditEvent.objects.get(action="checkpoints.update").detail["changed"]


def test_it_creates_a_closed_checkpoint_on_a_page(cadre_client, city):
    settings = {key: value for key, value in SETTINGS.items() if key != "is_active"}
    response = cadre_client.post("/checkpoints/new/", {**settings, "unit": city.shenghe.code})
    assert response.status_code == 302
    assert not Checkpoint.objects.get(name="北门").is_active


def test_it_refuses_an_unknown_kind_and_too_long_a_test_window(north_gate):
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(services.CheckpointError) as kind:
            services.update_checkpoint(SYSTEM, north_gate, kind="moat")
        with pytest.raises(services.CheckpointError) as hours:
            services.update_checkpoint(SYSTEM, north_gate, negative_test_hours=24 * 14 + 1)
    assert (kind.value.field, str(kind.value)) == ("kind", "未知的卡点类型")
    assert (hours.value.field, str(hours.value)) == (
        "negative_test_hours",
        "须在 1 至 336 小时之间",
    )


def test_it_refreshes_the_recent_entries_without_counting_the_day(
    staff_client, north_gate, monkeypatch
):
    from fangkong.checkpoints import queries

    def no_counts(checkpoint):
        raise AssertionError("the recent entries need no counts")

    monkeypatch.setattr(queries, "today_counts", no_counts)
    response = staff_client.get(f"/checkpoints/{north_gate.pk}/duty/recent/")
    assert response.status_code == 200
    assert "new_uuid" not in response.context
    assert "最近登记" in response.content.decode()


def test_it_shows_the_duty_page_in_chinese(staff_client, north_gate):
    page = staff_client.get(f"/checkpoints/{north_gate.pk}/duty/").content.decode()
    assert "扫通行码或输入身份证号" in page
    assert "未戴口罩" in page
    assert 'name="viewport"' in page


def test_it_registers_from_the_duty_page(staff_client, north_gate, resident_code, gate_staff):
    response = duty_post(staff_client, north_gate, identifier=resident_code, mask="0")
    page = response.content.decode()
    assert "禁止" in page and "未戴口罩" in page
    assert 'hx-swap-oob="true"' in page
    response = duty_post(staff_client, north_gate, identifier=resident_code, temperature="368")
    assert "通行" in response.content.decode()
    second = Entry.objects.order_by("id").last()
    assert second.temperature == Decimal("36.8")
    assert second.attempt == 2
    assert second.operator == gate_staff
    assert second.method == "duty_page"


def test_it_shows_a_measuring_error_without_recording(staff_client, north_gate, resident_code):
    page = duty_post(staff_client, north_gate, identifier=resident_code, temperature="12.0")
    assert "请重新测量体温" in page.content.decode()
    assert 'data-field="temperature"' in page.content.decode()
    assert not Entry.objects.exists()


def test_it_registers_an_elder_picked_from_the_archive(staff_client, north_gate, city):
    from fangkong.core.testing import make_person

    elder = make_person(city.shenghe, "刘秀英", household="2号楼1单元01室", has_smartphone=False)
    found = staff_client.get(
        f"/checkpoints/{north_gate.pk}/duty/lookup/", {"household": "2号楼"}
    ).content.decode()
    assert "刘秀英" in found and "无智能手机" in found
    page = duty_post(staff_client, north_gate, person_id=str(elder.pk), health_code="none")
    assert "通行" in page.content.decode()
    assert Entry.objects.get().identified_by == "person"


def test_it_registers_a_visitor_from_the_duty_page(staff_client, north_gate):
    from fangkong.core.testing import valid_id_number

    page = duty_post(
        staff_client,
        north_gate,
        visitor_name="王丽",
        visitor_phone="13912340000",
        visitor_id_number=valid_id_number(),
        visitor_reason="探亲",
        visitor_visiting="1号楼1单元01室",
    ).content.decode()
    assert "通行" in page and "王丽" in page


def test_it_counts_the_day_and_exports_masked_numbers(
    staff_client, cadre_client, north_gate, resident, resident_code, city
):
    for fields in ({"mask": "0"}, {}, {"health_code": "red"}):
        duty_post(staff_client, north_gate, identifier=resident_code, **fields)
    day = timezone.localdate().isoformat()
    figures = staff_client.get(f"/api/v1/checkpoints/{north_gate.pk}/figures").json()
    assert (figures["entries"], figures["admitted"], figures["denied"]) == (3, 1, 2)
    assert figures["denied_then_admitted"] == 1
    assert figures["denied_by_reason"] == {"no_mask": 1, "red_code": 1}
    assert sum(figures["entries_by_hour"]) == 3
    page = staff_client.get(f"/checkpoints/{north_gate.pk}/figures/", {"day": day}).content.decode()
    assert "劝返后通行" in page
    response = cadre_client.get(f"/checkpoints/{north_gate.pk}/register.xlsx", {"day": day})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 + 3
    number = personal_data.decrypt(resident.id_number_encrypted)
    assert rows[2][3] == resident.masked_id_number
    assert all(number not in str(row) for row in rows)
    assert not AuditEvent.objects.filter(action="checkpoints.export_register_unmasked").exists()


def test_it_exports_unmasked_numbers_only_to_allowed_roles_and_audits_it(
    cadre_client, north_gate, resident, resident_code, city
):
    register = services.EntryInput(
        client_uuid=uuid.uuid4(),
        observed_at=timezone.now(),
        mask=True,
        health_code="green",
        temperature=Decimal("36.4"),
        code=resident_code,
    )
    services.register_entry(SYSTEM, north_gate, register)
    url = f"/checkpoints/{north_gate.pk}/register.xlsx"
    assert cadre_client.get(url, {"unmasked": "1"}).status_code == 404
    admin = make_user("admin_shifan", "unit_admin", city.shifan)
    response = logged_in(admin).get(url, {"unmasked": "1"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][3] == personal_data.decrypt(resident.id_number_encrypted)
    event = AuditEvent.objects.get(action="checkpoints.export_register_unmasked")
    assert event.actor == admin
    assert event.detail["rows"] == 1


def test_it_sums_a_unit_s_checkpoints(cadre_client, north_gate, south_gate, city, resident_code):
    for checkpoint in (north_gate, south_gate):
        services.register_entry(
            SYSTEM,
            checkpoint,
            services.EntryInput(
                client_uuid=uuid.uuid4(),
                observed_at=timezone.now(),
                mask=True,
                health_code="green",
                temperature=Decimal("36.4"),
                code=resident_code,
            ),
        )
    page = cadre_client.get("/checkpoints/figures/", {"unit": city.shenghe.code}).content.decode()
    assert "北门" in page and "南门" in page
    from fangkong.checkpoints import queries

    total, rows = queries.unit_figures(
        make_user("boss", "commander", city.city), city.shifan, timezone.localdate()
    )
    assert total.entries == 2
    assert [figures.entries for _checkpoint, figures in rows] == [1, 1]


def test_it_exports_the_residents_allowed_in_for_a_face_gate(
    cadre_client, north_gate, resident, city
):
    from fangkong.core.testing import make_person
    from fangkong.people.services import set_person_status

    quarantined = make_person(city.shenghe, "隔离者")
    set_person_status(SYSTEM, quarantined, "home_quarantine")
    response = cadre_client.get(f"/checkpoints/{north_gate.pk}/allowed-residents.csv")
    text = response.content.decode("utf-8-sig")
    assert "张立新" in text and "隔离者" not in text
    assert personal_data.decrypt(resident.id_number_encrypted) not in text
    assert AuditEvent.objects.filter(action="checkpoints.export_allowed_residents").exists()


def test_it_lists_the_day_in_local_time(north_gate, resident):
    from fangkong.checkpoints import queries

    late = timezone.make_aware(datetime.datetime(2021, 8, 9, 23, 30))
    services.register_entry(
        SYSTEM,
        north_gate,
        services.EntryInput(
            client_uuid=uuid.uuid4(),
            observed_at=late,
            mask=True,
            health_code="green",
            temperature=Decimal("36.4"),
            person_id=resident.pk,
        ),
        now=late,
    )
    # Calendar days in Asia/Shanghai: the late check belongs to the evening of the 9th.
    evening, next_day = datetime.date(2021, 8, 9), datetime.date(2021, 8, 10)
    assert queries.checkpoint_figures(north_gate, evening).entries == 1
    assert queries.checkpoint_figures(north_gate, next_day).entries == 0
    hours = dict(queries.checkpoint_figures(north_gate, evening).by_hour)
    assert hours[23] == 1
