"""Owner/other personas: a cadre of 盛和家园 and a cadre of 张埠口村."""

from fangkong.core.models import AuditEvent


def test_it_shows_the_owner_their_resident_masked(cadre_client, resident):
    response = cadre_client.get(f"/people/{resident.pk}/")
    assert response.status_code == 200
    assert resident.masked_id_number in response.content.decode()
    assert resident.masked_id_number.startswith("411602********")


def test_it_answers_404_for_a_resident_of_another_unit(cadre_client, villager):
    assert cadre_client.get(f"/people/{villager.pk}/").status_code == 404
    assert cadre_client.get("/people/999999/").status_code == 404


def test_it_hides_other_units_from_search(cadre_client, resident, villager):
    page = cadre_client.get("/people/", {"q": "张"}).content.decode()
    assert "张立新" in page
    assert "张战国" not in page


def test_it_hides_other_units_from_the_api(cadre_client, resident, villager):
    found = cadre_client.get("/api/v1/people/people", {"q": "张"}).json()
    assert [person["name"] for person in found] == ["张立新"]
    assert cadre_client.get(f"/api/v1/people/people/{villager.pk}").status_code == 404


def test_it_audits_an_unmasked_view(cadre_client, cadre, resident):
    from fangkong.core import personal_data

    response = cadre_client.post(f"/people/{resident.pk}/reveal/")
    assert response.status_code == 200
    assert personal_data.decrypt(resident.id_number_encrypted) in response.content.decode()
    event = AuditEvent.objects.get(action="people.reveal")
    assert event.actor == cadre
    assert event.object_id == str(resident.pk)
    assert event.unit == resident.home_unit


def test_it_refuses_an_unmasked_view_outside_the_area(cadre_client, villager):
    assert cadre_client.post(f"/people/{villager.pk}/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(action="people.reveal").exists()


def test_it_exports_residents_masked_by_default(cadre_client, city, resident, villager):
    import io

    from openpyxl import load_workbook

    response = cadre_client.get("/people/export/", {"unit": city.shenghe.code, "format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["张立新"]
    assert rows[1][1] == resident.masked_id_number and rows[1][2] == "138****5678"
    assert not AuditEvent.objects.filter(action="people.export_unmasked").exists()


def test_it_audits_an_unmasked_export_and_refuses_it_outside_the_area(
    cadre_client, cadre, city, resident, villager
):
    from fangkong.core import personal_data

    response = cadre_client.get("/people/export/", {"unit": city.shenghe.code, "unmasked": "1"})
    text = response.content.decode("utf-8-sig")
    assert personal_data.decrypt(resident.id_number_encrypted) in text
    assert "13812345678" in text
    event = AuditEvent.objects.get(action="people.export_unmasked")
    assert event.actor == cadre and event.detail == {"count": 1}
    outside = cadre_client.get("/people/export/", {"unit": city.zhangbukou.code, "unmasked": "1"})
    assert outside.status_code == 404


def test_it_refuses_an_unmasked_export_to_gate_staff(city, resident):
    from fangkong.core.testing import logged_in, make_user

    gate = logged_in(make_user("gate", "gate_staff", city.shenghe))
    assert gate.get("/people/export/", {"unit": city.shenghe.code}).status_code == 200
    assert (
        gate.get("/people/export/", {"unit": city.shenghe.code, "unmasked": "1"}).status_code == 404
    )
