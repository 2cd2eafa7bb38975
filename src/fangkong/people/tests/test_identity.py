import datetime

import pytest

from fangkong.core.identity import InvalidIdentity, parse_id_number, parse_phone
from fangkong.core.testing import valid_id_number

pytestmark = pytest.mark.usefixtures("english")

VALID = valid_id_number("411602", "19900307", 123)


def test_it_accepts_a_valid_number_and_derives_sex_and_birth_date():
    parsed = parse_id_number(VALID)
    assert parsed.number == VALID
    assert parsed.birth_date == datetime.date(1990, 3, 7)
    assert parsed.sex == "M"  # 17th digit 3 is odd
    assert parsed.prefix == "411602"


def test_it_rejects_a_bad_checksum():
    last = VALID[-1]
    wrong = VALID[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(InvalidIdentity, match="checksum"):
        parse_id_number(wrong)


def test_it_normalises_a_lower_case_x():
    serial = next(s for s in range(1000) if valid_id_number("411602", "19850101", s).endswith("X"))
    number = valid_id_number("411602", "19850101", serial)
    assert parse_id_number(number.lower()).number == number


def test_it_converts_a_15_digit_legacy_number():
    legacy = "411602850101123"  # region, YYMMDD, serial, no check digit
    parsed = parse_id_number(legacy)
    assert len(parsed.number) == 18
    assert parsed.number.startswith("41160219850101123")
    assert parsed.birth_date == datetime.date(1985, 1, 1)
    assert parse_id_number(parsed.number).number == parsed.number


def test_it_rejects_a_future_birth_date():
    future = valid_id_number("411602", "20300101", 5)
    with pytest.raises(InvalidIdentity, match="future"):
        parse_id_number(future, today=datetime.date(2026, 11, 30))


@pytest.mark.parametrize("raw", ["41160219900307123", "4116021990030712345", "4116"])
def test_it_rejects_a_wrong_length(raw):
    with pytest.raises(InvalidIdentity, match="18 digits"):
        parse_id_number(raw)


@pytest.mark.parametrize("raw", ["41160219900307A23X", "41160219900307123Y", "ABCDEFGHIJKLMNO"])
def test_it_rejects_letters(raw):
    with pytest.raises(InvalidIdentity, match="characters"):
        parse_id_number(raw)


def test_it_rejects_an_impossible_birth_date_and_an_unknown_region():
    body = "41160219901340123"  # month 13
    from stdnum.cn import ric

    with pytest.raises(InvalidIdentity, match="birth date"):
        parse_id_number(body + ric.calc_check_digit(body + "0"))
    with pytest.raises(InvalidIdentity, match="region"):
        parse_id_number(valid_id_number("991602", "19900101", 1))


def test_it_validates_mainland_mobile_numbers():
    assert parse_phone("138 1234 5678") == "13812345678"
    assert parse_phone("+8613812345678") == "13812345678"
    for bad in ["12812345678", "1381234567", "0394-8123456"]:
        with pytest.raises(InvalidIdentity):
            parse_phone(bad)
