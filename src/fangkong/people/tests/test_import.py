"""The registry import: formats, all-or-nothing, the report, --partial, upsert."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from fangkong.core import personal_data
from fangkong.core.importing import write_report
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, valid_id_number
from fangkong.people.models import Household, Person
from fangkong.people.services import import_people

pytestmark = pytest.mark.usefixtures("english")

HEADER_ZH = ["姓名", "身份证号", "手机号", "所属单位编码", "户号", "有无智能手机"]


def write_csv(path, rows, encoding="utf-8", header=HEADER_ZH):
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_rows(city, count=3):
    return [
        [f"居民{i}", valid_id_number(), f"1381234{i:04d}", city.shenghe.code, f"{i}号楼", "有"]
        for i in range(count)
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_imports_csv_in_each_encoding(city, tmp_path, encoding):
    rows = good_rows(city)
    result = import_people(SYSTEM, write_csv(tmp_path / "people.csv", rows, encoding))
    assert result.applied and result.created == 3 and not result.errors
    person = Person.objects.with_id_number(rows[0][1]).get()
    assert person.name == "居民0"
    assert person.home_unit == city.shenghe
    assert person.household.label == "0号楼"
    assert person.masked_phone == "138****0000"


def test_it_imports_xlsx_with_english_headers(city, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "id_number", "phone", "unit_code", "household", "has_smartphone"])
    number = valid_id_number()
    sheet.append(["王丽", number, 13912345678, city.zhangbukou.code, "3组5号", "无"])
    workbook.save(tmp_path / "people.xlsx")
    result = import_people(SYSTEM, tmp_path / "people.xlsx")
    assert result.created == 1, result.errors
    person = Person.objects.with_id_number(number).get()
    assert person.has_smartphone is False
    assert personal_data.decrypt(person.phone_encrypted) == "13912345678"


def test_it_stores_numbers_encrypted_and_finds_them_exactly(city, tmp_path):
    rows = good_rows(city, 1)
    import_people(SYSTEM, write_csv(tmp_path / "p.csv", rows))
    person = Person.objects.get()
    assert rows[0][1].encode() not in bytes(person.id_number_encrypted)
    assert rows[0][1] not in str(person.id_number_hash)
    assert personal_data.decrypt(person.id_number_encrypted) == rows[0][1]
    assert Person.objects.with_id_number(rows[0][1]).count() == 1
    assert Person.objects.with_id_number(valid_id_number()).count() == 0


def test_it_changes_nothing_for_a_bad_file_and_names_every_bad_row(city, tmp_path):
    rows = good_rows(city, 2)
    bad_checksum = rows[0][1][:-1] + ("0" if rows[0][1][-1] != "0" else "1")
    rows += [
        ["坏校验", bad_checksum, "", city.shenghe.code, "", ""],
        ["未知单位", valid_id_number(), "", "NOPE", "", ""],
        ["重复", rows[0][1], "", city.shenghe.code, "", ""],
        ["", valid_id_number(), "123", city.shenghe.code, "", "maybe"],
    ]
    result = import_people(SYSTEM, write_csv(tmp_path / "bad.csv", rows))
    assert not result.applied
    assert Person.objects.count() == 0 and Household.objects.count() == 0
    problems = {(e.row, e.column): e.reason for e in result.errors}
    assert "checksum" in problems[(4, "id_number")]
    assert "NOPE" in problems[(5, "unit_code")]
    assert problems[(6, "id_number")] == "duplicate ID number: rows 2 and 6"
    assert {(7, "name"), (7, "phone"), (7, "has_smartphone")} <= set(problems)
    report = io.BytesIO()
    write_report(result.errors, report, "csv")
    lines = report.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,reason"
    assert lines[1].startswith("4,id_number,")


def test_it_imports_good_rows_with_partial_and_still_reports_the_bad(city, tmp_path):
    rows = [*good_rows(city, 2), ["未知单位", valid_id_number(), "", "NOPE", "", ""]]
    result = import_people(SYSTEM, write_csv(tmp_path / "p.csv", rows), partial=True)
    assert result.applied and result.created == 2
    assert [(e.row, e.column) for e in result.errors] == [(4, "unit_code")]


def test_it_upserts_by_id_number_and_keeps_what_blank_cells_leave(city, tmp_path):
    rows = good_rows(city, 1)
    import_people(SYSTEM, write_csv(tmp_path / "a.csv", rows))
    rows[0][0], rows[0][2], rows[0][5] = "改名", "", ""
    result = import_people(SYSTEM, write_csv(tmp_path / "b.csv", rows))
    assert (result.created, result.updated) == (0, 1)
    person = Person.objects.get()
    assert person.name == "改名"
    assert person.masked_phone == "138****0000"  # blank phone kept the old one
    assert Person.objects.count() == 1


def test_it_refuses_units_outside_the_importers_area(city, tmp_path):
    from fangkong.core.scoping import Scope

    rows = [["村民", valid_id_number(), "", city.zhangbukou.code, "", ""]]
    result = import_people(
        SYSTEM, write_csv(tmp_path / "p.csv", rows), scope=Scope.of_units([city.shenghe])
    )
    assert not result.applied
    assert result.errors[0].reason == "unit is outside your area"


def test_it_reports_a_missing_column(city, tmp_path):
    from fangkong.core.importing import ImportFileError

    path = write_csv(tmp_path / "p.csv", [["a", "b"]], header=["姓名", "手机号"])
    with pytest.raises(ImportFileError, match="身份证号"):
        import_people(SYSTEM, path)


def test_it_exits_non_zero_with_a_report_from_the_command(city, tmp_path):
    rows = [*good_rows(city, 1), ["未知单位", valid_id_number(), "", "NOPE", "", ""]]
    path = write_csv(tmp_path / "p.csv", rows)
    report = tmp_path / "report.xlsx"
    # CommandError is how Django commands exit non-zero (status 1 from the shell).
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import", "people", str(path), "--report", str(report))
    assert Person.objects.count() == 0
    sheet = load_workbook(report).active
    assert [cell.value for cell in sheet[2]] == [3, "unit_code", "unknown unit code NOPE"]
    assert AuditEvent.objects.filter(action="people.import").exists()


def test_it_offers_the_import_page_with_a_downloadable_report(cadre_client, city, tmp_path):
    rows = [*good_rows(city, 1), ["未知单位", valid_id_number(), "", "NOPE", "", ""]]
    path = write_csv(tmp_path / "p.csv", rows)
    with path.open("rb") as upload:
        page = cadre_client.post("/people/import/", {"file": upload})
    assert page.status_code == 200
    assert Person.objects.count() == 0
    report_url = page.context["report_name"]
    csv_report = cadre_client.get(f"/people/import/report/{report_url}.csv")
    assert csv_report.status_code == 200
    lines = b"".join(csv_report.streaming_content).decode("utf-8-sig").splitlines()
    # The page speaks Chinese by default, and so does its report.
    assert lines[0] == "行号,列,原因"
    assert lines[1] == "3,unit_code,未知单位编码 NOPE"
    with path.open("rb") as upload:
        page = cadre_client.post("/people/import/", {"file": upload, "partial": "on"})
    assert Person.objects.count() == 1


def test_it_stops_validating_when_the_database_side_fails(city, tmp_path, monkeypatch):
    """A failing merge must raise, not leave the validation thread blocked on
    a full queue (which would hang the import forever)."""
    import signal
    import time

    from fangkong.core.scoping import Scope
    from fangkong.people import importers

    monkeypatch.setattr(importers, "_BATCH", 2)
    monkeypatch.setattr(importers, "_CHUNK", 2)

    def broken_merge(*_args):
        time.sleep(0.5)  # long enough for the validation thread to fill the queue
        raise RuntimeError("database went away")

    monkeypatch.setattr(importers, "_merge", broken_merge)
    path = write_csv(tmp_path / "p.csv", good_rows(city, 60))

    def hung(*_args):
        raise TimeoutError("the import hung")

    # If the worker blocked on a full queue, joining it would never return.
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with pytest.raises(RuntimeError, match="database went away"):
            importers.run_people_import(path, partial=False, scope=Scope.all())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert Person.objects.count() == 0
