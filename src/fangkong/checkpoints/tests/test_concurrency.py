"""On PostgreSQL: two devices posting the same client_uuid at the same
moment make one entry, and both get its result.

The overlap is forced, not hoped for: a separate connection holds a lock on
the entry table that every INSERT waits for, both uploads are started, and
the lock is let go only once both are seen waiting on it, so neither
INSERT ran before the other was sent: they meet on the unique client_uuid."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client

from fangkong.checkpoints.models import Entry

from .support import body, post

# Blocks INSERT (ROW EXCLUSIVE) and lets SELECT through: the uploads read
# what they need, then queue at their INSERT.
LOCK_MODE = "SHARE ROW EXCLUSIVE"


@contextlib.contextmanager
def entries_locked() -> Iterator[object]:
    """A raw connection holding a lock on the entry table until the block ends."""
    import psycopg

    params = connection.get_connection_params()
    conninfo = {
        key: params[key]
        for key in ("dbname", "user", "password", "host", "port")
        if params.get(key)
    }
    with psycopg.connect(**conninfo) as locker:
        locker.execute(f'LOCK TABLE "{Entry._meta.db_table}" IN {LOCK_MODE} MODE')
        try:
            yield locker
        finally:
            locker.commit()  # lets the waiting INSERTs go


def wait_for_inserts_waiting(locker, count: int, deadline: float = 10.0) -> int:
    """How many backends wait for the entry table's lock, once `count` do
    or when the deadline passes."""
    give_up = time.monotonic() + deadline
    while True:
        waiting = locker.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
            [Entry._meta.db_table],
        ).fetchone()[0]
        if waiting >= count or time.monotonic() > give_up:
            return waiting
        time.sleep(0.02)


def run_meeting_at_the_insert(threads: list[threading.Thread]) -> int:
    """Start the uploads with the entry table locked, let the lock go once
    both wait to INSERT, and wait for them; how many were seen waiting."""
    with entries_locked() as locker:
        for thread in threads:
            thread.start()
        waiting = wait_for_inserts_waiting(locker, len(threads))
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return waiting


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_entry_from_two_concurrent_posts_of_the_same_uuid(
    scanner, scanner_client, north_gate, resident_code
):
    data = body(code=resident_code)
    answers: list = []
    failures: list = []

    def send() -> None:
        client = Client(headers={"Authorization": f"Bearer {scanner[1]}"})
        try:
            answers.append(post(client, north_gate, data))
        except BaseException as error:  # shown by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    # Both INSERTs are queued behind the lock before either can commit.
    waiting = run_meeting_at_the_insert(threads)
    assert failures == []
    assert waiting == 2
    assert sorted(response.status_code for response in answers) == [200, 201]
    assert len({response.json()["entry_id"] for response in answers}) == 1
    assert Entry.objects.count() == 1
    assert answers[0].json()["entry_id"] == Entry.objects.get().pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_entry_per_uuid_from_two_concurrent_batches(
    scanner, north_gate, resident_code
):
    entries = [body(code=resident_code) for _ in range(50)]
    answers: list = []
    failures: list = []

    def send(part: list) -> None:
        client = Client(headers={"Authorization": f"Bearer {scanner[1]}"})
        try:
            answers.append(
                client.post(
                    f"/api/v1/checkpoints/{north_gate.pk}/entries/batch",
                    {"entries": part},
                    content_type="application/json",
                ).json()
            )
        except BaseException as error:  # shown by the assertion below
            failures.append(error)
        finally:
            connection.close()

    # Overlapping uploads: both carry the middle 30 entries.
    threads = [
        threading.Thread(target=send, args=(entries[:40],)),
        threading.Thread(target=send, args=(entries[10:],)),
    ]
    # Both found none of the 30 stored and wait to insert them.
    waiting = run_meeting_at_the_insert(threads)
    assert failures == []
    assert waiting == 2
    assert Entry.objects.count() == 50
    assert sum(answer["created"] for answer in answers) == 50
    assert sum(answer["replayed"] for answer in answers) == 30
    assert sum(answer["rejected"] for answer in answers) == 0


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
