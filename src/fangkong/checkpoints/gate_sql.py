"""The few statements on the gate's hot path, as SQL built once per process.

A gate posts many entries a second. The SQL itself costs the database tens
of microseconds, but building it through the ORM costs the app server far
more per query (compiling the queryset, instantiating models), which sets
the entries-per-second a server can take. So the single-entry path reads
the pass code with its holder, reads the previous check, and inserts the
entry with statements written here, portable between PostgreSQL and SQLite
(values go through the fields' own database preparation). Everything else
uses the ORM.
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fangkong.checkpoints.models import Entry, PassCode
from fangkong.people.models import Person

# What registration needs of a pass code's holder; other fields load lazily.
_PERSON_NEEDS = {
    "id",
    "name",
    "id_number_prefix",
    "id_number_last4",
    "status",
    "status_since",
    "has_smartphone",
    "home_unit_id",
}


@cache
def _person_fields() -> tuple[str, ...]:
    # Model.from_db wants the model's own field order.
    return tuple(f.attname for f in Person._meta.concrete_fields if f.attname in _PERSON_NEEDS)


def _datetime(value: Any) -> datetime.datetime:
    """PostgreSQL gives aware datetimes; SQLite gives UTC text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


# The statements are built once per database vendor and list length.


@cache
def _pass_codes_sql(vendor: str, count: int) -> str:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(f"p.{q(field)}" for field in _person_fields())
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT c.{q('version')}, {columns} FROM {q(PassCode._meta.db_table)} c "
        f"JOIN {q(Person._meta.db_table)} p ON p.{q('id')} = c.{q('person_id')} "
        f"WHERE c.{q('person_id')} IN ({marks})"
    )


@cache
def _recent_sql(vendor: str, count: int, last_only: bool) -> str:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    marks = ", ".join(["%s"] * count)
    sql = (
        f"SELECT {q('subject_key')}, {q('observed_at')}, {q('direction')}, {q('decision')}, "
        f"{q('attempt')}, {q('id')} FROM {q(Entry._meta.db_table)} "
        f"WHERE {q('subject_key')} IN ({marks}) AND {q('checkpoint_id')} = %s "
        f"AND {q('observed_at')} >= %s AND {q('observed_at')} <= %s"
    )
    if last_only:
        return (
            sql
            + f" AND {q('direction')} = %s ORDER BY {q('observed_at')} DESC, {q('id')} DESC LIMIT 1"
        )
    return sql + f" ORDER BY {q('observed_at')}, {q('id')}"


def current_pass_codes(person_ids: list[int]) -> dict[int, tuple[int, Person]]:
    """The current code version and the holder of each person's pass code."""
    if not person_ids:
        return {}
    connection = connections[DEFAULT_DB_ALIAS]
    fields = _person_fields()
    since, smartphone = fields.index("status_since"), fields.index("has_smartphone")
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(_pass_codes_sql(connection.vendor, len(person_ids)), list(person_ids))
        for version, *values in cursor.fetchall():
            values[since] = _datetime(values[since])
            values[smartphone] = bool(values[smartphone])
            holder = Person.from_db(connection.alias, list(fields), values)
            found[holder.pk] = (version, holder)
    return found


def recent_checks(
    checkpoint_id: int,
    subjects: set[str],
    earliest: datetime.datetime,
    latest: datetime.datetime,
    *,
    last_in_direction: str | None = None,
) -> list[tuple[str, datetime.datetime, str, str, int, int]]:
    """(subject, observed at, direction, decision, attempt, id) of checks of
    these subjects at the checkpoint in [earliest, latest], oldest first; or
    only the last one in a direction (the single-entry case)."""
    if not subjects:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    observed = Entry._meta.get_field("observed_at")
    params: list[Any] = [
        *subjects,
        checkpoint_id,
        observed.get_db_prep_value(earliest, connection),
        observed.get_db_prep_value(latest, connection),
    ]
    if last_in_direction is not None:
        params.append(last_in_direction)
    sql = _recent_sql(connection.vendor, len(subjects), last_in_direction is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (subject, _datetime(observed_at), direction, decision, attempt, pk)
        for subject, observed_at, direction, decision, attempt, pk in rows
    ]


@cache
def _insert_linked_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    linked = {"previous_attempt_id", "attempt"}
    fields = tuple(
        field
        for field in Entry._meta.concrete_fields
        if not field.primary_key and field.attname not in linked
    )
    columns = ", ".join(q(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    prior = (
        f"SELECT {q('id')} AS id, {q('decision')} AS decision, {q('attempt')} AS attempt "
        f"FROM {q(Entry._meta.db_table)} WHERE {q('subject_key')} = %s "
        f"AND {q('checkpoint_id')} = %s AND {q('direction')} = %s "
        f"AND {q('observed_at')} >= %s AND {q('observed_at')} <= %s "
        f"ORDER BY {q('observed_at')} DESC, {q('id')} DESC LIMIT 1"
    )
    previous = f"(SELECT CASE WHEN prior.decision = 'deny' THEN prior.id END FROM ({prior}) prior)"
    attempt = (
        f"COALESCE((SELECT CASE WHEN prior.decision = 'deny' THEN prior.attempt + 1 END "
        f"FROM ({prior}) prior), 1)"
    )
    sql = (
        f"INSERT INTO {q(Entry._meta.db_table)} ({columns}, {q('previous_attempt_id')}, "
        f"{q('attempt')}) VALUES ({marks}, {previous}, {attempt}) "
        f"RETURNING {q('id')}, {q('previous_attempt_id')}, {q('attempt')}"
    )
    return sql, fields


def insert_entry_linked(entry: Entry, *, since: datetime.datetime) -> None:
    """INSERT one entry, linked in the same statement to the last check of
    the same subject at the same gate in the same direction since `since`
    when that check was a denial (the second attempt of one passage). Sets
    the entry's id, previous attempt and attempt number. Raises
    IntegrityError for a client_uuid already stored."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_linked_sql(connection.vendor)
    params = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    observed = Entry._meta.get_field("observed_at")
    prior = [
        entry.subject_key or None,  # no subject, no earlier check
        entry.checkpoint_id,
        entry.direction,
        observed.get_db_prep_value(since, connection),
        observed.get_db_prep_value(entry.observed_at, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params + prior + prior)
        entry.pk, entry.previous_attempt_id, entry.attempt = cursor.fetchone()
    entry._state.adding = False
    entry._state.db = connection.alias
