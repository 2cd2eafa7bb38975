"""The admission rules table: each reason alone and combined, the fever
threshold boundary, implausible temperatures, the observed-at window."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from fangkong.checkpoints import rules
from fangkong.checkpoints.rules import Observation, Policy, Reason, StarAction

AT = datetime.datetime(2021, 8, 9, 19, 0, tzinfo=datetime.UTC)
OK = Observation(observed_at=AT, temperature=Decimal("36.5"))
DEFAULT = Policy()


def seen(**changes) -> Observation:
    from dataclasses import replace

    return replace(OK, **changes)


def test_it_admits_a_masked_green_person_without_fever():
    decision = rules.decide(DEFAULT, OK)
    assert decision.admitted
    assert decision.reasons == ()
    assert decision.word == "admit"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"mask": False}, Reason.NO_MASK),
        ({"temperature": Decimal("38.1")}, Reason.FEVER),
        ({"health_code": "yellow"}, Reason.YELLOW_CODE),
        ({"health_code": "red"}, Reason.RED_CODE),
        ({"health_code": "none"}, Reason.CODE_NOT_SHOWN),
        ({"itinerary_star": True}, Reason.ITINERARY_STAR),
        ({"person_status": "home_quarantine"}, Reason.QUARANTINE),
        ({"person_status": "central_quarantine"}, Reason.QUARANTINE),
        ({"person_status": "close_contact"}, Reason.CLOSE_CONTACT),
        ({"person_status": "positive"}, Reason.POSITIVE),
        ({"code_problem": "revoked"}, Reason.CODE_REVOKED),
        ({"code_problem": "invalid"}, Reason.CODE_INVALID),
        ({"visitor_incomplete": True}, Reason.VISITOR_INCOMPLETE),
    ],
)
def test_it_denies_for_each_reason_alone(changes, reason):
    decision = rules.decide(DEFAULT, seen(**changes))
    assert not decision.admitted
    assert decision.reasons == (reason,)
    assert decision.bits == reason.value


def test_it_gives_every_reason_that_applies():
    decision = rules.decide(
        DEFAULT,
        seen(
            mask=False,
            temperature=Decimal("37.8"),
            health_code="red",
            itinerary_star=True,
            person_status="close_contact",
            code_problem="revoked",
        ),
    )
    assert decision.reasons == (
        Reason.NO_MASK,
        Reason.FEVER,
        Reason.RED_CODE,
        Reason.ITINERARY_STAR,
        Reason.CLOSE_CONTACT,
        Reason.CODE_REVOKED,
    )
    assert rules.reasons_from_bits(decision.bits) == decision.reasons


def test_it_combines_a_missing_mask_with_a_visitor_s_incomplete_details():
    decision = rules.decide(DEFAULT, seen(mask=False, visitor_incomplete=True))
    assert decision.reasons == (Reason.NO_MASK, Reason.VISITOR_INCOMPLETE)


@pytest.mark.parametrize(
    ("temperature", "admitted"),
    [("37.2", True), ("37.3", False), ("37.25", False), ("36.0", True), ("42.9", False)],
)
def test_it_draws_the_fever_line_at_the_threshold(temperature, admitted):
    value = rules.check_temperature(Decimal(temperature))
    assert rules.decide(DEFAULT, seen(temperature=value)).admitted is admitted


def test_it_uses_the_checkpoint_s_own_threshold():
    policy = Policy(fever_threshold=Decimal("37.5"))
    assert rules.decide(policy, seen(temperature=Decimal("37.4"))).admitted
    assert not rules.decide(policy, seen(temperature=Decimal("37.5"))).admitted


@pytest.mark.parametrize("temperature", ["33.9", "43.1", "0", "-36.5", "99.9", "NaN", "Infinity"])
def test_it_refuses_implausible_temperatures_as_measuring_errors(temperature):
    with pytest.raises(rules.MeasuringError):
        rules.check_temperature(Decimal(temperature))


@pytest.mark.parametrize(
    ("temperature", "kept"),
    [("34.0", "34.0"), ("43.0", "43.0"), ("36.54", "36.5"), ("36.55", "36.6")],
)
def test_it_accepts_the_edges_of_the_plausible_range(temperature, kept):
    assert rules.check_temperature(Decimal(temperature)) == Decimal(kept)


def test_it_admits_yellow_where_the_policy_allows_it():
    policy = Policy(admitted_health_codes=frozenset({"green", "yellow"}))
    assert rules.decide(policy, seen(health_code="yellow")).admitted
    assert not rules.decide(policy, seen(health_code="red")).admitted


def test_it_admits_and_flags_an_itinerary_star_when_the_policy_says_so():
    decision = rules.decide(Policy(star_action=StarAction.FLAG), seen(itinerary_star=True))
    assert decision.admitted
    assert decision.follow_up


def test_it_does_not_flag_a_person_who_is_denied_anyway():
    decision = rules.decide(
        Policy(star_action=StarAction.FLAG), seen(itinerary_star=True, mask=False)
    )
    assert decision.reasons == (Reason.NO_MASK,)
    assert not decision.follow_up


def test_it_allows_a_mask_free_gate_when_the_policy_says_so():
    assert rules.decide(Policy(mask_required=False), seen(mask=False)).admitted


def test_it_excuses_the_health_code_of_an_archived_person_without_a_smartphone():
    assert rules.decide(DEFAULT, seen(health_code="none", without_smartphone=True)).admitted
    # A red code shown on someone else's phone still counts.
    assert not rules.decide(DEFAULT, seen(health_code="red", without_smartphone=True)).admitted


def test_it_denies_only_the_statuses_the_policy_lists():
    assert rules.decide(DEFAULT, seen(person_status="health_monitoring")).admitted
    strict = Policy(denied_statuses=frozenset({"health_monitoring"}))
    decision = rules.decide(strict, seen(person_status="health_monitoring"))
    assert decision.reasons == (Reason.STATUS_RESTRICTED,)
    assert rules.decide(strict, seen(person_status="positive")).admitted


def test_it_requires_a_recent_negative_test_only_when_the_policy_does():
    assert rules.decide(DEFAULT, seen(last_negative_test_at=None)).admitted
    policy = Policy(negative_test_hours=48)
    recent = AT - datetime.timedelta(hours=47, minutes=59)
    stale = AT - datetime.timedelta(hours=48, minutes=1)
    assert rules.decide(policy, seen(last_negative_test_at=recent)).admitted
    assert rules.decide(policy, seen(last_negative_test_at=stale)).reasons == (
        Reason.NO_NEGATIVE_TEST,
    )
    assert rules.decide(policy, seen(last_negative_test_at=None)).reasons == (
        Reason.NO_NEGATIVE_TEST,
    )
    future = AT + datetime.timedelta(hours=1)
    assert not rules.decide(policy, seen(last_negative_test_at=future)).admitted


def test_it_checks_only_status_and_code_going_out():
    out = seen(direction="out", mask=False, health_code="none", temperature=None)
    assert rules.decide(DEFAULT, out).admitted
    leaving = seen(direction="out", person_status="home_quarantine")
    assert rules.decide(DEFAULT, leaving).reasons == (Reason.QUARANTINE,)
    assert rules.decide(DEFAULT, seen(direction="out", code_problem="invalid")).reasons == (
        Reason.CODE_INVALID,
    )


def test_it_words_every_reason():
    assert {reason.slug for reason in Reason} >= {
        "no_mask",
        "fever",
        "yellow_code",
        "red_code",
        "code_not_shown",
        "itinerary_star",
        "quarantine",
        "close_contact",
        "positive",
        "code_revoked",
        "code_invalid",
        "visitor_incomplete",
    }
    assert all(reason.label for reason in Reason)


def test_it_accepts_late_uploads_within_the_retention_period():
    now = AT
    rules.check_observed_at(now - datetime.timedelta(days=27, hours=23), now, 28)
    rules.check_observed_at(now + datetime.timedelta(minutes=4), now, 28)
    with pytest.raises(rules.ObservedAtError):
        rules.check_observed_at(now - datetime.timedelta(days=28, minutes=1), now, 28)
    with pytest.raises(rules.ObservedAtError):
        rules.check_observed_at(now + datetime.timedelta(minutes=6), now, 28)
