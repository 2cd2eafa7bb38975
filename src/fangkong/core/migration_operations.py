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


def _on_postgresql(schema_editor: Any) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexOnline(AddIndexConcurrently):
    """AddIndex, CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, *states)


class RemoveIndexOnline(RemoveIndexConcurrently):
    """RemoveIndex, CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, *states)
