"""`fangkong import doses` and `fangkong import targets`: CSV or XLSX,
English or Chinese headers, idempotent upserts, row-level rejection."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fangkong.core.models import AuditEvent
from fangkong.core.scoping import Scope
from fangkong.core.testing import SYSTEM, make_person, valid_id_number
from fangkong.people.models import Person
from fangkong.vaccination.models import Dose, TargetPopulation
from fangkong.vaccination.services import import_doses, import_targets

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HEADER = ["id_number", "name", "dose_number", "vaccine", "batch", "administered_at", "unit_code"]
CHINESE = ["身份证号", "姓名", "剂次", "疫苗名称", "疫苗批号", "接种时间", "接种单位编码"]


def write_csv(path: Path, header, rows, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header, rows) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_it_imports_doses_and_creates_non_residents_at_the_giving_unit(city, tmp_path):
    resident = make_person(city.shenghe, "张立新", id_number=valid_id_number(serial=1))
    visitor = valid_id_number(prefix="410102", serial=2)
    path = write_csv(
        tmp_path / "doses.csv",
        HEADER,
        [
            [
                valid_id_number(serial=1),
                "张立新",
                "1",
                "北京生物",
                "202107001",
                "2021-08-12 09:30",
                city.bankou.code,
            ],
            [visitor, "王外地", "1", "科兴", "", "2021/8/12 10:05", city.bankou.code],
            [
                visitor,
                "王外地",
                "2",
                "科兴",
                "C2021",
                "2021-09-05T10:05:00+08:00",
                city.bankou.code,
            ],
        ],
    )
    result = import_doses(SYSTEM, path)
    assert result.applied and not result.errors
    assert (result.created, result.updated, result.unchanged, result.people_created) == (3, 0, 0, 1)
    outsider = Person.objects.with_id_number(visitor).get()
    assert (outsider.is_resident, outsider.home_unit, outsider.name) == (
        False,
        city.bankou,
        "王外地",
    )
    first = Dose.objects.get(person=resident, dose_number=1)
    assert first.unit == city.bankou
    given_at = datetime.datetime(2021, 8, 12, 9, 30, tzinfo=SHANGHAI)  # the file's cell
    assert first.administered_at == given_at
    assert first.recorded_by == "system:test"
    assert AuditEvent.objects.filter(action="vaccination.import_doses").count() == 1


def test_it_is_idempotent_and_updates_a_corrected_row(city, tmp_path):
    number = valid_id_number(serial=3)
    rows = [[number, "李四", "1", "北京生物", "B1", "2021-08-12 09:30", city.shifan.code]]
    path = write_csv(tmp_path / "doses.csv", HEADER, rows)
    import_doses(SYSTEM, path)
    again = import_doses(SYSTEM, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    rows[0][5] = "2021-08-12 09:45"
    rows[0][4] = ""  # a blank batch keeps the recorded one
    corrected = import_doses(SYSTEM, write_csv(tmp_path / "fixed.csv", HEADER, rows))
    assert (corrected.created, corrected.updated, corrected.unchanged) == (0, 1, 0)
    dose = Dose.objects.get()
    assert dose.administered_at.astimezone(SHANGHAI).minute == 45
    assert dose.batch == "B1"


def test_it_reads_xlsx_with_chinese_headers(city, tmp_path):
    path = write_xlsx(
        tmp_path / "doses.xlsx",
        CHINESE,
        [
            [
                valid_id_number(serial=4),
                "赵五",
                "第一剂",
                "智飞",
                None,
                datetime.datetime(2021, 8, 12, 17, 59, 59),
                city.chuanhui.code,
            ]
        ],
    )
    result = import_doses(SYSTEM, path)
    assert result.created == 1
    dose = Dose.objects.get()
    corrected_at = datetime.datetime(2021, 8, 12, 17, 59, 59, tzinfo=SHANGHAI)  # the file's cell
    assert dose.administered_at == corrected_at


def test_it_reads_gb18030_csv(city, tmp_path):
    path = write_csv(
        tmp_path / "doses.csv",
        CHINESE,
        [
            [
                valid_id_number(serial=5),
                "钱六",
                "2",
                "科兴",
                "",
                "2021-08-12 08:00",
                city.chuanhui.code,
            ]
        ],
        encoding="gb18030",
    )
    assert import_doses(SYSTEM, path).created == 1
    assert Dose.objects.get().person.name == "钱六"


def test_it_rejects_a_bad_file_whole_with_a_row_report(city, tmp_path):
    good = valid_id_number(serial=6)
    path = write_csv(
        tmp_path / "doses.csv",
        HEADER,
        [
            [good, "好人", "1", "北京生物", "", "2021-08-12 09:00", city.shifan.code],
            [
                "410102198001011234",
                "坏号",
                "1",
                "北京生物",
                "",
                "2021-08-12 09:00",
                city.shifan.code,
            ],
            [good, "好人", "1", "北京生物", "", "2021-08-12 10:00", city.shifan.code],
            [valid_id_number(serial=7), "", "6", "", "", "2021-08-12", "NOPE"],
            [
                valid_id_number(serial=8),
                "未来",
                "1",
                "科兴",
                "",
                "2099-01-01 09:00",
                city.shifan.code,
            ],
        ],
    )
    result = import_doses(SYSTEM, path)
    assert not result.applied
    assert Dose.objects.count() == 0 and Person.objects.count() == 0
    reported = {(error.row, error.column) for error in result.errors}
    assert reported == {
        (3, "id_number"),
        (4, "dose_number"),
        (5, "name"),
        (5, "dose_number"),
        (5, "vaccine"),
        (5, "administered_at"),
        (5, "unit_code"),
        (6, "administered_at"),
    }
    duplicate = next(e for e in result.errors if e.row == 4)
    assert "2" in duplicate.reason and "4" in duplicate.reason
    partial = import_doses(SYSTEM, path, partial=True)
    assert partial.applied and partial.created == 1


def test_it_refuses_units_and_doses_outside_the_importers_area(city, tmp_path):
    number = valid_id_number(serial=9)
    write = lambda name, unit: write_csv(  # noqa: E731
        tmp_path / name, HEADER, [[number, "孙七", "1", "科兴", "", "2021-08-12 09:00", unit.code]]
    )
    import_doses(SYSTEM, write("chuanhui.csv", city.chuanhui))
    shifan = Scope.of_units([city.shifan])
    result = import_doses(SYSTEM, write("shifan.csv", city.shifan), scope=shifan)
    assert [(e.row, e.column) for e in result.errors] == [(2, "dose_number")]
    result = import_doses(SYSTEM, write("out.csv", city.chuanhui), scope=shifan)
    assert [(e.row, e.column) for e in result.errors] == [(2, "unit_code")]
    assert Dose.objects.get().unit == city.chuanhui


def test_it_runs_from_the_command_line(city, tmp_path):
    path = write_csv(
        tmp_path / "doses.csv",
        HEADER,
        [
            [
                valid_id_number(serial=10),
                "周八",
                "1",
                "科兴",
                "",
                "2021-08-12 09:00",
                city.shifan.code,
            ]
        ],
    )
    out = io.StringIO()
    call_command("import", "doses", str(path), stdout=out)
    assert "created=1" in out.getvalue() and "people_created=1" in out.getvalue()
    bad = write_csv(tmp_path / "bad.csv", HEADER, [["x", "周八", "1", "科兴", "", "", "NOPE"]])
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError):
        call_command("import", "doses", str(bad), "--report", str(report), stderr=io.StringIO())
    assert "unit_code" in report.read_text(encoding="utf-8-sig")


def test_it_upserts_targets_by_unit_group_and_date(city, tmp_path):
    header = ["unit_code", "group", "population", "valid_from"]
    rows = [
        [city.shifan.code, "18+", "12,000", "2021-06-01"],
        [city.chuanhui.code, "18岁及以上", "30000", "2021/6/1"],
    ]
    first = import_targets(SYSTEM, write_csv(tmp_path / "targets.csv", header, rows))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    rows[0][2] = "12500"
    second = import_targets(SYSTEM, write_csv(tmp_path / "targets2.csv", header, rows))
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert TargetPopulation.objects.get(unit=city.shifan).population == 12500
    assert TargetPopulation.objects.get(unit=city.chuanhui).group == "18+"
    chinese = write_xlsx(
        tmp_path / "targets.xlsx",
        ["单位编码", "人群", "目标人数", "起始日期"],
        [[city.shifan.code, "18+", 13000, datetime.datetime(2021, 8, 1)]],
    )
    assert import_targets(SYSTEM, chinese).created == 1


def test_it_rejects_bad_target_rows(city, tmp_path):
    header = ["单位编码", "人群", "目标人数", "起始日期"]
    path = write_csv(
        tmp_path / "targets.csv",
        header,
        [
            [city.shifan.code, "18+", "100", "2021-06-01"],
            ["NOPE", "adults", "-5", "June"],
            [city.shifan.code, "18+", "200", "2021-06-01"],
        ],
    )
    result = import_targets(SYSTEM, path)
    assert not result.applied and TargetPopulation.objects.count() == 0
    assert {(e.row, e.column) for e in result.errors} == {
        (3, "unit_code"),
        (3, "group"),
        (3, "population"),
        (3, "valid_from"),
        (4, "valid_from"),
    }
