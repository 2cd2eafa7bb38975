"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from fangkong.core.testing import logged_in, make_person, make_small_city, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is what production uses (tested in accounts); tests log in often.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def english():
    """Messages in English for tests that assert on them; without it the
    platform speaks its default language, Simplified Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def city(db):
    return make_small_city()


@pytest.fixture
def cadre(city):
    """The owner persona: a cadre of 盛和家园."""
    return make_user("cadre_shenghe", "cadre", city.shenghe)


@pytest.fixture
def other_cadre(city):
    """The other persona: a cadre of 张埠口村."""
    return make_user("cadre_zhangbukou", "cadre", city.zhangbukou)


@pytest.fixture
def resident(city):
    return make_person(city.shenghe, "张立新", phone="13812345678", household="1号楼1单元01室")


@pytest.fixture
def villager(city):
    return make_person(city.zhangbukou, "张战国", phone="13912345678")


@pytest.fixture
def cadre_client(cadre):
    return logged_in(cadre)
