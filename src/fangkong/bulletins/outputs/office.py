"""XLSX (openpyxl) and DOCX (python-docx) renderings of a bulletin.

The DOCX follows the layout of a government notice (GB/T 9704): A4, margins
37/35/28/26 mm, a centred title in 小标宋 size 二号, body in 仿宋 size 三号,
the cut-off line, the table, and a note. Fonts are named, not embedded:
Word substitutes what it has.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from fangkong.bulletins.engine import BulletinTable
from fangkong.bulletins.outputs import MISSING, body, cell_text, header, issued_line

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
TABLE_FONT = "宋体"


def _xlsx_value(column: dict[str, Any] | None, value: Any) -> Any:
    """Numbers stay numbers (a rate with its decimals shown by the format)."""
    if value is None:
        return MISSING
    if column is not None and column["type"] == "rate":
        return Decimal(value)
    return value


def render_xlsx(table: BulletinTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Bulletin")[:31]
    width = len(table.columns) + 1
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    sheet.append([table.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(name=TITLE_FONT, size=16, bold=True)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 32
    sheet.append([table.subtitle])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(2, 1).alignment = Alignment(horizontal="right")
    sheet.append(header(table))
    for index in range(1, width + 1):
        cell = sheet.cell(3, index)
        cell.font = Font(name=TABLE_FONT, bold=True)
        cell.alignment = centre
        cell.border = border
    sheet.row_dimensions[3].height = 36
    columns: list[dict[str, Any] | None] = [None, *table.columns]
    for cells in body(table):
        sheet.append(
            [_xlsx_value(column, value) for column, value in zip(columns, cells, strict=True)]
        )
        row = sheet.max_row
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row, index)
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center")
            if column is not None and column["type"] == "rate" and cells[index - 1] is not None:
                cell.number_format = "0." + "0" * column["precision"]
    last = sheet.max_row
    footnote_row = last + 2
    sheet.cell(footnote_row, 1, table.footnote).alignment = Alignment(
        wrap_text=True, vertical="top"
    )
    sheet.merge_cells(
        start_row=footnote_row, start_column=1, end_row=footnote_row, end_column=width
    )
    sheet.row_dimensions[footnote_row].height = 64
    if table.issued:
        sheet.cell(footnote_row + 1, 1, issued_line(table))
        sheet.merge_cells(
            start_row=footnote_row + 1, start_column=1, end_row=footnote_row + 1, end_column=width
        )
    sheet.column_dimensions["A"].width = 14
    for index in range(2, width + 1):
        sheet.column_dimensions[sheet.cell(3, index).column_letter].width = 20
    sheet.print_title_rows = "3:3"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _font(run: Any, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def render_docx(table: BulletinTable) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    _font(title.add_run(table.title), TITLE_FONT, 22)

    intro = document.add_paragraph()
    intro.paragraph_format.first_line_indent = Pt(32)
    intro.paragraph_format.line_spacing = Pt(28)
    _font(intro.add_run(table.intro), BODY_FONT, 16)

    cutoff = document.add_paragraph()
    cutoff.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(cutoff.add_run(table.subtitle), BODY_FONT, 14)

    grid = document.add_table(rows=1, cols=len(table.columns) + 1)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, header(table), strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(text), TABLE_FONT, 12, bold=True)
    for cells in body(table):
        row = grid.add_row()
        for cell, value in zip(row.cells, cells, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(cell_text(value)), TABLE_FONT, 12)

    note = document.add_paragraph()
    note.paragraph_format.space_before = Pt(8)
    _font(note.add_run(table.footnote), BODY_FONT, 12)
    if table.issued:
        signed = document.add_paragraph()
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(signed.add_run(issued_line(table)), BODY_FONT, 14)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
