"""Dose and target-population imports: CSV (UTF-8 or GB18030) or XLSX, with
English or Chinese headers, validated row by row, all or nothing unless
`partial`.

Doses come by the hundred thousand from clinic systems, so they follow the
registry import's pattern: validated rows are COPYed into a temporary
staging table, checked as a whole in SQL (duplicates in the file, doses of
another area), then merged with set-based statements. A dose for someone not
in the registry creates a minimal non-resident person at the administering
unit, as `people.services.ensure_person` does one at a time. A person's dose
number is the key: importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import personal_data
from fangkong.core.identity import InvalidIdentity, parse_id_number
from fangkong.core.importing import Column, ImportResult, RowError, read_rows
from fangkong.core.scoping import Scope
from fangkong.core.staging import StagingTable
from fangkong.regions.models import Unit
from fangkong.vaccination import rules
from fangkong.vaccination.models import TargetPopulation

DOSE_COLUMNS = [
    Column("id_number", ("id_number", "身份证号", "身份证号码", "公民身份号码", "证件号码")),
    Column("name", ("name", "姓名", "受种者姓名", "受种者")),
    Column("dose_number", ("dose_number", "剂次", "接种剂次", "针次", "第几剂")),
    Column("vaccine", ("vaccine", "疫苗", "疫苗名称", "疫苗产品", "疫苗品种")),
    Column("batch", ("batch", "批号", "疫苗批号"), required=False),
    Column("administered_at", ("administered_at", "接种时间", "接种日期时间")),
    Column("unit_code", ("unit_code", "接种单位编码", "单位编码")),
    Column("site", ("site", "接种点", "接种点名称"), required=False),
]

TARGET_COLUMNS = [
    Column("unit_code", ("unit_code", "单位编码", "所属单位编码")),
    Column("group", ("group", "age_group", "人群", "年龄组", "目标人群")),
    Column("population", ("population", "目标人数", "目标人口", "人数", "人口数")),
    Column("valid_from", ("valid_from", "起始日期", "生效日期", "执行日期")),
]

_STAGE_COLUMNS = (
    "row_no",
    "name",
    "id_hash",
    "id_enc",
    "id_prefix",
    "id_last4",
    "sex",
    "birth_date",
    "dose_number",
    "vaccine",
    "batch",
    "administered_at",
    "unit_id",
    "site",
)
_BATCH = 5000


class _Rollback(Exception):
    pass


@dataclass
class DoseImportResult(ImportResult):
    """An import's counts, plus the non-resident people it had to create."""

    people_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "people_created": self.people_created}


class _DoseStaging(StagingTable):
    """The validated rows of one dose import."""

    def __init__(self) -> None:
        super().__init__(
            "dose_import",
            _STAGE_COLUMNS,
            """row_no integer PRIMARY KEY, name varchar(100) NOT NULL,
            id_hash {uuid} NOT NULL, id_enc {binary} NOT NULL,
            id_prefix varchar(6) NOT NULL, id_last4 varchar(4) NOT NULL,
            sex varchar(1) NOT NULL, birth_date date NOT NULL,
            dose_number smallint NOT NULL, vaccine varchar(100) NOT NULL,
            batch varchar(50) NOT NULL, administered_at {moment} NOT NULL,
            unit_id bigint NOT NULL, site varchar(100) NOT NULL,
            ok boolean NOT NULL DEFAULT true""",
        )

    def index(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX {self.table}_key ON {self.table} (id_hash, dose_number, row_no)"
            )
        self.analyze()


def _validated_doses(
    path: Path | str, result: DoseImportResult, units: dict[str, tuple[int, str]], scope: Scope
) -> Iterator[tuple[Any, ...]]:
    """Stage-ready tuples for good rows; bad rows go to result.errors."""
    now = timezone.now()
    today = timezone.localdate()
    keyring = personal_data.keyring()
    adapt_instant = connection.ops.adapt_datetimefield_value
    adapt_date = connection.ops.adapt_datefield_value
    postgres = connection.vendor == "postgresql"
    for row_number, row in read_rows(path, DOSE_COLUMNS):
        result.total_rows += 1
        errors: list[RowError] = []

        def fail(
            column: str, reason: Any, errors: list[RowError] = errors, row: int = row_number
        ) -> None:
            errors.append(RowError(row, column, str(reason)))

        name = row["name"].strip()
        if not name:
            fail("name", _("name is empty"))
        elif len(name) > 100:
            fail("name", _("name is longer than 100 characters"))
        resident_id = None
        try:
            resident_id = parse_id_number(row["id_number"], today)
        except InvalidIdentity as error:
            fail("id_number", error)
        dose_number = administered_at = None
        try:
            dose_number = rules.parse_dose_number(row["dose_number"])
        except rules.CellError as error:
            fail("dose_number", error)
        vaccine = row["vaccine"].strip()
        if not vaccine:
            fail("vaccine", _("vaccine is empty"))
        elif len(vaccine) > 100:
            fail("vaccine", _("longer than 100 characters"))
        batch = row.get("batch", "").strip()
        if len(batch) > 50:
            fail("batch", _("longer than 50 characters"))
        site = row.get("site", "").strip()
        if len(site) > 100:
            fail("site", _("longer than 100 characters"))
        try:
            administered_at = rules.parse_instant(row["administered_at"])
            rules.check_administered_at(administered_at, now)
        except rules.CellError as error:
            fail("administered_at", error)
        code = row["unit_code"].strip()
        unit = units.get(code)
        if unit is None:
            fail(
                "unit_code",
                _("unit code is empty")
                if not code
                else _("unknown unit code %(code)s") % {"code": code},
            )
        elif not scope.contains_path(unit[1]):
            fail("unit_code", _("unit is outside your area"))
        if errors:
            result.errors.extend(errors)
            continue
        assert resident_id is not None and unit is not None and administered_at is not None
        number = resident_id.number
        id_hash = keyring.lookup_hash("id", number)
        yield (
            row_number,
            name,
            id_hash if postgres else id_hash.hex,
            keyring.encrypt(number),
            number[:6],
            number[-4:],
            resident_id.sex,
            adapt_date(resident_id.birth_date),
            dose_number,
            vaccine,
            batch,
            adapt_instant(administered_at),
            unit[0],
            site,
        )


