"""The few statements on the gate's hot path, as SQL built once per process.

A gate posts many entries a second. The SQL itself costs the database tens
of microseconds, but building it through the ORM costs the app server far
more per query (compiling the queryset, instantiating models), which sets
the entries-per-second a server can take. So registration reads pass codes
with their holders, reads earlier checks for linking attempts, and inserts
entries (a single one linked to its previous attempt in the same statement,
a batch in one multi-row statement) with SQL written here, portable between
PostgreSQL and SQLite. Everything else uses the ORM.
"""

from __future__ import annotations

import datetime
import uuid
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fangkong.checkpoints.models import Direction, Entry, PassCode
from fangkong.core import hot_sql, personal_data
from fangkong.core.instances import trusted_instance
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


def _in(vendor: str, column: str, count: int) -> str:
    """`column IN (…)`: one array parameter on PostgreSQL, so the statement
    does not grow (and need parsing again) with the list."""
    if vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN ({', '.join(['%s'] * count)})"


def _in_params(vendor: str, values: list[Any]) -> list[Any]:
    return [values] if vendor == "postgresql" else values


@cache
def _pass_codes_sql(vendor: str, count: int) -> str:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(f"p.{q(field)}" for field in _person_fields())
    return (
        f"SELECT c.{q('version')}, {columns} FROM {q(PassCode._meta.db_table)} c "
        f"JOIN {q(Person._meta.db_table)} p ON p.{q('id')} = c.{q('person_id')} "
        f"WHERE {_in(vendor, 'c.' + q('person_id'), count)}"
    )


# Planner statistics say little about a gate's last minutes (the newest
# histogram bucket spans hours), so a range on observed_at over them looks
# nearly empty even when it holds the whole morning's entries; given one, the
# planner may read (checkpoint, observed_at) and filter every recent entry at
# the gate. The lookups below therefore go subject by subject through
# entry_subject_passage, and the "last check before" ones take the newest
# row in that index's order (LIMIT 1, no lower bound; the retry window is
# applied to the row found).


_HISTORY_COLUMNS = ("observed_at", "direction", "decision", "attempt", "id")


@cache
def _last_checks_sql(strictly_before: bool) -> str:
    """PostgreSQL: the last check of each subject (an array) and direction
    at a gate up to a moment, newest first in the subject index's order;
    kept only when it is at or after a start, or a denial since the start
    of the retry window (nothing else can make a later check its retry)."""
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(f"e.{q(name)}" for name in _HISTORY_COLUMNS)
    inner = ", ".join(q(name) for name in _HISTORY_COLUMNS)
    directions = ", ".join(f"('{value}')" for value in Direction.values)
    return (
        f"SELECT s.subject, {columns} FROM unnest(%s::text[]) AS s(subject) "
        f"CROSS JOIN (VALUES {directions}) AS d(direction) "
        f"CROSS JOIN LATERAL (SELECT {inner} FROM {q(Entry._meta.db_table)} "
        f"WHERE {q('subject_key')} = s.subject AND {q('checkpoint_id')} = %s "
        f"AND {q('direction')} = d.direction "
        f"AND {q('observed_at')} {'<' if strictly_before else '<='} %s "
        f"ORDER BY {q('observed_at')} DESC, {q('id')} DESC LIMIT 1) e "
        f"WHERE e.{q('observed_at')} >= %s "
        f"OR (e.{q('decision')} = 'deny' AND e.{q('observed_at')} >= %s)"
    )


@cache
def _in_span_sql() -> str:
    """PostgreSQL: every check of some subjects (an array) at a gate within
    a span. The lower bound is kept out of every index, and the subject's
    few checks at the gate are read through the subject index: given a
    plain range, the planner may read (checkpoint, observed_at) over a span
    its statistics think empty."""
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(f"e.{q(name)}" for name in _HISTORY_COLUMNS)
    inner = ", ".join(q(name) for name in _HISTORY_COLUMNS)
    return (
        f"SELECT s.subject, {columns} FROM unnest(%s::text[]) AS s(subject) "
        f"CROSS JOIN LATERAL (SELECT {inner} FROM {q(Entry._meta.db_table)} "
        f"WHERE {q('subject_key')} = s.subject AND {q('checkpoint_id')} = %s "
        f"AND {q('observed_at')} + interval '0 seconds' >= %s "
        f"AND {q('observed_at')} <= %s) e"
    )


