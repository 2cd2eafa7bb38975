"""The lab results import: CSV or XLSX (`tube_barcode,result,ct_value,
reported_at,lab` or 采样管编码, 检测结果, CT值, 报告时间, 检测机构), streamed and
validated row by row, staged in a temporary table, checked as a whole in
SQL (unknown barcodes, conflicting duplicates, conflicts with stored
results) and merged with one INSERT, all in one transaction. A million
tubes take seconds, and no person row is written for a negative tube.

All or nothing by default: one bad row and nothing changes; with `partial`
the good rows are applied. Re-importing a file changes nothing (its rows
count as unchanged). A one-result entry goes through the same path.

Only positive tubes, and single tubes of people waiting for a retest,
change people's statuses, through people.services.set_person_status.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.audit import Actor
from fangkong.core.importing import Column, ImportResult, RowError, read_rows
from fangkong.core.scoping import Scope
from fangkong.core.staging import StagingTable
from fangkong.testing import rules
from fangkong.testing.models import Result, Round

RESULT_COLUMNS = [
    Column("tube_barcode", ("tube_barcode", "采样管编码", "采样管条码", "样本编号", "条码")),
    Column("result", ("result", "检测结果", "结果")),
    Column("ct_value", ("ct_value", "CT值", "ct"), required=False),
    Column("reported_at", ("reported_at", "报告时间", "检测时间")),
    Column("lab", ("lab", "检测机构", "实验室")),
]
_STAGE_COLUMNS = ("row_no", "barcode", "result", "ct_value", "reported_at", "lab")
_BATCH = 10000


@dataclass
class ResultImport(ImportResult):
    """What a results import did: the import counts, what the new results
    were, and the status changes they caused."""

    negative: int = 0
    positive: int = 0
    invalid: int = 0
    to_retest: int = 0  # people of positive pools now pending a single-tube retest
    made_positive: int = 0  # people whose single tube was positive
    cleared: int = 0  # people whose single-tube retest was negative

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {
            "negative": self.negative,
            "positive": self.positive,
            "invalid": self.invalid,
            "to_retest": self.to_retest,
            "made_positive": self.made_positive,
            "cleared": self.cleared,
        }


def single_result_rows(
    *,
    tube_barcode: str,
    result: str,
    ct_value: str,
    reported_at: str | datetime.datetime,
    lab: str,
) -> list[tuple[int, dict[str, str]]]:
    """One typed-in result as the rows a file would give."""
    if isinstance(reported_at, datetime.datetime):
        reported_at = reported_at.isoformat()
    return [
        (
            1,
            {
                "tube_barcode": tube_barcode,
                "result": result,
                "ct_value": str(ct_value or ""),
                "reported_at": reported_at or "",
                "lab": lab,
            },
        )
    ]


class _Stage(StagingTable):
    """The validated rows of one results import."""

    def __init__(self) -> None:
        super().__init__(
            "results_import",
            _STAGE_COLUMNS,
            """row_no integer PRIMARY KEY, barcode varchar(64) NOT NULL,
            result varchar(8) NOT NULL, ct_value numeric(5, 2),
            reported_at {moment} NOT NULL, lab varchar(100) NOT NULL,
            tube_id bigint, existing varchar(8), ok boolean NOT NULL DEFAULT true""",
        )

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("{stage}", self.table), list(params))
            return cursor.fetchall() if cursor.description else cursor.rowcount


@lru_cache(maxsize=8192)
def _reported_at(text: str) -> datetime.datetime:
    # Labs report many tubes at the same minute: parse each text once.
    return rules.parse_datetime(text)


def _validated_rows(
    rows: Iterable[tuple[int, dict[str, str]]], result: ImportResult
) -> Iterator[tuple[Any, ...]]:
    """Stage-ready tuples for good rows; bad rows go to result.errors."""
    postgres = connection.vendor == "postgresql"
    adapt_time = connection.ops.adapt_datetimefield_value
    latest = timezone.now() + rules.CLOCK_SKEW
    for row_number, row in rows:
        result.total_rows += 1
        errors: list[RowError] = []
        barcode = result_value = ct_value = reported_at = None
        try:
            barcode = rules.parse_barcode(row["tube_barcode"])
        except rules.CellError as error:
            errors.append(RowError(row_number, "tube_barcode", str(error)))
        try:
            result_value = rules.parse_result(row["result"])
        except rules.CellError as error:
            errors.append(RowError(row_number, "result", str(error)))
        try:
            ct_value = rules.parse_ct_value(row.get("ct_value", ""))
        except rules.CellError as error:
            errors.append(RowError(row_number, "ct_value", str(error)))
        try:
            reported_at = _reported_at(row["reported_at"].strip())
            if reported_at > latest:
                errors.append(
                    RowError(row_number, "reported_at", _("the report time is in the future"))
                )
        except rules.CellError as error:
            errors.append(RowError(row_number, "reported_at", str(error)))
        lab = row["lab"].strip()
        if not lab:
            errors.append(RowError(row_number, "lab", _("the lab is empty")))
        elif len(lab) > 100:
            errors.append(RowError(row_number, "lab", _("longer than 100 characters")))
        if errors:
            result.errors.extend(errors)
            continue
        yield (
            row_number,
            barcode,
            result_value,
            ct_value if postgres or ct_value is None else str(ct_value),
            reported_at if postgres else adapt_time(reported_at),
            lab,
        )


def _scope_condition(scope: Scope) -> tuple[str, list[str]]:
    """SQL restricting tubes `t` to the importer's area (none for everything)."""
    if scope.everything:
        return "", []
    if not scope.paths:
        return " AND 1 = 0", []
    likes = " OR ".join(["u.path LIKE %s"] * len(scope.paths))
    return (
        f" AND t.unit_id IN (SELECT u.id FROM regions_unit u WHERE {likes})",
        [f"{path}%" for path in scope.paths],
    )


