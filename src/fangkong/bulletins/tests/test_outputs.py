"""Every output format, opened and read back: the same figures as the JSON."""

from __future__ import annotations

import io
import json
import warnings
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from fangkong.bulletins import outputs
from fangkong.bulletins.queries import issued_table, preview
from fangkong.bulletins.services import issue_bulletin
from fangkong.bulletins.tests.conftest import CUTOFF, at, give, target
from fangkong.core.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(zones):
    target(zones.city, 1000)  # not ranked: only the units under it are
    give(zones.shifan, at("2021-08-12 09:00"), count=3)
    give(zones.chuanhui, at("2021-08-01 09:00"), count=3)
    give(zones.chuanhui, at("2021-08-12 10:00"), count=1)
    return preview(
        "vaccination", as_of=CUTOFF, under=zones.city, extra_columns=["second_dose_rate"]
    )


def expected_cells(data) -> list[list[str]]:
    """Each row as printed: the name, then each column's figure as text."""
    return [
        [
            row["name"],
            *("—" if row[c["key"]] is None else str(row[c["key"]]) for c in data["columns"]),
        ]
        for row in data["rows"]
    ]


def test_it_writes_json_with_the_source_page_keys(table):
    data = json.loads(outputs.render(table, "json"))
    assert data["title"] == "周口市新冠病毒疫苗接种进度通报"
    assert data["as_of"] == "2021-08-12T18:00:00+08:00"
    assert [c["key"] for c in data["columns"]] == [
        "first_dose_rate",
        "rank",
        "first_doses_day",
        "second_dose_rate",
    ]
    assert data["rows"] == [
        {
            "name": "示范区",
            "code": table.rows[0]["code"],
            "first_dose_rate": "3.00",
            "rank": 1,
            "first_doses_day": 3,
            "second_dose_rate": "0.00",
        },
        {
            "name": "川汇区",
            "code": "411602",
            "first_dose_rate": "2.00",
            "rank": 2,
            "first_doses_day": 1,
            "second_dose_rate": "0.00",
        },
    ]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "h1"):
            self._in = tag
            if tag != "h1":
                self.rows[-1].append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "h1":
            self.title += data
        elif self._in in ("td", "th"):
            self.rows[-1][-1] += data.strip()


def test_it_writes_a_printable_a4_html_page(table):
    html = outputs.render(table, "html").decode()
    assert "size: A4" in html
    parsed = _Cells()
    parsed.feed(html)
    data = table.as_dict()
    assert parsed.title == data["title"]
    assert parsed.rows[0] == outputs.header(table)
    assert parsed.rows[1:] == expected_cells(data)


def test_it_writes_xlsx_cells_holding_the_json_figures(table):
    from openpyxl import load_workbook

    data = table.as_dict()
    sheet = load_workbook(io.BytesIO(outputs.render(table, "xlsx"))).active
    assert sheet["A1"].value == data["title"]
    assert sheet["A2"].value == data["subtitle"]
    assert [cell.value for cell in sheet[3]] == outputs.header(table)
    for offset, row in enumerate(data["rows"]):
        cells = sheet[4 + offset]
        assert cells[0].value == row["name"]
        for cell, column in zip(cells[1:], data["columns"], strict=True):
            value = row[column["key"]]
            if column["type"] == "rate":
                # A number, shown with the printed decimals.
                assert cell.number_format == "0.00"
                assert f"{Decimal(str(cell.value)):.2f}" == value
            else:
                assert cell.value == value
    assert sheet.cell(4 + len(data["rows"]) + 1, 1).value == data["footnote"]


def test_it_writes_a_docx_notice_with_the_same_cells(table):
    from docx import Document

    data = table.as_dict()
    document = Document(io.BytesIO(outputs.render(table, "docx")))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[0] == data["title"]
    assert data["subtitle"] in paragraphs
    assert paragraphs[-1] == data["footnote"]
    [grid] = document.tables
    cells = [[cell.text for cell in row.cells] for row in grid.rows]
    assert cells[0] == outputs.header(table)
    assert cells[1:] == expected_cells(data)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_it_draws_a_png_chart_with_chinese_labels(table):
    from PIL import Image

    with warnings.catch_warnings():
        # A glyph missing from the font would warn: the CJK font must be used.
        warnings.simplefilter("error")
        content = outputs.render(table, "png")
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    assert image.width > 600 and image.height > 300
    assert image.text["Title"] == "周口市新冠病毒疫苗接种进度通报"
    assert json.loads(image.text["Comment"]) == [
        [row["name"], row["first_dose_rate"]] for row in table.as_dict()["rows"]
    ]


def test_it_renders_an_issued_bulletin_with_who_issued_it(zones):
    bulletin = issue_bulletin(Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city)
    table = issued_table(bulletin)
    assert (
        outputs.filename(table, "docx")
        == f"vaccination-411600-20210812-1800-issued-{bulletin.pk}.docx"
    )
    html = outputs.render(table, "html").decode()
    assert "system:test" in html and "预览稿" not in html
    from docx import Document

    document = Document(io.BytesIO(outputs.render(table, "docx")))
    assert "system:test" in document.paragraphs[-1].text