@cache
def _recent_sql(vendor: str, count: int) -> str:
    """SQLite: checks inside the batch's time span, and the last check of
    each subject and direction before it."""
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table = q(Entry._meta.db_table)
    columns = ", ".join(q(name) for name in ("subject_key", *_HISTORY_COLUMNS))
    where = f"{_in(vendor, q('subject_key'), count)} AND {q('checkpoint_id')} = %s"
    return (
        f"SELECT {columns} FROM {table} WHERE {where} "
        f"AND {q('observed_at')} >= %s AND {q('observed_at')} <= %s "
        f"UNION ALL SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER ("
        f"PARTITION BY {q('subject_key')}, {q('direction')} "
        f"ORDER BY {q('observed_at')} DESC, {q('id')} DESC) AS recency FROM {table} "
        f"WHERE {where} AND {q('observed_at')} >= %s AND {q('observed_at')} < %s) earlier "
        f"WHERE recency = 1 AND {q('decision')} = 'deny' ORDER BY 2, 6"
    )


@cache
def _linked_fields() -> tuple[Any, ...]:
    """The entry's columns a single insert sets itself; the statement adds
    the previous attempt and the attempt number."""
    linked = {"previous_attempt_id", "attempt"}
    return tuple(
        field
        for field in Entry._meta.concrete_fields
        if not field.primary_key and field.attname not in linked
    )


_POSITIONAL = ("%s", "%s", "%s", "%s")


def _prior_sql(q: Any, marks: tuple[str, str, str, str] = _POSITIONAL) -> str:
    """The last check of a subject at a gate in a direction up to a moment.
    Parameters (`marks`): subject, checkpoint, direction, moment."""
    subject, checkpoint, direction, moment = marks
    return (
        f"SELECT {q('id')} AS id, {q('decision')} AS decision, {q('attempt')} AS attempt, "
        f"{q('observed_at')} AS observed_at "
        f"FROM {q(Entry._meta.db_table)} WHERE {q('subject_key')} = {subject} "
        f"AND {q('checkpoint_id')} = {checkpoint} AND {q('direction')} = {direction} "
        f"AND {q('observed_at')} <= {moment} "
        f"ORDER BY {q('observed_at')} DESC, {q('id')} DESC LIMIT 1"
    )


def _retried_sql(since: str = "%s") -> str:
    """A denial shortly before makes this check its next attempt. Parameter:
    the start of the retry window."""
    return f"prior.decision = 'deny' AND prior.observed_at >= {since}"


