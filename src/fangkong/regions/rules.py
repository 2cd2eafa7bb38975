"""Pure decisions about units: parsing kinds, levels, generated codes."""

from __future__ import annotations

import re

UNIT_KINDS = (
    "city",
    "district",
    "county",
    "county_city",
    "zone",
    "township",
    "town",
    "subdistrict",
    "community",
    "village",
    "compound",
    "school",
    "other",
)

KIND_ALIASES: dict[str, str] = {kind: kind for kind in UNIT_KINDS} | {
    "市": "city",
    "地级市": "city",
    "区": "district",
    "市辖区": "district",
    "县": "county",
    "县级市": "county_city",
    "功能区": "zone",
    "乡": "township",
    "镇": "town",
    "街道": "subdistrict",
    "办事处": "subdistrict",
    "街道办事处": "subdistrict",
    "社区": "community",
    "村": "village",
    "行政村": "village",
    "小区": "compound",
    "学校": "school",
    "其他": "other",
}

COUNTY_LEVEL = frozenset({"district", "county", "county_city", "zone"})
TOWNSHIP_LEVEL = frozenset({"township", "town", "subdistrict"})
GRASSROOTS_LEVEL = frozenset({"community", "village"})
# Where people live: a resident's home unit is one of these.
HOME_KINDS = frozenset({"community", "village", "compound", "school", "other"})

_OFFICIAL_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
_ANY_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
GENERATED_CODE_PREFIX = "FK"


def parse_kind(raw: str) -> str | None:
    """The canonical kind for an English or Chinese name, or None."""
    return KIND_ALIASES.get(str(raw or "").strip().lower()) or KIND_ALIASES.get(
        str(raw or "").strip()
    )


def is_valid_code(code: str) -> bool:
    """Official codes are 6 (GB/T 2260), 9 or 12 digits; own codes are short tokens."""
    return bool(_OFFICIAL_CODE.match(code) or _ANY_CODE.match(code))


def generated_code(unit_id: int) -> str:
    """The code a unit without an official one gets, so imports can name it."""
    return f"{GENERATED_CODE_PREFIX}{unit_id:08d}"


# Each id in a path is written with this many digits, zero-padded, so that
# the path as text sorts in tree order (siblings in the order they were
# created: unit 98 before unit 100) wherever SQL orders by it.
PATH_DIGITS = 10
# The path column's length (Unit.path): at 11 characters a level, 23 levels.
MAX_PATH_LENGTH = 255


def path_for(parent_path: str, unit_id: int) -> str:
    """Materialised path: ancestor ids, fixed width, each followed by a dot,
    so that "…0000000005." is a prefix of its children's paths only."""
    if not 0 < unit_id < 10**PATH_DIGITS:
        raise ValueError(f"unit id {unit_id} does not fit a path segment")
    return f"{parent_path}{unit_id:0{PATH_DIGITS}d}."


def ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.split(".") if part]
