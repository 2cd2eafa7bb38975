"""Staging tables for large imports: the validated rows of one file go into a
temporary table (COPY on PostgreSQL, executemany on SQLite), are checked as a
whole with SQL, and are merged with set-based statements in the same
transaction. Each importer describes its columns; this holds the plumbing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def _copy_field(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return str(value)  # int, date, datetime, Decimal, UUID


def copy_lines(rows: Sequence[tuple[Any, ...]]) -> bytes:
    """Rows as a block of COPY text; pure Python, so it can be built on
    another thread than the connection's."""
    return "".join("\t".join([_copy_field(value) for value in row]) + "\n" for row in rows).encode()


class StagingTable:
    """A temporary table holding the validated rows of one import.

    `definition` is the column list of CREATE TABLE; it may use the
    placeholders {binary}, {uuid} and {moment}, which become each database's
    type (Django keeps UUIDs as 32 hex characters on SQLite). `columns` are
    the columns rows are written to, in order.
    """

    def __init__(self, prefix: str, columns: Sequence[str], definition: str) -> None:
        self.table = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.columns = tuple(columns)
        self.definition = definition
        self.postgres = connection.vendor == "postgresql"

    def create(self) -> None:
        types = (
            {"binary": "bytea", "uuid": "uuid", "moment": "timestamptz"}
            if self.postgres
            else {"binary": "blob", "uuid": "char(32)", "moment": "datetime"}
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} ({self.definition.format(**types)})"
            )

    def prepare(self, rows: Sequence[tuple[Any, ...]]) -> Any:
        """What `write` sends for these rows: COPY text on PostgreSQL, tuples
        with UUIDs as hex on SQLite. May run on a worker thread."""
        if self.postgres:
            return copy_lines(rows)
        return [
            tuple(value.hex if isinstance(value, uuid.UUID) else value for value in row)
            for row in rows
        ]

    def write(self, prepared: Any) -> None:
        """Send rows made by `prepare`."""
        columns = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                    copy.write(prepared)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", prepared
                )

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.write(self.prepare(rows))

    def write_all(self, rows: Iterable[tuple[Any, ...]], batch_size: int) -> None:
        """Write rows as they come, `batch_size` at a time, so a long file
        is never held whole."""
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                self.write_rows(batch)
                batch = []
        if batch:
            self.write_rows(batch)

    def reject(self, row_numbers: Sequence[int]) -> None:
        """Mark these rows bad (`ok = false`, a column every staging table
        has): they are reported, and the merge leaves them out."""
        if not row_numbers:
            return
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    f"UPDATE {self.table} SET ok = false WHERE row_no = ANY(%s)",
                    [list(row_numbers)],
                )
                return
            # SQLite caps the parameters of one statement.
            for start in range(0, len(row_numbers), 500):
                chunk = list(row_numbers[start : start + 500])
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"UPDATE {self.table} SET ok = false WHERE row_no IN ({marks})", chunk
                )

    def analyze(self) -> None:
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.table}")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
