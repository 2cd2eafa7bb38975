"""The batch endpoint for devices that were offline: one result per entry,
bad items rejected while good ones are kept, retries and in-batch attempts."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from fangkong.checkpoints import gate_sql, rules
from fangkong.checkpoints.models import Entry
from fangkong.core.models import AuditEvent

from .support import body, minutes_ago, post


def upload(client, checkpoint, entries):
    return client.post(
        f"/api/v1/checkpoints/{checkpoint.pk}/entries/batch",
        {"entries": entries},
        content_type="application/json",
    )


def test_it_keeps_the_good_entries_and_names_the_bad_ones(
    scanner_client, north_gate, resident_code, villager
):
    entries = [
        body(code=resident_code, observed_at=minutes_ago(50)),
        body(code=resident_code, temperature=45.0),
        body(code=resident_code, health_code="purple"),
        {"client_uuid": str(uuid.uuid4())},
        body(person_id=villager.pk),
        body(code=resident_code, mask=False, observed_at=minutes_ago(30)),
        "not an object",
    ]
    response = upload(scanner_client, north_gate, entries)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["created"], answer["replayed"], answer["rejected"]) == (2, 0, 5)
    results = answer["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 422, 422, 201, 422]
    assert results[0]["result"]["decision"] == "admit"
    assert results[1]["error"]["field"] == "temperature"
    assert results[2]["error"]["field"] == "health_code"
    assert results[3]["error"]["field"] in {"mask", "health_code", "observed_at"}
    assert results[4]["error"]["field"] == "person_id"
    assert results[5]["result"]["reasons"] == ["no_mask"]
    assert results[5]["client_uuid"] == entries[5]["client_uuid"]
    assert Entry.objects.count() == 2
    event = AuditEvent.objects.get(action="checkpoints.upload_entries")
    assert event.detail == {"received": 7, "created": 2, "rejected": 5}


def test_it_answers_a_re_uploaded_batch_from_the_first_results(
    scanner_client, north_gate, resident_code
):
    entries = [body(code=resident_code, observed_at=minutes_ago(n)) for n in (90, 60, 45)]
    first = upload(scanner_client, north_gate, entries).json()
    again = upload(scanner_client, north_gate, [*entries, body(code=resident_code)]).json()
    assert (again["created"], again["replayed"]) == (1, 3)
    assert [r["result"]["entry_id"] for r in again["results"][:3]] == [
        r["result"]["entry_id"] for r in first["results"]
    ]
    assert Entry.objects.count() == 4


def test_it_treats_a_uuid_twice_in_one_batch_as_a_retry_or_a_conflict(
    scanner_client, north_gate, resident_code
):
    same = body(code=resident_code, observed_at=minutes_ago(10))
    changed = {**same, "mask": False}
    answer = upload(scanner_client, north_gate, [same, same, changed]).json()
    assert [r["status"] for r in answer["results"]] == [201, 200, 409]
    assert answer["results"][1]["result"]["entry_id"] == answer["results"][0]["result"]["entry_id"]
    assert Entry.objects.count() == 1


def test_it_conflicts_with_an_entry_posted_before_with_other_content(
    scanner_client, north_gate, resident_code
):
    data = body(code=resident_code)
    post(scanner_client, north_gate, data)
    answer = upload(scanner_client, north_gate, [{**data, "temperature": 36.9}]).json()
    assert answer["results"][0]["status"] == 409
    assert answer["results"][0]["error"]["field"] == "client_uuid"


def test_it_links_attempts_inside_a_batch_in_observation_order(
    scanner_client, north_gate, resident_code
):
    # Uploaded out of order: the admission first, the denial it follows second.
    admitted = body(code=resident_code, observed_at=minutes_ago(20))
    denied = body(code=resident_code, mask=False, observed_at=minutes_ago(21))
    answer = upload(scanner_client, north_gate, [admitted, denied]).json()
    first, second = answer["results"]
    assert first["result"]["attempt"] == 2
    assert second["result"]["attempt"] == 1
    entry = Entry.objects.get(pk=first["result"]["entry_id"])
    assert entry.previous_attempt_id == second["result"]["entry_id"]


def test_it_links_a_batch_entry_to_an_earlier_denial_in_the_database(
    scanner_client, north_gate, resident_code
):
    denied = post(
        scanner_client, north_gate, body(code=resident_code, mask=False, observed_at=minutes_ago(5))
    ).json()
    answer = upload(scanner_client, north_gate, [body(code=resident_code)]).json()
    entry = Entry.objects.get(pk=answer["results"][0]["result"]["entry_id"])
    assert entry.previous_attempt_id == denied["entry_id"]


def test_it_refuses_more_than_500_entries_at_once(scanner_client, north_gate, resident_code):
    response = upload(scanner_client, north_gate, [body(code=resident_code)] * 501)
    assert response.status_code == 422
    assert "entries" in response.json()["detail"][0]["loc"]
    assert not Entry.objects.exists()


def test_it_takes_a_full_batch_of_500(scanner_client, north_gate, resident_code):
    start = timezone.now() - datetime.timedelta(hours=10)
    entries = [
        body(code=resident_code, observed_at=(start + datetime.timedelta(minutes=n)).isoformat())
        for n in range(500)
    ]
    answer = upload(scanner_client, north_gate, entries).json()
    assert answer["created"] == 500
    assert Entry.objects.count() == 500


def test_it_keeps_batch_queries_flat(
    scanner_client, north_gate, resident_code, django_assert_max_num_queries
):
    entries = [body(code=resident_code, observed_at=minutes_ago(n)) for n in range(100)]
    # Token, last-used stamp, checkpoint, seen-before UUIDs, savepoint, pass
    # codes, status history, previous attempts, INSERT (SQLite splits it in
    # three for its variable limit), release, audit event: not one per entry.
    with django_assert_max_num_queries(14):
        assert upload(scanner_client, north_gate, entries).json()["created"] == 100


def test_it_links_only_to_the_last_check_before_the_batch(
    scanner_client, north_gate, resident_code
):
    # Denied, then admitted (a finished passage), both before the upload.
    post(
        scanner_client, north_gate, body(code=resident_code, mask=False, observed_at=minutes_ago(9))
    )
    post(scanner_client, north_gate, body(code=resident_code, observed_at=minutes_ago(8)))
    answer = upload(
        scanner_client, north_gate, [body(code=resident_code, observed_at=minutes_ago(2))]
    )
    # The last check was an admission: this is a new passage, not attempt 2.
    assert answer.json()["results"][0]["result"]["attempt"] == 1
    # Nor does going out in between make the next check coming in a retry.
    post(
        scanner_client,
        north_gate,
        body(code=resident_code, direction="out", observed_at=minutes_ago(1.5)),
    )
    again = upload(scanner_client, north_gate, [body(code=resident_code, mask=False)]).json()
    assert again["results"][0]["result"]["attempt"] == 1


def test_it_links_only_to_a_denial_within_the_retry_window(
    scanner_client, north_gate, resident_code, resident
):
    post(
        scanner_client,
        north_gate,
        body(code=resident_code, mask=False, observed_at=minutes_ago(50)),
    )
    late = upload(
        scanner_client, north_gate, [body(code=resident_code, observed_at=minutes_ago(15))]
    )
    # Thirty-five minutes after the denial: a new passage.
    assert late.json()["results"][0]["result"]["attempt"] == 1
    # What the batch reads of the gate's history: only the denial that can
    # still be retried, not every subject's last admission.
    denied = post(
        scanner_client,
        north_gate,
        body(code=resident_code, mask=False, observed_at=minutes_ago(10)),
    ).json()
    span = (timezone.now() - datetime.timedelta(minutes=1), timezone.now())
    subject = f"p:{resident.pk}"
    checks = gate_sql.recent_checks(north_gate.pk, {subject}, span, rules.RETRY_WINDOW)
    assert [(row[0], row[2], row[3], row[5]) for row in checks] == [
        (subject, "in", "deny", denied["entry_id"])
    ]
    post(scanner_client, north_gate, body(code=resident_code, observed_at=minutes_ago(5)))
    assert gate_sql.recent_checks(north_gate.pk, {subject}, span, rules.RETRY_WINDOW) == []


def test_it_links_around_checks_stored_inside_the_batch_s_span(
    scanner_client, north_gate, resident_code
):
    """An offline device's upload spans checks another device stored
    meanwhile: each item links to the check just before it, wherever it is."""
    admitted_meanwhile = post(
        scanner_client, north_gate, body(code=resident_code, observed_at=minutes_ago(6))
    ).json()
    denied_meanwhile = post(
        scanner_client,
        north_gate,
        body(code=resident_code, mask=False, observed_at=minutes_ago(4)),
    ).json()
    answer = upload(
        scanner_client,
        north_gate,
        [
            body(code=resident_code, mask=False, observed_at=minutes_ago(8)),
            body(code=resident_code, observed_at=minutes_ago(5)),
            body(code=resident_code, observed_at=minutes_ago(2)),
        ],
    ).json()
    first, second, third = (item["result"] for item in answer["results"])
    assert first["attempt"] == 1
    # After the upload's own denial at -8 came the stored admission at -6.
    assert second["attempt"] == 1
    # The stored denial at -4 is the first attempt of the last passage.
    assert third["attempt"] == 2
    assert (
        Entry.objects.get(pk=third["entry_id"]).previous_attempt_id == denied_meanwhile["entry_id"]
    )
    assert admitted_meanwhile["decision"] == "admit"
