"""Pass-code images and A4 sheets of code cards, for residents without a
smartphone: an SVG or PNG of one code, and a PDF of cards (3 × 4 per page)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

# Noto CJK ships as OpenType/CFF, which reportlab cannot embed; the Adobe
# GB1 CID font is referenced instead and every PDF viewer supplies it.
CJK_FONT = "STSong-Light"
ERROR_CORRECTION = "m"
COLUMNS, ROWS = 3, 4


@dataclass(frozen=True)
class Card:
    """One printed card: the code and the lines under it."""

    code: str
    name: str
    lines: tuple[str, ...] = ()


def qr(code: str) -> segno.QRCode:
    return segno.make(code, error=ERROR_CORRECTION, boost_error=False)


def svg(code: str, scale: int = 4) -> str:
    """Inline SVG markup of the code's QR symbol."""
    return qr(code).svg_inline(scale=scale, border=2)


def png(code: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    qr(code).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def cards_pdf(title: str, cards: list[Card], stream: IO[bytes]) -> None:
    """A4 pages of cards with cutting lines; the QR drawn as vector squares."""
    # reportlab loads on the first print run, not with every page of the app.
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _font()
    page_width, page_height = A4
    margin = 10 * mm
    cell_width = (page_width - 2 * margin) / COLUMNS
    cell_height = (page_height - 2 * margin - 8 * mm) / ROWS
    pdf = canvas.Canvas(stream, pagesize=A4)
    pdf.setTitle(title)
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(cards), 1), per_page):
        pdf.setFont(font, 10)
        pdf.drawString(margin, page_height - margin - 4 * mm, title)
        for offset, card in enumerate(cards[start : start + per_page]):
            column, row = offset % COLUMNS, offset // COLUMNS
            left = margin + column * cell_width
            top = page_height - margin - 8 * mm - row * cell_height
            pdf.setDash(2, 2)
            pdf.rect(left, top - cell_height, cell_width, cell_height)
            pdf.setDash()
            _draw_qr(pdf, card.code, left + (cell_width - 44 * mm) / 2, top - 48 * mm, 44 * mm)
            pdf.setFont(font, 13)
            pdf.drawCentredString(left + cell_width / 2, top - 54 * mm, card.name)
            pdf.setFont(font, 8)
            for number, line in enumerate(card.lines[:2]):
                pdf.drawCentredString(left + cell_width / 2, top - (59 + 4 * number) * mm, line)
        pdf.showPage()
    pdf.save()


def _draw_qr(pdf: Canvas, code: str, x: float, y: float, size: float) -> None:
    matrix = [list(row) for row in qr(code).matrix]
    modules = len(matrix)
    module = size / modules
    pdf.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        # One rectangle per run of dark modules keeps the PDF small.
        column = 0
        while column < modules:
            if row[column]:
                run = column
                while run < modules and row[run]:
                    run += 1
                pdf.rect(
                    x + column * module,
                    y + size - (row_index + 1) * module,
                    (run - column) * module,
                    module,
                    stroke=0,
                    fill=1,
                )
                column = run
            else:
                column += 1
