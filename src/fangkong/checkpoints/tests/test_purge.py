"""Retention: `fangkong purge-entries` deletes entries older than the
retention period in batches, with their visitor details and links."""

from __future__ import annotations

import datetime
import io
import uuid
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from fangkong.checkpoints import services
from fangkong.checkpoints.models import Entry, Visit
from fangkong.core.audit import Actor
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, settings_at_start, valid_id_number


def register(checkpoint, when, **changes):
    data = services.EntryInput(
        client_uuid=uuid.uuid4(),
        observed_at=when,
        mask=changes.pop("mask", True),
        health_code="green",
        temperature=Decimal("36.5"),
        **changes,
    )
    return services.register_entry(SYSTEM, checkpoint, data, now=when).entry


def test_it_deletes_only_entries_older_than_the_retention_period(north_gate, resident, settings):
    settings.ENTRY_RETENTION_DAYS = 28
    now = timezone.now()
    old = [
        register(north_gate, now - datetime.timedelta(days=40, minutes=n), person_id=resident.pk)
        for n in range(7)
    ]
    kept = register(north_gate, now - datetime.timedelta(days=27), person_id=resident.pk)
    out = io.StringIO()
    call_command("purge-entries", "--batch-size", "3", stdout=out)
    assert list(Entry.objects.all()) == [kept]
    assert "7" in out.getvalue()
    event = AuditEvent.objects.get(action="checkpoints.purge_entries")
    assert event.detail["deleted"] == 7
    assert event.detail["days"] == 28
    assert all(not Entry.objects.filter(pk=e.pk).exists() for e in old)


def test_it_takes_visitor_details_and_attempt_links_with_it(north_gate):
    now = timezone.now()
    number = valid_id_number()
    cutoff = now - datetime.timedelta(days=28)
    # A denial just before the cut-off and its second attempt just after.
    denied = register(north_gate, cutoff - datetime.timedelta(minutes=1), id_number=number)
    admitted = register(
        north_gate,
        cutoff + datetime.timedelta(minutes=1),
        visitor=services.VisitorInput(
            name="王丽", phone="13912340000", id_number=number, reason="探亲", visiting="1号楼"
        ),
    )
    assert admitted.previous_attempt_id == denied.pk
    assert Visit.objects.count() == 2
    deleted = services.purge_entries(Actor.system("test"), days=28, now=now)
    assert deleted == 1
    admitted.refresh_from_db()
    assert admitted.previous_attempt_id is None
    assert admitted.attempt == 2
    assert list(Visit.objects.values_list("entry_id", flat=True)) == [admitted.pk]


def test_it_reads_the_retention_period_from_settings(north_gate, resident, settings):
    settings.ENTRY_RETENTION_DAYS = 7
    now = timezone.now()
    register(north_gate, now - datetime.timedelta(days=8), person_id=resident.pk)
    register(north_gate, now - datetime.timedelta(days=6), person_id=resident.pk)
    assert services.purge_entries(SYSTEM) == 1
    assert Entry.objects.count() == 1


def test_it_refuses_to_purge_everything(north_gate):
    import pytest

    from fangkong.core.errors import FieldError

    with pytest.raises(FieldError):
        services.purge_entries(SYSTEM, days=0)


def test_it_purges_in_short_transactions_of_one_batch_each(north_gate, resident):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    for n in range(8):
        register(north_gate, now - datetime.timedelta(days=40, minutes=n), person_id=resident.pk)
    kept = register(north_gate, now - datetime.timedelta(days=1), person_id=resident.pk)
    with CaptureQueriesContext(connection) as queries:
        deleted = services.purge_entries(SYSTEM, days=28, batch_size=3)
    assert deleted == 8
    assert list(Entry.objects.all()) == [kept]
    statements = [query["sql"] for query in queries.captured_queries]
    deletes = [sql for sql in statements if sql.startswith('DELETE FROM "checkpoints_entry"')]
    assert len(deletes) == 3  # 3 + 3 + 2, not one statement for all 8
    # Each DELETE in a transaction of its own (a savepoint inside the test's
    # transaction): the gates' INSERTs wait for one batch at most.
    blocks, current = [], None
    for sql in statements:
        if sql.startswith("SAVEPOINT"):
            current = []
        elif sql.startswith("RELEASE SAVEPOINT"):
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(sql)
    assert [sum(sql in deletes for sql in block) for block in blocks if block] == [1, 1, 1]


def retention_days_at_start(tmp_path, configured: str | None) -> int:
    """ENTRY_RETENTION_DAYS as a server reads it from its environment at
    start (None: the variable is not set)."""
    started = settings_at_start("ENTRY_RETENTION_DAYS", tmp_path, ENTRY_RETENTION_DAYS=configured)
    assert started.returncode == 0, started.stderr
    return int(started.stdout)


def test_it_keeps_entries_28_days_unless_configured(tmp_path):
    assert retention_days_at_start(tmp_path, None) == 28
    assert retention_days_at_start(tmp_path, "14") == 14
