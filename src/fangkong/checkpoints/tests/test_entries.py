"""Registering entries through the device API: decisions, the ways to say
who, measuring errors and malformed bodies, idempotent retries, linked
attempts, the observed-at window, and the hot path's query count."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.checkpoints import services
from fangkong.checkpoints.models import Entry, Visit
from fangkong.core import personal_data
from fangkong.core.testing import SYSTEM, make_person, valid_id_number
from fangkong.people.services import set_person_status

from .support import body, minutes_ago, post


def test_it_admits_a_resident_with_a_valid_code(scanner_client, scanner, north_gate, resident_code):
    response = post(scanner_client, north_gate, body(code=resident_code))
    assert response.status_code == 201
    answer = response.json()
    assert answer["decision"] == "admit"
    assert answer["reasons"] == []
    assert answer["attempt"] == 1
    assert answer["who"].startswith("张立新 411602")
    entry = Entry.objects.get(pk=answer["entry_id"])
    assert entry.unit_id == north_gate.unit_id
    assert entry.device == scanner[0]
    assert entry.identified_by == "code"
    assert entry.temperature == pytest.approx(36.5)


def test_it_denies_with_every_reason_in_words(scanner_client, north_gate, resident_code):
    answer = post(
        scanner_client,
        north_gate,
        body(code=resident_code, mask=False, temperature=37.3, health_code="yellow"),
    ).json()
    assert answer["decision"] == "deny"
    assert answer["reasons"] == ["no_mask", "fever", "yellow_code"]
    assert answer["messages"] == ["未戴口罩", "体温异常", "健康码黄码"]


def test_it_speaks_english_when_asked(scanner_client, north_gate, resident_code):
    response = scanner_client.post(
        f"/api/v1/checkpoints/{north_gate.pk}/entries",
        body(code=resident_code, mask=False),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["messages"] == ["no mask"]


def test_it_denies_a_resident_in_home_quarantine(
    scanner_client, north_gate, resident, resident_code
):
    set_person_status(SYSTEM, resident, "home_quarantine")
    answer = post(scanner_client, north_gate, body(code=resident_code)).json()
    assert answer["reasons"] == ["quarantine"]
    leaving = post(scanner_client, north_gate, body(code=resident_code, direction="out")).json()
    assert leaving["decision"] == "deny"


@pytest.mark.parametrize("temperature", [33.9, 43.1, 0, 365])
def test_it_refuses_a_measuring_error_and_records_nothing(
    scanner_client, north_gate, resident_code, temperature
):
    response = post(scanner_client, north_gate, body(code=resident_code, temperature=temperature))
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "temperature"]
    assert "重新测量" in detail["msg"]
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"health_code": "blue"}, "health_code"),
        ({"mask": "perhaps"}, "mask"),
        ({"direction": "up"}, "direction"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"colour": "green"}, "colour"),
        ({"temperature": None}, "temperature"),
        ({"id_number": "410102198001011230"}, "id_number"),
        ({"person_id": 1}, "person_id"),
    ],
)
def test_it_names_the_field_of_a_malformed_body(
    scanner_client, north_gate, resident_code, changes, field
):
    response = post(scanner_client, north_gate, body(code=resident_code, **changes))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"][0]["loc"]
    assert not Entry.objects.exists()


def test_it_requires_someone(scanner_client, north_gate):
    response = post(scanner_client, north_gate, body())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "code"]


def test_it_refuses_two_ways_of_saying_who(scanner_client, north_gate, resident_code, resident):
    response = post(scanner_client, north_gate, body(code=resident_code, person_id=resident.pk))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "person_id"]


def test_it_refuses_a_moment_in_the_future_or_beyond_retention(
    scanner_client, north_gate, resident_code
):
    future = (timezone.now() + datetime.timedelta(minutes=10)).isoformat()
    response = post(scanner_client, north_gate, body(code=resident_code, observed_at=future))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "observed_at"]
    old = (timezone.now() - datetime.timedelta(days=29)).isoformat()
    assert (
        post(scanner_client, north_gate, body(code=resident_code, observed_at=old)).status_code
        == 422
    )
    late = (timezone.now() - datetime.timedelta(days=27)).isoformat()
    assert (
        post(scanner_client, north_gate, body(code=resident_code, observed_at=late)).status_code
        == 201
    )


def test_it_returns_the_first_result_for_a_retry(scanner_client, north_gate, resident_code):
    data = body(code=resident_code, mask=False)
    first = post(scanner_client, north_gate, data)
    retry = post(scanner_client, north_gate, data)
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "replayed": True}
    assert Entry.objects.count() == 1


def test_it_calls_the_same_uuid_with_other_content_a_conflict(
    scanner_client, north_gate, south_gate, resident_code
):
    data = body(code=resident_code, mask=False)
    post(scanner_client, north_gate, data)
    changed = post(scanner_client, north_gate, {**data, "mask": True})
    assert changed.status_code == 409
    assert changed.json()["detail"][0]["loc"] == ["body", "client_uuid"]
    elsewhere = post(scanner_client, south_gate, data)
    assert elsewhere.status_code == 409
    assert Entry.objects.count() == 1


def test_it_links_the_second_attempt_to_the_denial(scanner_client, north_gate, resident_code):
    """张立新 without a mask is refused, puts it on, and is admitted."""
    denied = post(
        scanner_client, north_gate, body(code=resident_code, mask=False, observed_at=minutes_ago(1))
    ).json()
    admitted = post(scanner_client, north_gate, body(code=resident_code)).json()
    assert (denied["decision"], admitted["decision"]) == ("deny", "admit")
    assert admitted["attempt"] == 2
    second = Entry.objects.get(pk=admitted["entry_id"])
    assert second.previous_attempt_id == denied["entry_id"]
    # A later passage (admitted before) starts again at attempt 1.
    again = post(scanner_client, north_gate, body(code=resident_code)).json()
    assert again["attempt"] == 1


def test_it_does_not_link_attempts_far_apart_or_at_another_gate(
    scanner_client, north_gate, south_gate, resident_code
):
    post(
        scanner_client,
        north_gate,
        body(code=resident_code, mask=False, observed_at=minutes_ago(40)),
    )
    assert post(scanner_client, north_gate, body(code=resident_code)).json()["attempt"] == 1
    post(
        scanner_client, north_gate, body(code=resident_code, mask=False, observed_at=minutes_ago(2))
    )
    assert post(scanner_client, south_gate, body(code=resident_code)).json()["attempt"] == 1


def test_it_finds_a_resident_by_typed_id_number(scanner_client, north_gate, city):
    number = valid_id_number()
    person = make_person(city.shenghe, "李桂兰", id_number=number)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}".lower()
    answer = post(scanner_client, north_gate, body(id_number=spaced)).json()
    assert answer["decision"] == "admit"
    entry = Entry.objects.get(pk=answer["entry_id"])
    assert entry.person == person
    assert entry.identified_by == "id_number"


def test_it_treats_an_unknown_id_number_as_a_visitor_to_complete(scanner_client, north_gate):
    number = valid_id_number()
    answer = post(scanner_client, north_gate, body(id_number=number)).json()
    assert answer["reasons"] == ["visitor_incomplete"]
    visit = Visit.objects.get(entry_id=answer["entry_id"])
    assert personal_data.decrypt(visit.id_number_encrypted) == number
    # The visitor form, completed, is the second attempt of the same person.
    completed = post(
        scanner_client,
        north_gate,
        body(
            visitor={
                "name": "王丽",
                "phone": "13912340000",
                "id_number": number,
                "reason": "探亲",
                "visiting": "1号楼1单元01室",
            }
        ),
    ).json()
    assert completed["decision"] == "admit"
    assert completed["attempt"] == 2


def test_it_registers_a_visitor_with_encrypted_numbers(scanner_client, north_gate, resident):
    number = valid_id_number(prefix="410102")
    answer = post(
        scanner_client,
        north_gate,
        body(
            visitor={
                "name": "王丽",
                "phone": "139 1234 0000",
                "id_number": number,
                "reason": "探亲",
                "visiting": "1号楼1单元01室",
            }
        ),
    ).json()
    assert answer["decision"] == "admit"
    assert answer["who"] == f"王丽 410102********{number[-4:]}"
    visit = Visit.objects.select_related("visiting_household").get(entry_id=answer["entry_id"])
    assert visit.visiting_household == resident.household
    assert number.encode() not in bytes(visit.id_number_encrypted)
    assert personal_data.decrypt(visit.phone_encrypted) == "13912340000"
    assert visit.masked_phone == "139****0000"


def test_it_denies_a_visitor_with_incomplete_details(scanner_client, north_gate):
    answer = post(scanner_client, north_gate, body(visitor={"name": "王丽"})).json()
    assert answer["reasons"] == ["visitor_incomplete"]


def test_it_refuses_a_visitor_s_malformed_phone(scanner_client, north_gate):
    response = post(scanner_client, north_gate, body(visitor={"name": "王丽", "phone": "12345"}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "visitor", "phone"]


def test_it_applies_a_registered_visitor_s_status(scanner_client, north_gate, villager):
    from fangkong.core import personal_data as pd

    set_person_status(SYSTEM, villager, "close_contact")
    number = pd.decrypt(villager.id_number_encrypted)
    answer = post(
        scanner_client,
        north_gate,
        body(
            visitor={
                "name": "张战国",
                "phone": "13912345678",
                "id_number": number,
                "reason": "开会",
                "visiting": "物业",
            }
        ),
    ).json()
    assert answer["reasons"] == ["close_contact"]


def test_it_admits_an_archived_elder_without_a_smartphone(scanner_client, north_gate, city):
    elder = make_person(city.shenghe, "刘秀英", has_smartphone=False)
    answer = post(scanner_client, north_gate, body(person_id=elder.pk, health_code="none")).json()
    assert answer["decision"] == "admit"
    # With a smartphone, "not shown" is a reason.
    phone_owner = make_person(city.shenghe, "刘建国")
    answer = post(
        scanner_client, north_gate, body(person_id=phone_owner.pk, health_code="none")
    ).json()
    assert answer["reasons"] == ["code_not_shown"]


def test_it_keeps_the_archive_to_the_gate_s_unit(scanner_client, north_gate, villager):
    response = post(scanner_client, north_gate, body(person_id=villager.pk))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "person_id"]


def test_it_uses_the_status_at_the_observed_moment_for_late_uploads(
    scanner_client, north_gate, resident, resident_code
):
    from fangkong.people.models import Person

    now = timezone.now()
    Person.objects.filter(pk=resident.pk).update(status_since=now - datetime.timedelta(days=20))
    resident.refresh_from_db()
    set_person_status(SYSTEM, resident, "home_quarantine", at=now - datetime.timedelta(days=10))
    set_person_status(SYSTEM, resident, "normal", at=now - datetime.timedelta(days=3))
    during = (now - datetime.timedelta(days=5)).isoformat()
    before = (now - datetime.timedelta(days=12)).isoformat()
    assert post(scanner_client, north_gate, body(code=resident_code, observed_at=during)).json()[
        "reasons"
    ] == ["quarantine"]
    assert (
        post(scanner_client, north_gate, body(code=resident_code, observed_at=before)).json()[
            "decision"
        ]
        == "admit"
    )
    assert post(scanner_client, north_gate, body(code=resident_code)).json()["decision"] == "admit"


def test_it_asks_the_testing_app_for_the_last_negative_result(
    scanner_client, north_gate, resident, resident_code, monkeypatch
):
    from fangkong.checkpoints import negative_tests

    services.update_checkpoint(
        SYSTEM, north_gate, negative_test_required=True, negative_test_hours=48
    )
    asked = []

    def latest(person_ids):
        asked.extend(person_ids)
        return {pk: timezone.now() - datetime.timedelta(hours=50) for pk in person_ids}

    monkeypatch.setattr(negative_tests, "providers", lambda: (latest,))
    assert post(scanner_client, north_gate, body(code=resident_code)).json()["reasons"] == [
        "no_negative_test"
    ]
    assert asked == [resident.pk]
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    monkeypatch.setattr(
        negative_tests,
        "providers",
        lambda: (lambda person_ids: dict.fromkeys(person_ids, an_hour_ago),),
    )
    assert post(scanner_client, north_gate, body(code=resident_code)).json()["decision"] == "admit"


def test_it_finds_providers_through_discovery(monkeypatch):
    import types

    from fangkong.checkpoints import negative_tests

    module = types.SimpleNamespace(latest_negative_tests_at=lambda person_ids: {})
    other = types.SimpleNamespace()  # an app's providers without the function
    monkeypatch.setattr(
        negative_tests, "app_modules", lambda name: iter([("testing", module), ("x", other)])
    )
    negative_tests.providers.cache_clear()
    try:
        assert negative_tests.providers() == (module.latest_negative_tests_at,)
        assert negative_tests.latest_negative_tests_at([1]).get(1) is None
    finally:
        negative_tests.providers.cache_clear()


def test_it_flags_a_star_for_follow_up_where_the_policy_admits_it(
    scanner_client, north_gate, resident_code
):
    services.update_checkpoint(SYSTEM, north_gate, star_action="flag")
    answer = post(scanner_client, north_gate, body(code=resident_code, itinerary_star=True)).json()
    assert answer["decision"] == "admit"
    assert answer["follow_up"] is True


def test_it_records_a_face_gate_as_the_method(scanner_client, north_gate, resident):
    answer = post(
        scanner_client, north_gate, body(person_id=resident.pk, method="face_gate")
    ).json()
    assert Entry.objects.get(pk=answer["entry_id"]).method == "face_gate"


def test_it_refuses_entries_at_a_closed_checkpoint(scanner_client, north_gate, resident_code):
    services.update_checkpoint(SYSTEM, north_gate, is_active=False)
    response = post(scanner_client, north_gate, body(code=resident_code))
    assert response.status_code == 409


def test_it_keeps_the_hot_path_to_a_few_queries(
    scanner_client, north_gate, resident_code, django_assert_num_queries
):
    # The first entry looks the device and the checkpoint up (and stamps the
    # device's last use); the next ones find them in the process's cache.
    post(scanner_client, north_gate, body(code=resident_code))
    # In a savepoint, as the test runs in a transaction (a server in
    # autocommit sends no SAVEPOINT or RELEASE): on PostgreSQL one statement
    # reads the code's holder and inserts; SQLite reads, then inserts. The
    # INSERT finds the previous attempt itself.
    statements = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(statements + 2):
        response = post(scanner_client, north_gate, body(code=resident_code))
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_insert_alone_outside_a_transaction(scanner_client, north_gate, resident_code):
    """What a production server does: no BEGIN or SAVEPOINT around the
    single INSERT, which is atomic by itself."""
    post(scanner_client, north_gate, body(code=resident_code))
    with CaptureQueriesContext(connection) as captured:
        response = post(scanner_client, north_gate, body(code=resident_code))
    assert response.status_code == 201
    statements = [query["sql"].split()[0].upper() for query in captured.captured_queries]
    # PostgreSQL: the holder read and the INSERT in one statement.
    assert statements == (["WITH"] if connection.vendor == "postgresql" else ["SELECT", "INSERT"])


def test_it_stops_a_revoked_device_once_its_cached_lookup_expires(
    scanner, scanner_client, north_gate, resident_code, monkeypatch
):
    import time

    from fangkong.accounts.services import revoke_device_token
    from fangkong.checkpoints import auth

    assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 201
    revoke_device_token(SYSTEM, scanner[0])
    # Within the cache time the process still knows the device ...
    assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 201
    later = time.monotonic() + auth.DEVICE_CACHE_SECONDS + 0.1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    # ... then the token is refused.
    assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 401


def test_it_applies_a_policy_change_once_the_cached_checkpoint_expires(
    scanner_client, north_gate, resident_code, monkeypatch
):
    import time

    from fangkong.checkpoints import queries

    denied = body(code=resident_code, health_code="yellow")
    assert post(scanner_client, north_gate, denied).json()["decision"] == "deny"
    services.update_checkpoint(SYSTEM, north_gate, admitted_health_codes=["green", "yellow"])
    later = time.monotonic() + queries.CHECKPOINT_CACHE_SECONDS + 0.1
    monkeypatch.setattr(queries.time, "monotonic", lambda: later)
    admitted = body(code=resident_code, health_code="yellow")
    assert post(scanner_client, north_gate, admitted).json()["decision"] == "admit"
