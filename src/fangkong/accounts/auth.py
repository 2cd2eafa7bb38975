"""Who is calling the API: a device (bearer token) or a logged-in user
(session, with CSRF). Endpoints ask `caller(request, capability)` for the
actor to record and the scope to apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from fangkong.accounts.models import DeviceToken, User
from fangkong.accounts.services import authenticate_device_token
from fangkong.core.audit import Actor
from fangkong.core.scoping import Scope


class DeviceTokenAuth(HttpBearer):
    """`Authorization: Bearer fkd_…` for scanners and gates."""

    openapi_description = "Device token bound to a unit (fangkong device-token)."

    def authenticate(self, request: HttpRequest, token: str) -> DeviceToken | None:
        return authenticate_device_token(token)


class ActiveSessionAuth(SessionAuth):
    """A logged-in, active user; CSRF is checked as for pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [DeviceTokenAuth(), ActiveSessionAuth()]


@dataclass(frozen=True)
class Caller:
    actor: Actor
    scope: Scope
    user: User | None = None
    device: DeviceToken | None = None


def caller(request: HttpRequest, capability: str) -> Caller:
    """The actor and scope of an authenticated API request. A device acts in
    its unit's subtree; a user where their roles grant `capability`."""
    auth: Any = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, DeviceToken):
        return Caller(actor=Actor.for_device(auth), scope=auth.scope(), device=auth)
    return Caller(actor=Actor.for_user(auth), scope=auth.scope_for(capability), user=auth)
