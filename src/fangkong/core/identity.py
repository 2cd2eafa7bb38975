"""Validation and normalisation of Chinese resident ID numbers and mobile phones.

python-stdnum supplies the checksum and the birth date. Its birth-place table
is not used to reject numbers: it lacks county codes created after 2000 (all
of Zhoukou's 4116xx), which real residents carry; instead the first two digits
must be a province-level code, which catches typos in the region part.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent

PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-]")


class InvalidIdentity(ValueError):
    """A number that cannot be accepted; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid 18-digit resident ID number with what it tells."""

    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F"

    @property
    def prefix(self) -> str:
        return self.number[:6]

    @property
    def last4(self) -> str:
        return self.number[-4:]


def parse_id_number(raw: str, today: datetime.date | None = None) -> ResidentId:
    """Validate and normalise an ID number: 18 digits (or 17 and X), or a
    15-digit legacy number converted to 18 digits.

    Raises InvalidIdentity naming the reason.
    """
    number = _SEPARATORS.sub("", str(raw or "")).upper()
    if not number:
        raise InvalidIdentity(_("ID number is empty"))
    if len(number) == 15:
        if not number.isdigit():
            raise InvalidIdentity(_("ID number has characters other than digits"))
        # Legacy numbers have a two-digit year from the 1900s and no check digit.
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
    if len(number) != 18:
        raise InvalidIdentity(_("ID number must have 18 digits (or 15 for an old card)"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentity(_("ID number has characters other than digits and a final X"))
    if number[17] != ric.calc_check_digit(number):
        raise InvalidIdentity(_("ID number checksum is wrong"))
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdentity(_("ID number region code is not a Chinese province"))
    try:
        birth_date = ric.get_birth_date(number)
    except (InvalidComponent, InvalidChecksum):
        raise InvalidIdentity(_("ID number birth date is not a date")) from None
    today = today or datetime.date.today()
    if birth_date > today:
        raise InvalidIdentity(_("ID number birth date is in the future"))
    if birth_date.year < 1880:
        raise InvalidIdentity(_("ID number birth date is too far in the past"))
    sex = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth_date, sex=sex)


def parse_phone(raw: str) -> str:
    """A mainland mobile number, 11 digits starting 13-19; a +86 prefix is dropped."""
    phone = _SEPARATORS.sub("", str(raw or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not _MOBILE.match(phone):
        raise InvalidIdentity(_("phone must be an 11-digit mainland mobile number"))
    return phone