def _check(stage: _Stage, round_id: int, scope: Scope, result: ResultImport) -> None:
    """Find the round's tube of every staged row and the result it has
    already (one join), then the rows that must not be applied: unknown
    barcodes, later rows for the same tube, tubes with another result.
    Conflicts are errors; repeats are unchanged."""
    condition, params = _scope_condition(scope)
    stage.execute(
        f"""UPDATE {{stage}} SET tube_id = t.id, existing = r.result
            FROM testing_tube t LEFT JOIN testing_labresult r ON r.tube_id = t.id
            WHERE t.round_id = %s AND t.barcode = {{stage}}.barcode{condition}""",
        [round_id, *params],
    )
    if connection.vendor == "postgresql":
        stage.execute("ANALYZE {stage}")
    for row_no, barcode in stage.execute(
        "SELECT row_no, barcode FROM {stage} WHERE tube_id IS NULL ORDER BY row_no"
    ):
        result.errors.append(
            RowError(
                row_no,
                "tube_barcode",
                _("no tube %(barcode)s in this round") % {"barcode": barcode},
            )
        )
    repeated = stage.execute(
        """SELECT s.row_no, s.result, f.row_no, f.result FROM {stage} s
           JOIN (SELECT barcode, MIN(row_no) AS first_row FROM {stage}
                 GROUP BY barcode HAVING COUNT(*) > 1) d ON d.barcode = s.barcode
           JOIN {stage} f ON f.row_no = d.first_row
           WHERE s.row_no <> d.first_row ORDER BY s.row_no"""
    )
    for row_no, value, first_row, first_value in repeated:
        if value == first_value:
            result.unchanged += 1
        else:
            result.errors.append(
                RowError(
                    row_no,
                    "result",
                    _("conflicting results for this tube in rows %(first)s and %(row)s")
                    % {"first": first_row, "row": row_no},
                )
            )
    stage.reject([row[0] for row in repeated])
    for row_no, existing in stage.execute(
        """SELECT row_no, existing FROM {stage}
           WHERE ok AND existing IS NOT NULL AND existing <> result ORDER BY row_no"""
    ):
        result.errors.append(
            RowError(
                row_no,
                "result",
                _("this tube already has the result %(result)s; a different result is refused")
                % {"result": Result(existing).label},
            )
        )
    ((same,),) = stage.execute("SELECT COUNT(*) FROM {stage} WHERE ok AND existing = result")
    result.unchanged += same


# Rows to apply: good, of a known tube, which has no result yet.
_FRESH = "s.ok AND s.tube_id IS NOT NULL AND s.existing IS NULL"


def _new_tubes(stage: _Stage, where: str) -> list[int]:
    rows = stage.execute(
        f"""SELECT t.id FROM {{stage}} s JOIN testing_tube t ON t.id = s.tube_id
            WHERE {_FRESH} AND {where}"""
    )
    return [row[0] for row in rows]


def _merge(stage: _Stage, recorded_by: str, result: ResultImport) -> dict[str, list[int]]:
    """Insert the new results; return the tubes whose people's status changes."""
    for value, count in stage.execute(
        f"SELECT s.result, COUNT(*) FROM {{stage}} s WHERE {_FRESH} GROUP BY s.result"
    ):
        setattr(result, value, count)
    effects = {
        "positive_pools": _new_tubes(stage, "s.result = 'positive' AND t.capacity > 1"),
        "positive_singles": _new_tubes(stage, "s.result = 'positive' AND t.capacity = 1"),
        "negative_singles": _new_tubes(stage, "s.result = 'negative' AND t.capacity = 1"),
    }
    result.created = stage.execute(
        f"""INSERT INTO testing_labresult
              (tube_id, result, ct_value, reported_at, lab, recorded_by, recorded_at)
            SELECT s.tube_id, s.result, s.ct_value, s.reported_at, s.lab, %s, %s
            FROM {{stage}} s WHERE {_FRESH}""",
        [recorded_by, timezone.now() if stage.postgres else str(timezone.now())],
    )
    return effects


class _Rollback(Exception):
    pass


def run_results_import(
    actor: Actor,
    round: Round,
    source: Path | str | Iterable[tuple[int, dict[str, str]]],
    *,
    partial: bool,
    scope: Scope,
) -> ResultImport:
    """Validate and apply results for `round`'s tubes inside `scope`; see the
    module docstring. `source` is a file path or (row, values) pairs."""
    from fangkong.testing.services import apply_result_effects

    result = ResultImport()
    rows = read_rows(source, RESULT_COLUMNS) if isinstance(source, str | Path) else source
    stage = _Stage()
    try:
        with transaction.atomic():
            # One results import at a time per round, so "already has a
            # result" holds until the merge; sampling is not blocked.
            no_key = connection.features.has_select_for_no_key_update
            list(Round.objects.select_for_update(no_key=no_key).filter(pk=round.pk).values("pk"))
            stage.create()
            stage.write_all(_validated_rows(rows, result), _BATCH)
            _check(stage, round.pk, scope, result)
            if result.errors and not partial:
                raise _Rollback
            effects = _merge(stage, actor.label, result)
            stage.drop()
            apply_result_effects(actor, effects, result)
            result.applied = True
    except _Rollback:
        result.created = result.unchanged = 0
    finally:
        if not result.applied:
            # PostgreSQL dropped the table with the rollback; SQLite keeps temp DDL.
            stage.drop()
    return result


# `fangkong import` needs a round, which its arguments cannot give: results
# are imported with `fangkong testing import-results FILE --round ROUND`.
COMMAND_IMPORTS: dict[str, Any] = {}
