"""Pure decisions: result cells, outcomes, when another sample is allowed."""

import datetime
from decimal import Decimal

import pytest

from fangkong.testing import rules
from fangkong.testing.models import SampleKind
from fangkong.testing.rules import CellError, Outcome


@pytest.mark.parametrize(
    ("raw", "value"),
    [("negative", "negative"), ("阴性", "negative"), (" Positive ", "positive"), ("阳性", "positive"),
     ("invalid", "invalid"), ("无效", "invalid")],
)  # fmt: skip
def test_it_reads_results_in_english_and_chinese(raw, value):
    assert rules.parse_result(raw) == value


def test_it_refuses_other_results_and_bad_ct_values():
    for raw in ["", "maybe", "待定"]:
        with pytest.raises(CellError):
            rules.parse_result(raw)
    assert rules.parse_ct_value("") is None
    assert rules.parse_ct_value("28.456") == Decimal("28.46")
    for raw in ["abc", "-1", "61", "nan"]:
        with pytest.raises(CellError):
            rules.parse_ct_value(raw)


def test_it_reads_local_and_offset_times():
    local = rules.parse_datetime("2021/08/10 18:30")
    shanghai_offset = datetime.timedelta(hours=8)  # a time zone, not a duration
    assert local.utcoffset() == shanghai_offset
    assert rules.parse_datetime("2021-08-10T10:30:00Z") == local
    with pytest.raises(CellError):
        rules.parse_datetime("10 Aug")


@pytest.mark.parametrize(
    ("capacity", "result", "outcome"),
    [(None, None, Outcome.NOT_SAMPLED), (10, None, Outcome.PENDING), (10, "negative", Outcome.NEGATIVE),
     (10, "positive", Outcome.RETEST), (1, "positive", Outcome.POSITIVE), (1, "negative", Outcome.NEGATIVE),
     (5, "invalid", Outcome.RESAMPLE)],
)  # fmt: skip
def test_it_derives_a_persons_outcome_from_their_latest_tube(capacity, result, outcome):
    assert rules.outcome_of(capacity, result) == outcome


def test_it_decides_what_another_sample_is():
    assert rules.kind_of_next_sample(Outcome.NOT_SAMPLED, "") == SampleKind.FIRST
    assert rules.kind_of_next_sample(Outcome.RETEST, "") == SampleKind.RETEST
    assert rules.kind_of_next_sample(Outcome.RESAMPLE, "") == SampleKind.RESAMPLE
    assert rules.kind_of_next_sample(Outcome.NEGATIVE, "lost tube") == SampleKind.REPEAT
    for outcome in (Outcome.PENDING, Outcome.NEGATIVE, Outcome.POSITIVE):
        with pytest.raises(CellError, match="reason"):
            rules.kind_of_next_sample(outcome, "  ")
    with pytest.raises(CellError, match="single tube"):
        rules.check_tube_for(SampleKind.RETEST, 10)


def test_it_decides_statuses_from_results():
    assert rules.status_after_result("normal", single=False, result="positive") == "pending_retest"
    assert rules.status_after_result("positive", single=False, result="positive") is None
    assert rules.status_after_result("pending_retest", single=True, result="positive") == "positive"
    assert rules.status_after_result("normal", single=True, result="negative") is None
    assert rules.status_after_result("normal", single=False, result="negative") is None
    assert rules.status_after_negative_retest("home_quarantine") == "home_quarantine"
    assert rules.status_after_negative_retest(None) == "normal"
    assert rules.grassroots_of([(1, "city"), (5, "community"), (9, "compound")]) == 5
    assert rules.grassroots_of([(1, "city"), (2, "school")]) == 2
