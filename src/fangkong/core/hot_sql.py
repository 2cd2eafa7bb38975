"""Running the few statements a busy endpoint sends on every request.

Django's own cursors bind parameters on the client (the statement text
changes with every value, so PostgreSQL plans it every time) and, with
CONN_HEALTH_CHECKS, probe a reused connection with `SELECT 1` before its
first query in each request. For a statement sent hundreds of times a second
(a gate entry) both cost more than the statement itself. `fetch_hot` binds
on the server, so the connection prepares the statement after
DATABASE_PREPARE_AFTER uses and the database plans it once; it skips the
probe and instead, when the connection turns out to be dead, opens a new one
and sends the statement again. That is only right for statements that may
run twice: the gate's are (a repeated client_uuid is answered with the first
result). Inside a transaction nothing is retried.

Queries are still counted and logged like Django's (the debug wrapper), and
errors come out as django.db exceptions. SQLite goes through Django's cursor.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# One cursor per database connection (each belongs to one thread): creating
# a psycopg cursor for every statement shows on a busy endpoint.
_cursors: WeakKeyDictionary[Any, psycopg.Cursor] = WeakKeyDictionary()

# psycopg's compiled timestamptz loader. Django installs a loader written in
# Python (to attach its own tzinfo object); with USE_TZ both give aware
# datetimes in UTC, and a batch reads a few per entry.
_TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
_NATIVE_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ, psycopg.pq.Format.TEXT)


def server_binding_cursor(connection: Any) -> Any:
    """A Django-wrapped cursor that sends parameters apart from the
    statement: prepared by the connection, and arrays of hundreds of values
    go in binary. The caller closes it."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    return _wrap(connection, psycopg.Cursor(connection.connection))


def _wrap(connection: Any, cursor: psycopg.Cursor) -> Any:
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _fetch(connection: Any, sql: str, params: Any) -> list[tuple[Any, ...]]:
    connection.ensure_connection()
    raw = connection.connection
    cursor = _cursors.get(raw)
    if cursor is None or cursor.closed:
        cursor = _cursors[raw] = psycopg.Cursor(raw)
        if settings.USE_TZ and _NATIVE_TIMESTAMPTZ_LOADER is not None:
            cursor.adapters.register_loader(_TIMESTAMPTZ, _NATIVE_TIMESTAMPTZ_LOADER)
    wrapped = _wrap(connection, cursor)
    wrapped.execute(sql, params)
    return wrapped.fetchall()


def fetch_hot(sql: str, params: Any) -> list[tuple[Any, ...]]:
    """Run a statement that may safely run twice and return its rows."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    if connection.in_atomic_block:
        connection.close_if_health_check_failed()
        return _fetch(connection, sql, params)
    # The probe is replaced by what it stands for: a dead connection shows
    # on first use, and is then replaced once.
    connection.health_check_done = True
    try:
        return _fetch(connection, sql, params)
    except (OperationalError, InterfaceError):
        raw = connection.connection
        if raw is not None and not (raw.closed or raw.broken):
            raise
    connection.close()
    return _fetch(connection, sql, params)
