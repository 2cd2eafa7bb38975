"""The resident registry import: CSV or XLSX, streamed, validated row by row,
staged in a temporary table, checked as a whole in SQL (duplicates), then
merged with set-based statements. Memory stays flat whatever the file size.

All or nothing by default: one bad row and nothing changes. With `partial`,
good rows are applied and bad ones reported.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.core import personal_data
from fangkong.core.identity import InvalidIdentity, parse_id_number, parse_phone
from fangkong.core.importing import Column, ImportResult, RowError, read_rows
from fangkong.core.scoping import Scope
from fangkong.core.staging import StagingTable
from fangkong.people.rules import CellError, parse_yes_no
from fangkong.regions.models import Unit

PEOPLE_COLUMNS = [
    Column("name", ("name", "姓名")),
    Column("id_number", ("id_number", "身份证号", "身份证号码", "公民身份号码", "证件号码")),
    Column("phone", ("phone", "手机号", "手机号码", "联系电话", "电话"), required=False),
    Column("unit_code", ("unit_code", "所属单位编码", "单位编码", "小区编码", "村编码")),
    Column(
        "household",
        ("household", "household_number", "address", "户号", "家庭住址", "住址"),
        required=False,
    ),
    Column(
        "has_smartphone",
        ("has_smartphone", "smartphone", "有无智能手机", "是否有智能手机", "智能手机"),
        required=False,
    ),
]

_STAGE_COLUMNS = (
    "row_no",
    "name",
    "id_hash",
    "id_enc",
    "id_prefix",
    "id_last4",
    "phone_enc",
    "phone_hash",
    "phone_prefix",
    "phone_last4",
    "sex",
    "birth_date",
    "unit_id",
    "household_label",
    "has_smartphone",
)
_BATCH = 5000


class _Staging(StagingTable):
    """The validated rows of one registry import."""

    def __init__(self) -> None:
        super().__init__(
            "people_import",
            _STAGE_COLUMNS,
            """row_no integer PRIMARY KEY, name varchar(100) NOT NULL,
            id_hash {uuid} NOT NULL, id_enc {binary} NOT NULL,
            id_prefix varchar(6) NOT NULL, id_last4 varchar(4) NOT NULL,
            phone_enc {binary}, phone_hash {uuid},
            phone_prefix varchar(3) NOT NULL, phone_last4 varchar(4) NOT NULL,
            sex varchar(1) NOT NULL, birth_date date NOT NULL, unit_id bigint NOT NULL,
            household_label varchar(200) NOT NULL, has_smartphone boolean,
            ok boolean NOT NULL DEFAULT true""",
        )

    def create(self) -> None:
        super().create()
        # Chunks are checked for duplicates while later rows still arrive.
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {self.table}_hash ON {self.table} (id_hash, row_no)")


def _validated_rows(
    path: Path | str, result: ImportResult, units: dict[str, tuple[int, str]], scope: Scope
) -> Iterator[tuple[Any, ...]]:
    """Stage-ready tuples for good rows; bad rows go to result.errors."""
    today = timezone.localdate()
    keyring = personal_data.keyring()
    for row_number, row in read_rows(path, PEOPLE_COLUMNS):
        result.total_rows += 1
        errors: list[RowError] = []
        name = row["name"].strip()
        if not name:
            errors.append(RowError(row_number, "name", _("name is empty")))
        elif len(name) > 100:
            errors.append(RowError(row_number, "name", _("name is longer than 100 characters")))
        resident_id = None
        try:
            resident_id = parse_id_number(row["id_number"], today)
        except InvalidIdentity as error:
            errors.append(RowError(row_number, "id_number", str(error)))
        phone = ""
        if row.get("phone"):
            try:
                phone = parse_phone(row["phone"])
            except InvalidIdentity as error:
                errors.append(RowError(row_number, "phone", str(error)))
        unit = units.get(row["unit_code"].strip())
        if unit is None:
            reason = (
                _("unit code is empty")
                if not row["unit_code"].strip()
                else _("unknown unit code %(code)s") % {"code": row["unit_code"].strip()}
            )
            errors.append(RowError(row_number, "unit_code", reason))
        elif not scope.contains_path(unit[1]):
            errors.append(RowError(row_number, "unit_code", _("unit is outside your area")))
        household = row.get("household", "").strip()
        if len(household) > 200:
            errors.append(RowError(row_number, "household", _("longer than 200 characters")))
        try:
            has_smartphone = parse_yes_no(row.get("has_smartphone", ""))
        except CellError as error:
            errors.append(RowError(row_number, "has_smartphone", str(error)))
        if errors:
            result.errors.extend(errors)
            continue
        assert resident_id is not None and unit is not None
        number = resident_id.number
        yield (
            row_number,
            name,
            keyring.lookup_hash("id", number),
            keyring.encrypt(number),
            number[:6],
            number[-4:],
            keyring.encrypt(phone) if phone else None,
            keyring.lookup_hash("phone", phone) if phone else None,
            phone[:3],
            phone[-4:],
            resident_id.sex,
            resident_id.birth_date,
            unit[0],
            household,
            has_smartphone,
        )


def _mark_duplicates(stage: _Staging, result: ImportResult, chunk: tuple[int, int]) -> None:
    """Every row of the chunk whose ID number appeared on an earlier row of the
    file is bad, and its error names both rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT later.row_no, MIN(earlier.row_no) FROM {stage.table} later
                JOIN {stage.table} earlier
                  ON earlier.id_hash = later.id_hash AND earlier.row_no < later.row_no
                WHERE later.row_no BETWEEN %s AND %s
                GROUP BY later.row_no ORDER BY later.row_no""",
            list(chunk),
        )
        duplicates = cursor.fetchall()
        for later, earlier in duplicates:
            result.errors.append(
                RowError(
                    later,
                    "id_number",
                    _("duplicate ID number: rows %(first)s and %(second)s")
                    % {"first": earlier, "second": later},
                )
            )
    stage.reject([later for later, _earlier in duplicates])


def _merge(stage: _Staging, result: ImportResult, chunk: tuple[int, int]) -> None:
    now = timezone.now()
    table = stage.table
    with connection.cursor() as cursor:
        if stage.postgres:
            # Each statement below looks rows of one chunk up by unique keys. A hash
            # or merge join would read the whole registry once per chunk instead,
            # which is what the planner picks inside the transaction, where the rows
            # just added are not in its statistics. JIT compiling one-off statements
            # costs more than it saves.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"""INSERT INTO people_household (unit_id, label, created_at, updated_at)
                SELECT DISTINCT unit_id, household_label, %s, %s FROM {table}
                WHERE ok AND household_label <> '' AND row_no BETWEEN %s AND %s
                ON CONFLICT (unit_id, label) DO NOTHING""",
            [now, now, *chunk],
        )
        household = """(SELECT h.id FROM people_household h
                         WHERE h.unit_id = s.unit_id AND h.label = s.household_label)"""
        # Which rows name someone already registered: one probe of the unique
        # index per row (a scalar subquery cannot be turned into a scan of the
        # registry), and a fresh import skips the UPDATE altogether.
        cursor.execute(
            f"""SELECT count(*) FROM (
                  SELECT (SELECT 1 FROM people_person p WHERE p.id_number_hash = s.id_hash) AS hit
                  FROM {table} s WHERE s.ok AND s.row_no BETWEEN %s AND %s) probed
                WHERE hit IS NOT NULL""",
            list(chunk),
        )
        if cursor.fetchone()[0]:
            # Blank cells keep what is known; the rest of the row replaces it.
            cursor.execute(
                f"""UPDATE people_person SET
                      name = s.name,
                      phone_encrypted = COALESCE(s.phone_enc, people_person.phone_encrypted),
                      phone_hash = CASE WHEN s.phone_hash IS NOT NULL THEN s.phone_hash
                                        ELSE people_person.phone_hash END,
                      phone_prefix = CASE WHEN s.phone_hash IS NOT NULL THEN s.phone_prefix
                                          ELSE people_person.phone_prefix END,
                      phone_last4 = CASE WHEN s.phone_hash IS NOT NULL THEN s.phone_last4
                                         ELSE people_person.phone_last4 END,
                      home_unit_id = s.unit_id,
                      household_id = CASE WHEN s.household_label <> '' THEN {household}
                                          ELSE people_person.household_id END,
                      has_smartphone = COALESCE(s.has_smartphone, people_person.has_smartphone),
                      is_resident = true,
                      updated_at = %s
                    FROM {table} s
                    WHERE s.ok AND s.row_no BETWEEN %s AND %s
                      AND people_person.id_number_hash = s.id_hash""",
                [now, *chunk],
            )
            result.updated += cursor.rowcount
        cursor.execute(
            f"""INSERT INTO people_person (
                  name, id_number_encrypted, id_number_hash, id_number_prefix, id_number_last4,
                  phone_encrypted, phone_hash, phone_prefix, phone_last4, sex, birth_date,
                  home_unit_id, household_id, has_smartphone, is_resident, status,
                  status_since, created_at, updated_at)
                SELECT s.name, s.id_enc, s.id_hash, s.id_prefix, s.id_last4,
                  s.phone_enc, s.phone_hash, s.phone_prefix, s.phone_last4, s.sex, s.birth_date,
                  s.unit_id, h.id, COALESCE(s.has_smartphone, true), true, 'normal',
                  %s, %s, %s
                FROM {table} s
                LEFT JOIN people_household h
                  ON h.unit_id = s.unit_id AND h.label = s.household_label
                WHERE s.ok AND s.row_no BETWEEN %s AND %s
                ON CONFLICT (id_number_hash) DO NOTHING""",
            [now, now, now, *chunk],
        )
        result.created += cursor.rowcount
        if stage.postgres:
            for setting in ("enable_hashjoin", "enable_mergejoin", "jit"):
                cursor.execute(f"RESET {setting}")


class _Rollback(Exception):
    pass


_CHUNK = 50_000
_DONE = None


def _validate_in_background(
    path: Path | str,
    result: ImportResult,
    units: dict[str, tuple[int, str]],
    scope: Scope,
    stage: _Staging,
    stop: threading.Event,
) -> tuple[threading.Thread, queue.Queue]:
    """Validation and encryption are pure Python; running them on a thread lets
    them overlap the database work, during which the GIL is released."""
    batches: queue.Queue = queue.Queue(maxsize=8)
    # Row errors speak the caller's language; threads do not inherit it.
    language = translation.get_language()

    def hand_over(item: Any) -> None:
        # The consumer may give up (a database error); then nobody reads the
        # queue any more and a blocking put would never return.
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def produce() -> None:
        translation.activate(language)
        try:
            batch: list[tuple[Any, ...]] = []
            for staged in _validated_rows(path, result, units, scope):
                if stop.is_set():
                    return
                batch.append(staged)
                if len(batch) >= _BATCH:
                    hand_over((stage.prepare(batch), len(batch), batch[-1][0]))
                    batch = []
            if batch:
                hand_over((stage.prepare(batch), len(batch), batch[-1][0]))
            hand_over(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises
            hand_over(error)

    thread = threading.Thread(target=produce, name="people-import-validation", daemon=True)
    thread.start()
    return thread, batches


def run_people_import(path: Path | str, *, partial: bool, scope: Scope) -> ImportResult:
    """Validate and apply a registry file; see the module docstring.

    Rows are merged a chunk at a time while later rows are still being
    validated; a bad row anywhere (without `partial`) rolls everything back.
    """
    result = ImportResult()
    units = {
        code: (pk, unit_path)
        for pk, code, unit_path in Unit.objects.values_list("pk", "code", "path")
    }
    stage = _Staging()
    stop = threading.Event()
    thread, batches = _validate_in_background(path, result, units, scope, stage, stop)
    try:
        with transaction.atomic():
            stage.create()
            chunk_start, staged_rows, last_row = 0, 0, 0

            def merge_chunk() -> None:
                nonlocal chunk_start, staged_rows
                chunk = (chunk_start, last_row)
                _mark_duplicates(stage, result, chunk)
                if partial or not result.errors:
                    _merge(stage, result, chunk)
                chunk_start, staged_rows = last_row + 1, 0

            while (batch := batches.get()) is not _DONE:
                if isinstance(batch, BaseException):
                    raise batch
                prepared, count, last_row = batch
                stage.write(prepared)
                staged_rows += count
                if staged_rows >= _CHUNK:
                    if chunk_start == 0:
                        stage.analyze()
                    merge_chunk()
            if staged_rows:
                merge_chunk()
            if result.errors and not partial:
                raise _Rollback
            stage.drop()
            result.applied = True
    except _Rollback:
        result.created = result.updated = 0
    finally:
        stop.set()
        thread.join()
        if not result.applied:
            # The rollback already removed the table on PostgreSQL; SQLite keeps temp DDL.
            stage.drop()
    return result


def _import_people_command(actor, path, *, partial):
    from fangkong.people.services import import_people

    return import_people(actor, path, partial=partial)


# `fangkong import people FILE`
COMMAND_IMPORTS = {"people": _import_people_command}
