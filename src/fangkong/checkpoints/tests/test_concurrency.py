"""On PostgreSQL: two devices posting the same client_uuid at the same
moment make one entry, and both get its result."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fangkong.checkpoints.models import Entry

from .support import body, post


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_entry_from_two_concurrent_posts_of_the_same_uuid(
    scanner, scanner_client, north_gate, resident_code
):
    from django.test import Client

    data = body(code=resident_code)
    start = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        client = Client(headers={"Authorization": f"Bearer {scanner[1]}"})
        try:
            start.wait()
            answers.append(post(client, north_gate, data))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(response.status_code for response in answers) == [200, 201]
    assert len({response.json()["entry_id"] for response in answers}) == 1
    assert Entry.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_entry_per_uuid_from_two_concurrent_batches(
    scanner, north_gate, resident_code
):
    from django.test import Client

    entries = [body(code=resident_code) for _ in range(50)]
    start = threading.Barrier(2)
    answers: list = []

    def send(part: list) -> None:
        client = Client(headers={"Authorization": f"Bearer {scanner[1]}"})
        try:
            start.wait()
            answers.append(
                client.post(
                    f"/api/v1/checkpoints/{north_gate.pk}/entries/batch",
                    {"entries": part},
                    content_type="application/json",
                ).json()
            )
        finally:
            connection.close()

    # Overlapping uploads: both carry the middle 30 entries.
    threads = [
        threading.Thread(target=send, args=(entries[:40],)),
        threading.Thread(target=send, args=(entries[10:],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Entry.objects.count() == 50
    assert sum(answer["created"] for answer in answers) == 50
    assert sum(answer["replayed"] for answer in answers) == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_replaces_a_connection_the_database_dropped_without_a_probe_per_entry(
    scanner_client, north_gate, resident_code
):
    """The hot path sends no `SELECT 1` before each entry; a connection the
    server has closed (a restart, an idle timeout) shows on first use and
    the entry is sent again on a new one, once."""
    import psycopg

    assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 201
    backend = connection.connection.info.backend_pid
    dsn = connection.connection.info.dsn
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    response = post(scanner_client, north_gate, body(code=resident_code))
    assert response.status_code == 201
    assert connection.connection.info.backend_pid != backend
    assert Entry.objects.count() == 2
