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