def _mark_duplicates(stage: _DoseStaging, result: ImportResult) -> None:
    """A later row giving the same person's same dose again is bad, and its
    error names both rows."""
    table = stage.table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT later.row_no, MIN(earlier.row_no) FROM {table} later
                JOIN {table} earlier ON earlier.id_hash = later.id_hash
                 AND earlier.dose_number = later.dose_number AND earlier.row_no < later.row_no
                GROUP BY later.row_no ORDER BY later.row_no"""
        )
        duplicates = cursor.fetchall()
        for later, earlier in duplicates:
            result.errors.append(
                RowError(
                    later,
                    "dose_number",
                    _("the same dose of the same person twice: rows %(first)s and %(second)s")
                    % {"first": earlier, "second": later},
                )
            )
    stage.reject([later for later, _earlier in duplicates])


def _mark_foreign_doses(stage: _DoseStaging, result: ImportResult, scope: Scope) -> None:
    """A row may not overwrite a dose that a unit outside the importer's
    area recorded."""
    if scope.everything:
        return
    table = stage.table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT s.row_no, u.path FROM {table} s
                JOIN people_person p ON p.id_number_hash = s.id_hash
                JOIN vaccination_dose d ON d.person_id = p.id AND d.dose_number = s.dose_number
                JOIN regions_unit u ON u.id = d.unit_id
                WHERE s.ok"""
        )
        foreign = [row for row, path in cursor.fetchall() if not scope.contains_path(path)]
        for row in foreign:
            result.errors.append(
                RowError(
                    row,
                    "dose_number",
                    _("this dose is already recorded by a unit outside your area"),
                )
            )
    stage.reject(foreign)


def _merge_doses(stage: _DoseStaging, result: DoseImportResult, recorded_by: str) -> None:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = stage.table
    with connection.cursor() as cursor:
        # People not in the registry: one minimal non-resident record each, at
        # the unit that gave their first row's dose.
        cursor.execute(
            f"""INSERT INTO people_person (
                  name, id_number_encrypted, id_number_hash, id_number_prefix, id_number_last4,
                  phone_encrypted, phone_hash, phone_prefix, phone_last4, sex, birth_date,
                  home_unit_id, household_id, has_smartphone, is_resident, status,
                  status_since, created_at, updated_at)
                SELECT s.name, s.id_enc, s.id_hash, s.id_prefix, s.id_last4,
                  NULL, NULL, '', '', s.sex, s.birth_date,
                  s.unit_id, NULL, true, false, 'normal', %s, %s, %s
                FROM {table} s
                WHERE s.ok
                  AND s.row_no = (SELECT MIN(f.row_no) FROM {table} f
                                  WHERE f.ok AND f.id_hash = s.id_hash)
                  AND NOT EXISTS (SELECT 1 FROM people_person p WHERE p.id_number_hash = s.id_hash)
                ON CONFLICT (id_number_hash) DO NOTHING""",
            [now, now, now],
        )
        result.people_created = cursor.rowcount
        # Known doses: the row replaces what is recorded; a blank batch or site
        # keeps the recorded one. Identical rows are left alone (unchanged).
        cursor.execute(
            f"""UPDATE vaccination_dose SET
                  vaccine = s.vaccine,
                  batch = CASE WHEN s.batch <> '' THEN s.batch ELSE vaccination_dose.batch END,
                  administered_at = s.administered_at,
                  unit_id = s.unit_id,
                  site = CASE WHEN s.site <> '' THEN s.site ELSE vaccination_dose.site END,
                  recorded_by = %s,
                  updated_at = %s
                FROM {table} s, people_person p
                WHERE s.ok AND p.id_number_hash = s.id_hash
                  AND vaccination_dose.person_id = p.id
                  AND vaccination_dose.dose_number = s.dose_number
                  AND (vaccination_dose.vaccine <> s.vaccine
                       OR (s.batch <> '' AND vaccination_dose.batch <> s.batch)
                       OR (s.site <> '' AND vaccination_dose.site <> s.site)
                       OR vaccination_dose.administered_at <> s.administered_at
                       OR vaccination_dose.unit_id <> s.unit_id)""",
            [recorded_by, now],
        )
        result.updated = cursor.rowcount
        # New doses. A dose inserted meanwhile by someone else is overwritten
        # by the file rather than dropped: nothing accepted is lost.
        cursor.execute(
            f"""INSERT INTO vaccination_dose (
                  person_id, dose_number, vaccine, batch, administered_at, unit_id, site,
                  recorded_by, client_uuid, created_at, updated_at)
                SELECT p.id, s.dose_number, s.vaccine, s.batch, s.administered_at, s.unit_id,
                  s.site, %s, NULL, %s, %s
                FROM {table} s JOIN people_person p ON p.id_number_hash = s.id_hash
                WHERE s.ok AND NOT EXISTS (
                  SELECT 1 FROM vaccination_dose d
                  WHERE d.person_id = p.id AND d.dose_number = s.dose_number)
                ON CONFLICT (person_id, dose_number) DO UPDATE SET
                  vaccine = excluded.vaccine, batch = excluded.batch,
                  administered_at = excluded.administered_at, unit_id = excluded.unit_id,
                  site = excluded.site, recorded_by = excluded.recorded_by,
                  updated_at = excluded.updated_at""",
            [recorded_by, now, now],
        )
        result.created = cursor.rowcount
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE ok")
        good_rows = cursor.fetchone()[0]
    result.unchanged = good_rows - result.created - result.updated


