"""Checkpoint fixtures: the north gate of 盛和家园 with its gate staff and a
scanner, the village entrance of 张埠口村, and helpers to post entries."""

from __future__ import annotations

import pytest
from django.test import Client

from fangkong.accounts.services import create_device_token
from fangkong.checkpoints import services
from fangkong.core.testing import SYSTEM, make_user


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Ids repeat between tests (each rolls back): no cached rows carry over."""
    from fangkong.checkpoints import auth, queries

    auth.forget_devices()
    queries.forget_checkpoints()
    yield
    auth.forget_devices()
    queries.forget_checkpoints()


@pytest.fixture
def north_gate(city):
    return services.create_checkpoint(SYSTEM, unit=city.shenghe, name="北门")


@pytest.fixture
def south_gate(city):
    return services.create_checkpoint(SYSTEM, unit=city.shenghe, name="南门")


@pytest.fixture
def village_gate(city):
    return services.create_checkpoint(SYSTEM, unit=city.zhangbukou, name="村口")


@pytest.fixture
def gate_staff(city, north_gate):
    """张书轩, on duty at the north gate of 盛和家园."""
    user = make_user("gate_shenghe", "gate_staff", city.shenghe, display_name="张书轩")
    services.bind_staff(SYSTEM, north_gate, user)
    return user


@pytest.fixture
def scanner(city):
    device, token = create_device_token(SYSTEM, unit=city.shenghe, name="北门扫码枪")
    return device, token


@pytest.fixture
def scanner_client(scanner):
    return Client(headers={"Authorization": f"Bearer {scanner[1]}"})


@pytest.fixture
def village_scanner_client(city):
    _device, token = create_device_token(SYSTEM, unit=city.zhangbukou, name="村口扫码枪")
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def resident_code(resident):
    return services.code_for(services.issue_pass_code(SYSTEM, resident))
