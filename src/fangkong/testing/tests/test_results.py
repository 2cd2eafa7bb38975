"""The lab results import: English or Chinese headers, CSV or XLSX; bad
and repeated imports change nothing wrongly and name the rows."""

from decimal import Decimal

import pytest
from openpyxl import Workbook

from fangkong.core.importing import ImportFileError
from fangkong.core.models import AuditEvent
from fangkong.core.scoping import Scope
from fangkong.core.testing import SYSTEM
from fangkong.people.models import Person, StatusPeriod
from fangkong.testing import queries, services
from fangkong.testing.models import LabResult, SampleKind
from fangkong.testing.services import TestingError


@pytest.fixture
def pools(site, swab, many_people):
    """30 residents of 盛和家园 in tubes R001-R003 (10 each)."""
    people = many_people(30)
    for index, person in enumerate(people):
        swab(person, f"R{index // 10 + 1:03d}")
    return people


def snapshot():
    return (
        sorted(LabResult.objects.values_list("tube__barcode", "result")),
        sorted(Person.objects.values_list("pk", "status")),
        StatusPeriod.objects.count(),
    )


def test_it_reads_chinese_headers_and_values_from_xlsx(testing_round, pools, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["采样管编码", "检测结果", "CT值", "报告时间", "检测机构"])
    sheet.append(["R001", "阴性", None, "2021/08/10 21:30", "周口市疾控中心"])
    sheet.append(["R002", "阳性", 28.4, "2021-08-10 21:35:00", "周口市疾控中心"])
    sheet.append(["R003", "无效", None, "2021-08-10T21:40:00+08:00", "周口市疾控中心"])
    path = tmp_path / "结果.xlsx"
    workbook.save(path)
    outcome = services.import_results(SYSTEM, testing_round, path)
    assert outcome.applied and not outcome.errors
    assert (outcome.created, outcome.negative, outcome.positive, outcome.invalid) == (3, 1, 1, 1)
    assert outcome.to_retest == 10
    positive = LabResult.objects.get(tube__barcode="R002")
    assert positive.ct_value == Decimal("28.40") and positive.lab == "周口市疾控中心"
    assert positive.reported_at.isoformat() == "2021-08-10T13:35:00+00:00"
    resample = queries.follow_up_samples(testing_round, Scope.all(), queries.RESAMPLE)
    assert {sample.person_id for sample in resample} == {p.pk for p in pools[20:]}


def test_it_changes_nothing_when_the_same_file_is_imported_again(
    testing_round, pools, results_file
):
    path = results_file([("R001", "negative"), ("R002", "positive", "30.1"), ("R003", "negative")])
    first = services.import_results(SYSTEM, testing_round, path)
    assert (first.created, first.unchanged, first.to_retest) == (3, 0, 10)
    before = snapshot()
    again = services.import_results(SYSTEM, testing_round, path)
    assert again.applied and not again.errors
    assert (again.created, again.unchanged, again.to_retest) == (0, 3, 0)
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="testing.import_results").count() == 2


def test_it_names_unknown_barcodes_and_conflicts_by_row_and_applies_nothing(
    testing_round, pools, results_file
):
    services.import_results(SYSTEM, testing_round, results_file([("R001", "negative")]))
    before = snapshot()
    path = results_file(
        [("R002", "positive"), ("NOPE", "negative"), ("R001", "positive"), ("R003", "negative")],
        name="bad.csv",
    )
    outcome = services.import_results(SYSTEM, testing_round, path)
    assert not outcome.applied and outcome.created == 0
    assert [(error.row, error.column) for error in outcome.errors] == [
        (3, "tube_barcode"),
        (4, "result"),
    ]
    assert "NOPE" in outcome.errors[0].reason
    assert "already has the result" in outcome.errors[1].reason
    assert snapshot() == before  # R002's positive was not applied either


def test_it_applies_the_good_rows_when_partial(testing_round, pools, results_file):
    path = results_file([("R001", "negative"), ("NOPE", "negative"), ("R002", "positive")])
    outcome = services.import_results(SYSTEM, testing_round, path, partial=True)
    assert outcome.applied and outcome.created == 2 and outcome.bad_rows == 1
    assert set(LabResult.objects.values_list("tube__barcode", flat=True)) == {"R001", "R002"}
    assert Person.objects.filter(status="pending_retest").count() == 10


