"""Tables people download: CSV with a BOM (so spreadsheet software reads the
Chinese) or XLSX, and the response that carries a file to the browser."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any
from urllib.parse import quote

from django.http import HttpResponse

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "png": "image/png",
}


def write_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], output: IO[bytes], fmt: str, title: str
) -> None:
    """`headers` then `rows` into `output` as "csv" or "xlsx" (a sheet named
    `title`)."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        workbook.save(output)
        return
    text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    text.flush()
    text.detach()


def download(
    fmt: str, filename: str, content: bytes = b"", *, disposition: str = "attachment"
) -> HttpResponse:
    """A response carrying `filename`.`fmt` (any characters: the name is sent
    UTF-8 encoded); write into it, or give the `content`."""
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}.{fmt}"
    return response
