"""A bulletin table rendered as a file: JSON, printable HTML (A4), XLSX,
DOCX (a government notice's layout) or a PNG bar chart. Every format is
rendered from the same table (a preview's or an issued snapshot's), so the
figures agree across formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.bulletins.engine import BulletinTable

MISSING = "—"


@dataclass(frozen=True)
class Format:
    key: str
    content_type: str
    extension: str
    render: Callable[[BulletinTable], bytes]


def cell_text(value: Any) -> str:
    """A figure as printed: rates are already strings with their decimals."""
    return MISSING if value is None else str(value)


def header(table: BulletinTable) -> list[str]:
    return [table.unit_label, *(column["label"] for column in table.columns)]


def body(table: BulletinTable) -> list[list[Any]]:
    """Rows as cells in column order: the unit's name, then each figure."""
    return [[row["name"], *(row[c["key"]] for c in table.columns)] for row in table.rows]


def issued_line(table: BulletinTable) -> str:
    """ "Issued by 指挥部值班员 at 2021-08-12 19:05" for an issued bulletin."""
    issued = table.issued or {}
    at = str(issued.get("at", ""))[:16].replace("T", " ")
    return _("Issued by %(who)s at %(at)s") % {"who": issued.get("by", ""), "at": at}


def render_json(table: BulletinTable) -> bytes:
    return json.dumps(table.as_dict(), ensure_ascii=False, indent=2).encode()


def render_html(table: BulletinTable) -> bytes:
    rows = [[cell_text(value) for value in cells] for cells in body(table)]
    return render_to_string(
        "bulletins/print.html",
        {
            "table": table,
            "header": header(table),
            "rows": rows,
            "issued_line": issued_line(table) if table.issued else "",
        },
    ).encode()


def _render_xlsx(table: BulletinTable) -> bytes:
    from fangkong.bulletins.outputs.office import render_xlsx

    return render_xlsx(table)


def _render_docx(table: BulletinTable) -> bytes:
    from fangkong.bulletins.outputs.office import render_docx

    return render_docx(table)


def _render_png(table: BulletinTable) -> bytes:
    from fangkong.bulletins.outputs.chart import render_png

    return render_png(table)


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("json", "application/json", "json", render_json),
        Format("html", "text/html; charset=utf-8", "html", render_html),
        Format(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            _render_xlsx,
        ),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            _render_docx,
        ),
        Format("png", "image/png", "png", _render_png),
    )
}


def render(table: BulletinTable, fmt: str) -> bytes:
    return FORMATS[fmt].render(table)


def filename(table: BulletinTable, fmt: str) -> str:
    """ASCII, sortable: vaccination-411600-20210812-1800[-issued-7].docx."""
    moment = timezone.localtime(table.as_of)
    issued = f"-issued-{table.issued['id']}" if table.issued and "id" in table.issued else ""
    return (
        f"{table.kind}-{table.unit['code']}-{moment:%Y%m%d-%H%M}{issued}.{FORMATS[fmt].extension}"
    )