def test_it_tells_conflicting_duplicates_in_one_file_from_repeats(
    testing_round, pools, results_file
):
    path = results_file(
        [("R001", "negative"), ("R001", "阴性"), ("R002", "negative"), ("R002", "positive")]
    )
    outcome = services.import_results(SYSTEM, testing_round, path)
    assert not outcome.applied
    assert [(error.row, error.column) for error in outcome.errors] == [(5, "result")]
    assert "rows 4 and 5" in outcome.errors[0].reason
    outcome = services.import_results(SYSTEM, testing_round, path, partial=True)
    assert (outcome.created, outcome.unchanged) == (2, 1)
    assert LabResult.objects.get(tube__barcode="R002").result == "negative"


def test_it_names_bad_cells(testing_round, pools, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text(
        "tube_barcode,result,ct_value,reported_at,lab\n"
        "R001,maybe,,2021-08-10 22:00,周口市疾控中心\n"
        "R002,negative,abc,2021-08-10 22:00,周口市疾控中心\n"
        "R003,negative,,yesterday,\n"
        ",negative,,2021-08-10 22:00,周口市疾控中心\n",
        encoding="utf-8",
    )
    outcome = services.import_results(SYSTEM, testing_round, path)
    assert not outcome.applied
    assert [(error.row, error.column) for error in outcome.errors] == [
        (2, "result"),
        (3, "ct_value"),
        (4, "reported_at"),
        (4, "lab"),
        (5, "tube_barcode"),
    ]
    assert not LabResult.objects.exists()


def test_it_refuses_a_file_without_the_result_column(testing_round, pools, tmp_path):
    path = tmp_path / "columns.csv"
    path.write_text("tube_barcode,reported_at,lab\nR001,2021-08-10 22:00,lab\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"检测结果|result"):
        services.import_results(SYSTEM, testing_round, path)


def test_it_limits_a_lab_to_the_tubes_of_its_area(testing_round, pools, results_file, city):
    path = results_file([("R001", "negative")])
    outcome = services.import_results(
        SYSTEM, testing_round, path, scope=Scope.of_units([city.zhangbukou])
    )
    assert not outcome.applied and outcome.errors[0].column == "tube_barcode"


def test_it_resamples_the_people_of_an_invalid_tube_without_a_reason(
    testing_round, pools, swab, results_file
):
    services.import_results(SYSTEM, testing_round, results_file([("R003", "invalid")]))
    again = swab(pools[25], "R004", minutes_ago=1)
    assert again.sample.kind == SampleKind.RESAMPLE
    assert again.tube.capacity == 10  # a resample may be pooled again
    left = queries.follow_up_samples(testing_round, Scope.all(), queries.RESAMPLE)
    assert pools[25].pk not in {sample.person_id for sample in left} and left.count() == 9


def test_it_takes_one_result_typed_in_with_the_same_checks(testing_round, pools):
    outcome = services.enter_result(
        SYSTEM,
        testing_round,
        tube_barcode="R001",
        result="positive",
        ct_value="25.5",
        reported_at="2021-08-10 23:00",
        lab="周口市中心医院",
    )
    assert outcome.created == 1 and outcome.to_retest == 10
    with pytest.raises(TestingError) as conflict:
        services.enter_result(
            SYSTEM,
            testing_round,
            tube_barcode="R001",
            result="negative",
            reported_at="2021-08-10 23:05",
            lab="周口市中心医院",
        )
    assert conflict.value.field == "result"
    with pytest.raises(TestingError) as unknown:
        services.enter_result(
            SYSTEM,
            testing_round,
            tube_barcode="X9",
            result="negative",
            reported_at="2021-08-10 23:05",
            lab="周口市中心医院",
        )
    assert unknown.value.field == "tube_barcode"


def test_it_returns_a_retested_person_to_their_earlier_status(
    testing_round, pools, swab, results_file
):
    from fangkong.people.services import set_person_status

    watched = pools[0]
    set_person_status(SYSTEM, watched, "health_monitoring")
    services.import_results(SYSTEM, testing_round, results_file([("R001", "positive")]))
    watched.refresh_from_db()
    assert watched.status == "pending_retest"
    swab(watched, "S001", minutes_ago=1)
    services.import_results(SYSTEM, testing_round, results_file([("S001", "negative")], "s.csv"))
    watched.refresh_from_db()
    assert watched.status == "health_monitoring"
