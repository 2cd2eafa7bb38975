"""core.migration_operations: checkpoints 0002 (AddIndexOnline of
entry_subject_passage, RemoveIndexOnline of entry_subject_observed) reverts
and applies again on the database the tests use; on PostgreSQL it builds and
drops the indexes CONCURRENTLY and leaves them valid.

These tests migrate the shared test database back and forth, so each one
migrates every app forward to the latest migration afterwards, even when an
assertion fails (the checkpoints app reverted to 0001 also reverts whatever
migration of another app depends on checkpoints 0002, none today)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

PASSAGE = "entry_subject_passage"
PASSAGE_COLUMNS = ["subject_key", "checkpoint_id", "direction", "observed_at", "id"]
# The index 0002 replaces, put back when 0002 is reverted.
OBSERVED = "entry_subject_observed"
OBSERVED_COLUMNS = ["subject_key", "observed_at"]


def entry_indexes() -> dict[str, list[str]]:
    """The indexes of checkpoints_entry, with their columns in order."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "checkpoints_entry")
    return {name: info["columns"] for name, info in constraints.items() if info["index"]}


def migrate(*target: str) -> list[str]:
    """Runs `migrate` to `target`; the SQL statements it sent."""
    with CaptureQueriesContext(connection) as sent:
        call_command("migrate", *target, verbosity=0)
    return [query["sql"] for query in sent.captured_queries]


def unapplied_migrations() -> list:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def statements_on(index: str, sent: list[str]) -> list[str]:
    """The CREATE/DROP INDEX statements among `sent` that name `index` (not
    the django_migrations rows of 0002_entry_subject_passage_index, nor
    sqlmigrate's comments)."""
    return [sql for sql in sent if "INDEX" in sql and f'"{index}"' in sql]


def validity(index: str) -> bool:
    """pg_index.indisvalid of `index` on checkpoints_entry."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'checkpoints_entry'::regclass AND c.relname = %s
            """,
            [index],
        )
        rows = cursor.fetchall()
    assert len(rows) == 1, f"{index}: {rows}"
    return rows[0][0]


def invalid_entry_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'checkpoints_entry'::regclass AND NOT i.indisvalid
            """
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_it_drops_and_rebuilds_the_subject_index_across_its_migration():
    assert entry_indexes()[PASSAGE] == PASSAGE_COLUMNS
    try:
        migrate("checkpoints", "0001")
        indexes = entry_indexes()
        assert PASSAGE not in indexes
        assert indexes[OBSERVED] == OBSERVED_COLUMNS

        migrate("checkpoints")
        indexes = entry_indexes()
        assert indexes[PASSAGE] == PASSAGE_COLUMNS
        assert OBSERVED not in indexes
        assert unapplied_migrations() == []
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_builds_and_drops_valid_indexes_concurrently_on_postgresql():
    assert connection.vendor == "postgresql"
    try:
        backwards = migrate("checkpoints", "0001")
        assert statements_on(PASSAGE, backwards)
        assert all("DROP INDEX CONCURRENTLY" in sql for sql in statements_on(PASSAGE, backwards))
        assert statements_on(OBSERVED, backwards)
        assert all("CREATE INDEX CONCURRENTLY" in sql for sql in statements_on(OBSERVED, backwards))
        assert validity(OBSERVED)

        forwards = migrate("checkpoints")
        assert statements_on(PASSAGE, forwards)
        assert all("CREATE INDEX CONCURRENTLY" in sql for sql in statements_on(PASSAGE, forwards))
        assert statements_on(OBSERVED, forwards)
        assert all("DROP INDEX CONCURRENTLY" in sql for sql in statements_on(OBSERVED, forwards))
        assert validity(PASSAGE)
        assert invalid_entry_indexes() == []
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("direction", [[], ["--backwards"]], ids=["forwards", "backwards"])
def test_it_shows_concurrently_in_sqlmigrate_only_on_postgresql(direction):
    # transaction=True although nothing is migrated: inside a test's transaction
    # SQLite's schema editor refuses to start, and so do the concurrent
    # operations on PostgreSQL.
    concurrently = {"postgresql": True, "sqlite": False}[connection.vendor]
    sql = call_command("sqlmigrate", "checkpoints", "0002", *direction, stdout=io.StringIO())
    lines = sql.splitlines()
    statements = statements_on(PASSAGE, lines) + statements_on(OBSERVED, lines)
    assert len(statements) == 2, sql
    assert [("CONCURRENTLY" in statement) for statement in statements] == [concurrently] * 2
    # atomic = False: not wrapped in a transaction, which CONCURRENTLY refuses.
    assert "BEGIN;" not in lines
    # The description says where it runs concurrently, on every database.
    descriptions = [line for line in lines if line.startswith("-- ") and "index" in line]
    assert len(descriptions) == 2
    assert all(line.endswith("(concurrently on PostgreSQL)") for line in descriptions)
