"""Pure decisions at the gate: admission (admit or deny, with every reason
that applies), temperature plausibility, the window for late uploads, and
which staff roles act only at the checkpoints they are bound to. No I/O."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.utils.translation import gettext_lazy as _

from fangkong.accounts.rules import GATE_STAFF

# A reading outside this range is the thermometer's error, not a fever:
# the person is measured again and nothing is recorded.
MIN_PLAUSIBLE_TEMPERATURE = Decimal("34.0")
MAX_PLAUSIBLE_TEMPERATURE = Decimal("43.0")
DEFAULT_FEVER_THRESHOLD = Decimal("37.3")
DEFAULT_ADMITTED_HEALTH_CODES = ("green",)
DEFAULT_DENIED_STATUSES = ("home_quarantine", "central_quarantine", "close_contact", "positive")
DEFAULT_NEGATIVE_TEST_HOURS = 48
# Two weeks: an older test says nothing about today; the policy form, the
# service and the model field share this bound.
MAX_NEGATIVE_TEST_HOURS = 24 * 14

# A device clock may run this far ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# A new check of the same person at the same gate within this time, after a
# denial, is the second attempt of the same passage ("denied, then admitted").
RETRY_WINDOW = datetime.timedelta(minutes=30)

# Roles that work only at the checkpoints they are bound to, not at every
# checkpoint of their unit's subtree as office roles do.
BOUND_ROLES = frozenset({GATE_STAFF})

HEALTH_CODES = ("green", "yellow", "red", "none")
DIRECTIONS = ("in", "out")


class StarAction(enum.StrEnum):
    """What an itinerary-code star (a recent stay in a risk area) does."""

    DENY = "deny"
    FLAG = "flag"  # admit, and flag the entry for follow-up


class Reason(enum.IntFlag):
    """Why a person is denied. Stored as a bit set on the entry, so the
    figures count "denied by reason" with one aggregate."""

    NO_MASK = 1
    FEVER = 2
    YELLOW_CODE = 4
    RED_CODE = 8
    CODE_NOT_SHOWN = 16
    ITINERARY_STAR = 32
    QUARANTINE = 64
    CLOSE_CONTACT = 128
    POSITIVE = 256
    CODE_REVOKED = 512
    CODE_INVALID = 1024
    VISITOR_INCOMPLETE = 2048
    NO_NEGATIVE_TEST = 4096
    STATUS_RESTRICTED = 8192

    @property
    def slug(self) -> str:
        return (self.name or "").lower()

    @property
    def label(self) -> str:
        return str(REASON_LABELS[self])


REASON_LABELS = {
    Reason.NO_MASK: _("no mask"),
    Reason.FEVER: _("fever"),
    Reason.YELLOW_CODE: _("yellow health code"),
    Reason.RED_CODE: _("red health code"),
    Reason.CODE_NOT_SHOWN: _("health code not shown"),
    Reason.ITINERARY_STAR: _("itinerary code has a star"),
    Reason.QUARANTINE: _("in quarantine"),
    Reason.CLOSE_CONTACT: _("close contact"),
    Reason.POSITIVE: _("positive"),
    Reason.CODE_REVOKED: _("pass code revoked (a new one was issued)"),
    Reason.CODE_INVALID: _("pass code invalid"),
    Reason.VISITOR_INCOMPLETE: _("visitor details incomplete"),
    Reason.NO_NEGATIVE_TEST: _("no recent negative nucleic-acid test"),
    Reason.STATUS_RESTRICTED: _("status does not allow passage"),
}
ALL_REASONS = tuple(Reason)

# The reason a denied personal status gives; statuses not listed give the
# generic STATUS_RESTRICTED.
STATUS_REASONS = {
    "home_quarantine": Reason.QUARANTINE,
    "central_quarantine": Reason.QUARANTINE,
    "close_contact": Reason.CLOSE_CONTACT,
    "positive": Reason.POSITIVE,
}


_REASON_VALUES = tuple((reason.value, reason) for reason in ALL_REASONS)


@cache
def reasons_from_bits(bits: int) -> tuple[Reason, ...]:
    # Plain integers: flag-enum arithmetic is slow, and a batch asks often.
    return tuple(reason for value, reason in _REASON_VALUES if bits & value)


class MeasuringError(ValueError):
    """A temperature no living person at a gate has: measure again."""


def check_temperature(value: Decimal | None) -> Decimal | None:
    """The reading rounded half-up to 0.1 °C (the thermometer's display), or
    MeasuringError when implausible."""
    if value is None:
        return None
    if not value.is_finite():
        raise MeasuringError(_("please measure the temperature again"))
    value = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if not MIN_PLAUSIBLE_TEMPERATURE <= value <= MAX_PLAUSIBLE_TEMPERATURE:
        raise MeasuringError(_("please measure the temperature again"))
    return value


@dataclass(frozen=True)
class Policy:
    """A checkpoint's admission policy."""

    fever_threshold: Decimal = DEFAULT_FEVER_THRESHOLD
    mask_required: bool = True
    admitted_health_codes: frozenset[str] = frozenset(DEFAULT_ADMITTED_HEALTH_CODES)
    star_action: StarAction = StarAction.DENY
    # None: no test required; otherwise a negative result within this many hours.
    negative_test_hours: int | None = None
    denied_statuses: frozenset[str] = frozenset(DEFAULT_DENIED_STATUSES)


@dataclass(frozen=True)
class Observation:
    """What the gate saw and what is known of the person, at `observed_at`."""

    observed_at: datetime.datetime
    direction: str = "in"
    mask: bool = True
    temperature: Decimal | None = None
    health_code: str = "green"
    itinerary_star: bool = False
    # "revoked" or "invalid" when a pass code was scanned and failed.
    code_problem: str | None = None
    # The registered person's status; None when the person is not known.
    person_status: str | None = None
    # A registered person recorded as having no smartphone cannot show a
    # health code: the gate's archive stands in for it.
    without_smartphone: bool = False
    visitor_incomplete: bool = False
    last_negative_test_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Decision:
    admitted: bool
    reasons: tuple[Reason, ...] = ()
    follow_up: bool = False

    @property
    def bits(self) -> int:
        bits = 0
        for reason in self.reasons:
            bits |= reason.value
        return bits

    @property
    def word(self) -> str:
        return "admit" if self.admitted else "deny"


def decide(policy: Policy, seen: Observation) -> Decision:
    """Admit or deny, with every reason that applies.

    Going out, only what makes leaving wrong counts (a restricted status, a
    failed pass code); mask, temperature and codes are checked coming in.
    """
    reasons: list[Reason] = []
    if seen.code_problem == "revoked":
        reasons.append(Reason.CODE_REVOKED)
    elif seen.code_problem is not None:
        reasons.append(Reason.CODE_INVALID)
    follow_up = False
    if seen.direction == "in":
        if policy.mask_required and not seen.mask:
            reasons.append(Reason.NO_MASK)
        if seen.temperature is not None and seen.temperature >= policy.fever_threshold:
            reasons.append(Reason.FEVER)
        reasons.extend(_health_code_reasons(policy, seen))
        if seen.itinerary_star:
            if policy.star_action == StarAction.DENY:
                reasons.append(Reason.ITINERARY_STAR)
            else:
                follow_up = True
        if seen.visitor_incomplete:
            reasons.append(Reason.VISITOR_INCOMPLETE)
        if policy.negative_test_hours is not None and not _recent_negative(policy, seen):
            reasons.append(Reason.NO_NEGATIVE_TEST)
    if seen.person_status is not None and status_denies(policy, seen.person_status):
        status_reason = STATUS_REASONS.get(seen.person_status, Reason.STATUS_RESTRICTED)
        if status_reason not in reasons:
            reasons.append(status_reason)
    ordered = tuple(sorted(reasons, key=lambda reason: reason.value))
    return Decision(admitted=not ordered, reasons=ordered, follow_up=follow_up and not ordered)


def status_denies(policy: Policy, status: str) -> bool:
    """Whether a person's status alone denies passage under the policy; a
    status that does not decides exactly as no status known."""
    return status in policy.denied_statuses


def _health_code_reasons(policy: Policy, seen: Observation) -> Iterable[Reason]:
    code = seen.health_code
    if code == "none":
        if not seen.without_smartphone:
            yield Reason.CODE_NOT_SHOWN
    elif code not in policy.admitted_health_codes:
        yield Reason.RED_CODE if code == "red" else Reason.YELLOW_CODE


def _recent_negative(policy: Policy, seen: Observation) -> bool:
    tested = seen.last_negative_test_at
    if tested is None or policy.negative_test_hours is None:
        return False
    age = seen.observed_at - tested
    return datetime.timedelta(0) <= age <= datetime.timedelta(hours=policy.negative_test_hours)


class ObservedAtError(ValueError):
    """A device's observed moment outside the accepted window."""


def check_observed_at(
    observed_at: datetime.datetime, now: datetime.datetime, retention_days: int
) -> None:
    """Late uploads are accepted for as long as entries are kept; a moment in
    the future beyond a small clock skew is a wrong device clock."""
    if observed_at > now + CLOCK_SKEW:
        raise ObservedAtError(_("the moment is in the future: check the device clock"))
    if observed_at < now - datetime.timedelta(days=retention_days):
        raise ObservedAtError(
            _("the moment is older than the %(days)d days entries are kept")
            % {"days": retention_days}
        )
