"""API authentication for the checkpoints router: the platform's device
tokens and staff sessions, with one difference. A scanner posts an entry
every second or two, so the device a token belongs to is remembered for
DEVICE_CACHE_SECONDS in each server process instead of being looked up for
every entry; a revoked token therefore stops working within that time."""

from __future__ import annotations

import hashlib
import time

from django.http import HttpRequest

from fangkong.accounts.auth import ActiveSessionAuth, DeviceTokenAuth
from fangkong.accounts.models import DeviceToken

DEVICE_CACHE_SECONDS = 5.0
_MAX_CACHED = 10_000
_devices: dict[str, tuple[float, DeviceToken]] = {}


class CachedDeviceTokenAuth(DeviceTokenAuth):
    """DeviceTokenAuth whose answers are kept a few seconds per process."""

    def authenticate(self, request: HttpRequest, token: str) -> DeviceToken | None:
        # Keyed by a digest, so the process keeps no clear tokens around.
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = _devices.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        device = super().authenticate(request, token)
        if device is None:
            _devices.pop(key, None)
            return None
        if len(_devices) >= _MAX_CACHED:
            _devices.clear()
        _devices[key] = (now + DEVICE_CACHE_SECONDS, device)
        return device


def forget_devices() -> None:
    _devices.clear()


CHECKPOINT_AUTH = [CachedDeviceTokenAuth(), ActiveSessionAuth()]
