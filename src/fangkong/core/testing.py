"""Factories for tests across apps: a small city, personas, people."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from stdnum.cn import ric

from fangkong.core.audit import Actor

SYSTEM = Actor.system("test")
PASSWORD = "correct-horse-battery-2021"
_serial = itertools.count(1)


def valid_id_number(
    prefix: str = "411602", birth: str = "19800101", serial: int | None = None
) -> str:
    """A valid 18-digit ID number; each call gives a new one unless `serial` is fixed."""
    serial = next(_serial) % 1000 if serial is None else serial
    body = f"{prefix}{birth}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class SmallCity:
    """周口市 → 示范区 → 搬口办事处 → 盛和社区 → 盛和家园, and
    示范区 → 许湾乡 → 张埠口村; 川汇区 beside 示范区."""

    city: Any
    shifan: Any
    chuanhui: Any
    bankou: Any
    shenghe_community: Any
    shenghe: Any
    xuwan: Any
    zhangbukou: Any


def make_small_city() -> SmallCity:
    from fangkong.regions.services import create_unit

    city = create_unit(SYSTEM, name="周口市", kind="city", code="411600")
    shifan = create_unit(SYSTEM, name="示范区", kind="zone", parent=city)
    chuanhui = create_unit(SYSTEM, name="川汇区", kind="district", parent=city, code="411602")
    bankou = create_unit(SYSTEM, name="搬口办事处", kind="subdistrict", parent=shifan)
    community = create_unit(SYSTEM, name="盛和社区", kind="community", parent=bankou)
    shenghe = create_unit(SYSTEM, name="盛和家园", kind="compound", parent=community)
    xuwan = create_unit(SYSTEM, name="许湾乡", kind="township", parent=shifan)
    zhangbukou = create_unit(SYSTEM, name="张埠口村", kind="village", parent=xuwan)
    return SmallCity(city, shifan, chuanhui, bankou, community, shenghe, xuwan, zhangbukou)


def make_user(username: str, role: str | None = None, unit: Any = None, **extra: Any) -> Any:
    from fangkong.accounts.services import assign_role, create_user

    user = create_user(SYSTEM, username=username, password=PASSWORD, **extra)
    if role is not None:
        assign_role(SYSTEM, user, role, unit)
    return user


def make_person(unit: Any, name: str = "张立新", id_number: str | None = None, **extra: Any) -> Any:
    from fangkong.people.services import register_person

    return register_person(
        SYSTEM, name=name, id_number=id_number or valid_id_number(), home_unit=unit, **extra
    )


def logged_in(user: Any) -> Any:
    """A test client with the user's session (login through the real form
    would trip throttling between tests; the session is what pages see)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def settings_at_start(
    name: str, var_dir: Any, **environment: str | None
) -> subprocess.CompletedProcess:
    """Load fangkong's settings in a fresh process with these environment
    changes (None removes a variable) and print setting `name`: what a
    server would start with. `var_dir` keeps the process's files apart."""
    env = {key: value for key, value in os.environ.items() if key not in environment}
    env.update({key: value for key, value in environment.items() if value is not None})
    env["FANGKONG_VAR_DIR"] = str(var_dir)
    script = f"import fangkong.settings as s; print(s.{name})"
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
