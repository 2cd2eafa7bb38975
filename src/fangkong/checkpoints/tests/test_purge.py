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
from fangkong.core.testing import SYSTEM, valid_id_number


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
