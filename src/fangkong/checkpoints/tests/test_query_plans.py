"""On PostgreSQL: the gate's lookups of a person's earlier checks read the
subject's own index even when the planner's statistics predate the busy
morning (they say the last minutes at the gate hold next to nothing), instead
of filtering every recent entry at the gate for each new one."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from fangkong.core import hot_sql

from .support import body, post

BUSY_MORNING = 3000


def fill_the_gate(checkpoint, person) -> None:
    """Yesterday's entries, analysed; then a busy morning the statistics do
    not know about, all at this gate and all of other people."""
    insert = f"""
        INSERT INTO checkpoints_entry (
            client_uuid, content_hash, checkpoint_id, unit_id, person_id, subject_key,
            identified_by, method, direction, mask, temperature, health_code,
            itinerary_star, observed_at, received_at, decision, reasons, follow_up,
            previous_attempt_id, attempt, operator_id, device_id
        )
        SELECT gen_random_uuid(), md5(n::text), {checkpoint.pk}, {checkpoint.unit_id},
               {person.pk}, 'p:other' || n, 'code', 'device', 'in', true, 36.5, 'green',
               false, moment, moment, 'admit', 0, false, NULL, 1, NULL, NULL
        FROM generate_series(1, {BUSY_MORNING}) AS n,
             LATERAL (SELECT {{when}}) AS moments(moment)
    """
    with connection.cursor() as cursor:
        cursor.execute(insert.format(when="now() - interval '1 day' - n * interval '1 second'"))
        cursor.execute("ANALYZE checkpoints_entry")
        cursor.execute(insert.format(when="now() - n * interval '50 milliseconds'"))


@contextmanager
def hot_statements(monkeypatch):
    """The gate's statements (as sent, with their parameters) while inside."""
    sent: list[tuple[str, object]] = []
    run = hot_sql.fetch_hot

    def recording(sql, params):
        sent.append((sql, params))
        return run(sql, params)

    monkeypatch.setattr(hot_sql, "fetch_hot", recording)
    yield sent
    monkeypatch.setattr(hot_sql, "fetch_hot", run)


def plans_of(sent) -> list[str]:
    plans = []
    cursor = psycopg.Cursor(connection.connection)
    for sql, params in sent:
        if "checkpoints_entry" in sql:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plans.append(str(cursor.fetchone()[0]))
    return plans


@pytest.mark.postgres
def test_it_finds_the_previous_attempt_through_the_subject_index(
    scanner_client, north_gate, resident, resident_code, monkeypatch
):
    fill_the_gate(north_gate, resident)
    post(scanner_client, north_gate, body(code=resident_code))
    with hot_statements(monkeypatch) as sent:
        assert post(scanner_client, north_gate, body(code=resident_code)).status_code == 201
    plans = plans_of(sent)
    assert plans
    assert all("entry_subject_passage" in plan for plan in plans)
    assert not any("entry_checkpoint_observed" in plan for plan in plans), "\n".join(plans)


@pytest.mark.postgres
def test_it_reads_a_batch_s_history_through_the_subject_index(
    scanner_client, north_gate, resident, resident_code, monkeypatch
):
    fill_the_gate(north_gate, resident)
    entries = [body(code=resident_code) for _ in range(20)]
    with hot_statements(monkeypatch) as sent:
        answer = scanner_client.post(
            f"/api/v1/checkpoints/{north_gate.pk}/entries/batch",
            {"entries": entries},
            content_type="application/json",
        )
    assert answer.json()["created"] == 20
    plans = plans_of(sent)
    assert any("entry_subject_passage" in plan for plan in plans)
    assert not any("entry_checkpoint_observed" in plan for plan in plans), "\n".join(plans)
