"""Reading import files (CSV and XLSX) as a stream of rows, and writing the
row-level error report.

Every importer in the platform uses this: CSV in UTF-8 (with or without BOM)
or GB18030 (what Chinese spreadsheet software writes), XLSX read in
read-only mode so memory stays flat, English or Chinese headers mapped to
keys, and row numbers as the spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

_SNIFF_CHUNK = 1 << 20


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class Column:
    """One expected column: its key, the headers that name it, whether required."""

    key: str
    headers: tuple[str, ...]
    required: bool = True

    @property
    def label(self) -> str:
        return " / ".join(self.headers)


@dataclass(frozen=True)
class RowError:
    """A rejected row: its spreadsheet row number, the column, and why."""

    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    """What an import did: counts, and every rejected row."""

    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bad_rows": self.bad_rows,
            "applied": self.applied,
        }


def _normalise_header(text: Any) -> str:
    return str(text or "").strip().lstrip("\ufeff").replace(" ", "").replace("_", "").lower()


def map_headers(header_row: list[Any], columns: Iterable[Column]) -> dict[str, int]:
    """Column key → index in the row; ImportFileError if a required one is missing."""
    positions = {_normalise_header(text): index for index, text in enumerate(header_row)}
    mapping: dict[str, int] = {}
    missing: list[str] = []
    for column in columns:
        for header in column.headers:
            index = positions.get(_normalise_header(header))
            if index is not None:
                mapping[column.key] = index
                break
        else:
            if column.required:
                missing.append(column.label)
    if missing:
        raise ImportFileError(_("missing column(s): %(columns)s") % {"columns": "; ".join(missing)})
    return mapping


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else gb18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        while chunk := stream.read(_SNIFF_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "gb18030"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == b"PK\x03\x04"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store long digit strings typed as numbers as floats.
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()


def _raw_rows(path: Path) -> Iterator[list[Any]]:
    if is_xlsx(path):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise ImportFileError(
                _("not a readable XLSX file: %(error)s") % {"error": error}
            ) from None
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
        return
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as stream:
        sample = stream.read(4096)
        stream.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        yield from csv.reader(stream, delimiter=delimiter)


def read_rows(path: Path | str, columns: list[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, {key: text}) for every non-blank data row."""
    path = Path(path)
    rows = _raw_rows(path)
    header: list[Any] | None = None
    row_number = 0
    for raw in rows:
        row_number += 1
        if header is None:
            if not any(_cell_text(cell) for cell in raw):
                continue
            header = raw
            mapping = map_headers(header, columns)
            continue
        values = {
            key: _cell_text(raw[index]) if index < len(raw) else ""
            for key, index in mapping.items()
        }
        if not any(values.values()):
            continue
        yield row_number, values
    if header is None:
        raise ImportFileError(_("the file is empty"))


REPORT_HEADERS = ("row", "column", "reason")


def report_headers() -> tuple[str, str, str]:
    return (_("row"), _("column"), _("reason"))


def write_report(errors: Iterable[RowError], output: IO[bytes], fmt: str = "csv") -> None:
    """The error report as CSV (UTF-8 with BOM, so spreadsheet software reads
    the Chinese) or XLSX: one line per problem, ordered by row."""
    ordered = sorted(errors, key=lambda error: (error.row, error.column))
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("errors"))
        sheet.append(list(report_headers()))
        for error in ordered:
            sheet.append([error.row, error.column, error.reason])
        workbook.save(output)
        return
    text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(report_headers())
    for error in ordered:
        writer.writerow([error.row, error.column, error.reason])
    text.flush()
    text.detach()


def report_path_format(path: str) -> str:
    return "xlsx" if str(path).lower().endswith(".xlsx") else "csv"


def finish_import_command(command: Any, result: ImportResult, report: Path | None) -> None:
    """How every import command ends: the counts on stdout, the error report
    (to `report`, else CSV on stderr), and a non-zero exit when rows were bad:
    CommandError when nothing was applied, status 1 when `--partial` applied
    the good rows."""
    import sys

    from django.core.management.base import CommandError

    command.stdout.write(" ".join(f"{key}={value}" for key, value in result.as_dict().items()))
    if result.errors:
        if report is not None:
            with report.open("wb") as out:
                write_report(result.errors, out, report_path_format(str(report)))
            command.stderr.write(f"{result.bad_rows} bad rows; report written to {report}")
        else:
            write_report(result.errors, sys.stderr.buffer, "csv")
            sys.stderr.flush()
    if not result.applied:
        raise CommandError(
            "nothing imported: the file has bad rows (use --partial to import the good ones)"
        )
    if result.errors:
        sys.exit(1)