@cache
def _insert_linked_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = _linked_fields()
    columns = ", ".join(q(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    prior, retried = _prior_sql(q), _retried_sql()
    previous = f"(SELECT CASE WHEN {retried} THEN prior.id END FROM ({prior}) prior)"
    attempt = (
        f"COALESCE((SELECT CASE WHEN {retried} THEN prior.attempt + 1 END FROM ({prior}) prior), 1)"
    )
    sql = (
        f"INSERT INTO {q(Entry._meta.db_table)} ({columns}, {q('previous_attempt_id')}, "
        f"{q('attempt')}) VALUES ({marks}, {previous}, {attempt}) "
        f"RETURNING {q('id')}, {q('previous_attempt_id')}, {q('attempt')}"
    )
    return sql, fields


@cache
def _insert_code_entry_sql() -> str:
    """PostgreSQL: read a pass code's holder and insert the entry in one
    statement, when the holder is as the entry's decision assumed."""
    connection = connections[DEFAULT_DB_ALIAS]
    q = connection.ops.quote_name
    fields = _linked_fields()
    columns = ", ".join(q(field.column) for field in fields)
    # Typed, since INSERT … SELECT would take an untyped NULL for text.
    values = ", ".join(f"%({field.attname})s::{field.cast_db_type(connection)}" for field in fields)
    prior = _prior_sql(
        q, ("%(subject_key)s", "%(checkpoint_id)s", "%(direction)s", "%(observed_at)s")
    )
    retried = _retried_sql("%(since)s")
    return (
        f"WITH holder AS (SELECT p.{q('name')}, p.{q('id_number_prefix')}, "
        f"p.{q('id_number_last4')} FROM {q(PassCode._meta.db_table)} c "
        f"JOIN {q(Person._meta.db_table)} p ON p.{q('id')} = c.{q('person_id')} "
        f"WHERE c.{q('person_id')} = %(person_id)s AND c.{q('version')} = %(code_version)s "
        f"AND NOT p.{q('status')} = ANY(%(denied_statuses)s::text[]) "
        f"AND p.{q('status_since')} <= %(observed_at)s), "
        f"prior AS ({prior}), "
        f"inserted AS (INSERT INTO {q(Entry._meta.db_table)} ({columns}, "
        f"{q('previous_attempt_id')}, {q('attempt')}) "
        f"SELECT {values}, CASE WHEN {retried} THEN prior.id END, "
        f"COALESCE(CASE WHEN {retried} THEN prior.attempt + 1 END, 1) "
        f"FROM holder LEFT JOIN prior ON true "
        f"RETURNING {q('id')}, {q('previous_attempt_id')}, {q('attempt')}) "
        f"SELECT inserted.*, holder.* FROM inserted, holder"
    )


@cache
def _bulk_insert_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL: one array per column, unnested into rows, so the
    statement stays short whatever the batch size."""
    connection = connections[DEFAULT_DB_ALIAS]
    q = connection.ops.quote_name
    fields = tuple(field for field in Entry._meta.concrete_fields if not field.primary_key)
    columns = ", ".join(q(field.column) for field in fields)
    # %b: the arrays travel in PostgreSQL's binary format.
    arrays = ", ".join(f"%b::{field.db_type(connection)}[]" for field in fields)
    sql = (
        f"INSERT INTO {q(Entry._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) "
        f"RETURNING {q(Entry._meta.pk.column)}, {q('client_uuid')}"
    )
    return sql, fields


def _params(entry: Entry, fields: tuple[Any, ...], connection: Any) -> list[Any]:
    if connection.vendor == "postgresql":
        # The driver adapts these Python values (UUID, Decimal, aware
        # datetimes) itself; the fields' preparation would change nothing.
        return [getattr(entry, field.attname) for field in fields]
    return [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]


# --- reads ---------------------------------------------------------------------------


def _holder(connection: Any, values: list[Any]) -> Person:
    fields = _person_fields()
    since, smartphone = fields.index("status_since"), fields.index("has_smartphone")
    values[since] = _datetime(values[since])
    values[smartphone] = bool(values[smartphone])
    return trusted_instance(Person, fields, values, database=connection.alias)


def current_pass_codes(person_ids: list[int]) -> dict[int, tuple[int, Person]]:
    """The current code version and the holder of each person's pass code."""
    if not person_ids:
        return {}
    connection = connections[DEFAULT_DB_ALIAS]
    found = {}
    sql = _pass_codes_sql(connection.vendor, len(person_ids))
    for version, *values in hot_sql.fetch_hot(sql, _in_params(connection.vendor, list(person_ids))):
        holder = _holder(connection, values)
        found[holder.pk] = (version, holder)
    return found


def stored_client_uuids(uuids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Which of these client_uuids are stored already."""
    connection = connections[DEFAULT_DB_ALIAS]
    q = connection.ops.quote_name
    field = Entry._meta.get_field("client_uuid")
    sql = (
        f"SELECT {q('client_uuid')} FROM {q(Entry._meta.db_table)} "
        f"WHERE {_in(connection.vendor, q('client_uuid'), len(uuids))}"
    )
    values = [field.get_db_prep_value(value, connection) for value in uuids]
    rows = hot_sql.fetch_hot(sql, _in_params(connection.vendor, values))
    return [field.to_python(value) for (value,) in rows]


def recent_checks(
    checkpoint_id: int,
    subjects: set[str],
    span: tuple[datetime.datetime, datetime.datetime],
    window: datetime.timedelta,
) -> list[tuple[str, datetime.datetime, str, str, int, int]]:
    """(subject, observed at, direction, decision, attempt, id), oldest
    first: the checks of these subjects at the checkpoint within `span`,
    and the last one of each subject and direction before it when that is a
    denial within `window` of the span's start (an admission, or an older
    denial, links nothing; on a busy gate most subjects have such a last
    check, and the batch need not read them). Callers apply the window to
    each check of the span themselves."""
    if not subjects:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    observed = Entry._meta.get_field("observed_at")
    start, end = (observed.get_db_prep_value(moment, connection) for moment in span)
    before = observed.get_db_prep_value(span[0] - window, connection)
    ordered = sorted(subjects)
    if connection.vendor == "postgresql":
        rows = _recent_checks_postgresql(checkpoint_id, ordered, start, end, before)
    else:
        params = [*ordered, checkpoint_id, start, end, *ordered, checkpoint_id, before, start]
        rows = hot_sql.fetch_hot(_recent_sql(connection.vendor, len(subjects)), params)
    return [
        (subject, _datetime(observed_at), direction, decision, attempt, pk)
        for subject, observed_at, direction, decision, attempt, pk in rows
    ]


def _recent_checks_postgresql(
    checkpoint_id: int,
    subjects: list[str],
    start: datetime.datetime,
    end: datetime.datetime,
    window_start: datetime.datetime,
) -> list[tuple[Any, ...]]:
    """First each subject's last check by the batch's end, one index probe
    per subject and direction. Where that is before the batch's start, it is
    all there is to know; the few subjects checked inside the span (another
    device at the same gate meanwhile) are read again in full."""
    last = hot_sql.fetch_hot(
        _last_checks_sql(False), [subjects, checkpoint_id, end, start, window_start]
    )
    busy = sorted({row[0] for row in last if row[1] >= start})
    if not busy:
        return sorted(last, key=lambda row: (row[1], row[5]))
    inside = set(busy)
    rows = [row for row in last if row[0] not in inside]
    rows += hot_sql.fetch_hot(_in_span_sql(), [busy, checkpoint_id, start, end])
    rows += hot_sql.fetch_hot(
        _last_checks_sql(True), [busy, checkpoint_id, start, start, window_start]
    )
    return sorted(rows, key=lambda row: (row[1], row[5]))


# --- writes ----------------------------------------------------------------------------


def insert_entry_linked(entry: Entry, *, since: datetime.datetime) -> None:
    """INSERT one entry, linked in the same statement to the last check of
    the same subject at the same gate in the same direction since `since`
    when that check was a denial (the second attempt of one passage). Sets
    the entry's id, previous attempt and attempt number. Raises
    IntegrityError for a client_uuid already stored."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_linked_sql(connection.vendor)
    params = _params(entry, fields, connection)
    observed = Entry._meta.get_field("observed_at")
    # The CASE's window bound comes first in each subquery, then the lookup's.
    prior = [
        observed.get_db_prep_value(since, connection),
        entry.subject_key or None,  # no subject, no earlier check
        entry.checkpoint_id,
        entry.direction,
        observed.get_db_prep_value(entry.observed_at, connection),
    ]
    [(entry.pk, entry.previous_attempt_id, entry.attempt)] = hot_sql.fetch_hot(
        sql, params + prior + prior
    )
    entry._state.adding = False
    entry._state.db = connection.alias


def reads_holder_while_inserting() -> bool:
    """Whether `insert_code_entry` is available (PostgreSQL)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def insert_code_entry(
    entry: Entry,
    *,
    code_version: int,
    denied_statuses: list[str],
    since: datetime.datetime,
) -> str | None:
    """The scanned pass code's holder read, and the entry inserted, in one
    statement, when the holder is as the entry's decision assumed: the
    code is current (`code_version`) and the holder's status, current since
    before the observation, is none of `denied_statuses`. Linked to a
    denial since `since` like `insert_entry_linked`.

    Returns who passed (name and masked ID number) when it inserted, and
    then sets the entry's id, previous attempt and attempt; None when it
    did not. Raises IntegrityError for a client_uuid already stored."""
    connection = connections[DEFAULT_DB_ALIAS]
    params = {field.attname: getattr(entry, field.attname) for field in _linked_fields()}
    params.update(code_version=code_version, denied_statuses=denied_statuses, since=since)
    rows = hot_sql.fetch_hot(_insert_code_entry_sql(), params)
    if not rows:
        return None
    [(entry.pk, entry.previous_attempt_id, entry.attempt, name, prefix, last4)] = rows
    entry._state.adding = False
    entry._state.db = connection.alias
    return f"{name} {personal_data.mask_id_number(prefix, last4)}"


def insert_entries(entries: list[Entry]) -> None:
    """INSERT a batch of entries in one statement and set their ids."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        Entry.objects.bulk_create(entries)
        return
    sql, fields = _bulk_insert_sql(connection.vendor)
    columns = [[getattr(entry, field.attname) for entry in entries] for field in fields]
    by_uuid = {entry.client_uuid: entry for entry in entries}
    with hot_sql.server_binding_cursor(connection) as cursor:
        cursor.execute(sql, columns)
        for pk, client_uuid in cursor.fetchall():
            entry = by_uuid[client_uuid]
            entry.pk = pk
            entry._state.adding = False
            entry._state.db = connection.alias
