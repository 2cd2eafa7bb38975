"""`fangkong testing ...` for the office and for automation."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.testing.models import LabResult, Round, Site


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("testing", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_it_adds_a_round_and_a_site_and_prints_their_ids(city):
    round_id, _err = run(
        "round-add", "--name", "8月10日全员核酸检测", "--under", city.shifan.code,
        "--pool-size", "5", "--starts", "2021-08-10 06:00", "--ends", "2021-08-12 06:00",
    )  # fmt: skip
    testing_round = Round.objects.get(pk=int(round_id))
    assert testing_round.pool_size == 5 and list(testing_round.units.all()) == [city.shifan]
    assert testing_round.starts_at.isoformat() == "2021-08-09T22:00:00+00:00"
    by_name, _err = run(
        "site-add",
        "--round",
        "8月10日全员核酸检测",
        "--unit",
        city.shenghe.code,
        "--name",
        "盛和家园采样点",
    )
    by_id, _err = run(
        "site-add", "--round", round_id, "--unit", city.zhangbukou.code, "--name", "村口",
        "--pool-size", "1",
    )  # fmt: skip
    assert Site.objects.get(pk=int(by_name)).tube_size == 5
    assert Site.objects.get(pk=int(by_id)).tube_size == 1


def test_it_explains_bad_arguments(city):
    with pytest.raises(CommandError, match="unknown unit code"):
        run("round-add", "--name", "x", "--under", "nowhere")
    with pytest.raises(CommandError, match="no round"):
        run("site-add", "--round", "nothing", "--unit", city.shenghe.code, "--name", "x")
    run("round-add", "--name", "x", "--under", city.shenghe.code)
    with pytest.raises(CommandError, match="unit: the unit is outside"):
        run("site-add", "--round", "x", "--unit", city.zhangbukou.code, "--name", "y")
    with pytest.raises(CommandError, match="outside the round"):
        run("coverage", "--round", "x", "--under", city.zhangbukou.code)


def test_it_imports_results_and_reports_bad_rows(
    testing_round, site, swab, resident, results_file, tmp_path
):
    swab(resident, "R001")
    good = results_file([("R001", "negative")])
    out, _err = run("import-results", str(good), "--round", testing_round.name)
    assert "created=1" in out and "applied=True" in out
    out, _err = run("import-results", str(good), "--round", str(testing_round.pk))
    assert "created=0" in out and "unchanged=1" in out
    bad = results_file([("R001", "positive"), ("R404", "negative")], name="bad.csv")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="nothing imported"):
        run("import-results", str(bad), "--round", testing_round.name, "--report", str(report))
    text = report.read_text(encoding="utf-8-sig")
    assert "R404" in text and text.count("\n") == 3
    assert LabResult.objects.get().result == "negative"


def test_it_runs_as_the_fangkong_console_command(tmp_path):
    env = {**os.environ, "DEBUG": "1", "FANGKONG_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "fangkong", "testing", "--help"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for action in ("round-add", "site-add", "import-results", "retests", "coverage"):
        assert action in done.stdout
