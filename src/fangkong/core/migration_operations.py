"""Migration operations that keep a live PostgreSQL database writable.

Gates post entries around the clock, and a plain CREATE INDEX on a table of
weeks of entries blocks every INSERT until it finishes. These operations
build and drop indexes CONCURRENTLY on PostgreSQL and fall back to the plain
statements on SQLite, the embedded default, which has no such option. A
migration using them sets `atomic = False`, as PostgreSQL requires.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


class _OnlineOnPostgreSQL:
    """The concurrent operation on PostgreSQL, `plain` elsewhere."""

    plain: Any

    def _run(self, step: str, app_label: str, schema_editor: Any, states: tuple) -> None:
        if schema_editor.connection.vendor == "postgresql":
            getattr(super(), step)(app_label, schema_editor, *states)
        else:
            getattr(self.plain, step)(self, app_label, schema_editor, *states)

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        self._run("database_forwards", app_label, schema_editor, states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        self._run("database_backwards", app_label, schema_editor, states)

    def describe(self) -> str:
        # The concurrent operations' own wording would say "concurrently"
        # on SQLite too (in sqlmigrate and migrate's output).
        return f"{self.plain.describe(self)} (concurrently on PostgreSQL)"


class AddIndexOnline(_OnlineOnPostgreSQL, AddIndexConcurrently):
    """AddIndex, CONCURRENTLY on PostgreSQL."""

    plain = AddIndex


class RemoveIndexOnline(_OnlineOnPostgreSQL, RemoveIndexConcurrently):
    """RemoveIndex, CONCURRENTLY on PostgreSQL."""

    plain = RemoveIndex