def run_dose_import(
    path: Path | str, *, partial: bool, scope: Scope, recorded_by: str = ""
) -> DoseImportResult:
    """Validate and apply a dose file; see the module docstring."""
    result = DoseImportResult()
    units = {
        code: (pk, unit_path)
        for pk, code, unit_path in Unit.objects.values_list("pk", "code", "path")
    }
    stage = _DoseStaging()
    try:
        with transaction.atomic():
            stage.create()
            stage.write_all(_validated_doses(path, result, units, scope), _BATCH)
            stage.index()
            _mark_duplicates(stage, result)
            _mark_foreign_doses(stage, result, scope)
            if result.errors and not partial:
                raise _Rollback
            _merge_doses(stage, result, recorded_by)
            stage.drop()
            result.applied = True
    except _Rollback:
        result.created = result.updated = result.people_created = 0
    finally:
        if not result.applied:
            # The rollback already removed the table on PostgreSQL; SQLite keeps temp DDL.
            stage.drop()
    return result


def run_target_import(path: Path | str, *, partial: bool, scope: Scope) -> ImportResult:
    """Upsert target populations by (unit, group, valid_from). Target files
    hold one row per unit and group, so rows are applied one by one."""
    result = ImportResult()
    units = {
        code: (pk, unit_path)
        for pk, code, unit_path in Unit.objects.values_list("pk", "code", "path")
    }
    seen: dict[tuple[int, str, Any], int] = {}
    good: list[tuple[int, int, str, int, Any]] = []
    for row_number, row in read_rows(path, TARGET_COLUMNS):
        result.total_rows += 1
        errors: list[RowError] = []
        code = row["unit_code"].strip()
        unit = units.get(code)
        if unit is None:
            reason = (
                _("unit code is empty")
                if not code
                else _("unknown unit code %(code)s") % {"code": code}
            )
            errors.append(RowError(row_number, "unit_code", reason))
        elif not scope.contains_path(unit[1]):
            errors.append(RowError(row_number, "unit_code", _("unit is outside your area")))
        parsed: dict[str, Any] = {}
        for key, parse in (
            ("group", rules.parse_group),
            ("population", rules.parse_population),
            ("valid_from", rules.parse_date),
        ):
            try:
                parsed[key] = parse(row[key])
            except rules.CellError as error:
                errors.append(RowError(row_number, key, str(error)))
        if not errors:
            assert unit is not None
            key = (unit[0], parsed["group"], parsed["valid_from"])
            if key in seen:
                errors.append(
                    RowError(
                        row_number,
                        "valid_from",
                        _("the same unit, group and date twice: rows %(first)s and %(second)s")
                        % {"first": seen[key], "second": row_number},
                    )
                )
            else:
                seen[key] = row_number
        if errors:
            result.errors.extend(errors)
            continue
        good.append(
            (row_number, unit[0], parsed["group"], parsed["population"], parsed["valid_from"])
        )
    if result.errors and not partial:
        return result
    with transaction.atomic():
        for _row, unit_id, group, population, valid_from in good:
            target, created = TargetPopulation.objects.get_or_create(
                unit_id=unit_id,
                group=group,
                valid_from=valid_from,
                defaults={"population": population},
            )
            if created:
                result.created += 1
            elif target.population != population:
                TargetPopulation.objects.filter(pk=target.pk).update(
                    population=population, updated_at=timezone.now()
                )
                result.updated += 1
            else:
                result.unchanged += 1
    result.applied = True
    return result
