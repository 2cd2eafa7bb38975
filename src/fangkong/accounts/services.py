"""Writes to users, role assignments and device tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts import rules
from fangkong.accounts.models import DeviceToken, RoleAssignment, User
from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.regions.models import Unit

TOKEN_PREFIX = "fkd_"


class AccountError(ValueError):
    """An account change cannot be made; the message says why."""


@transaction.atomic
def create_user(
    actor: Actor,
    *,
    username: str,
    password: str,
    display_name: str = "",
    is_superuser: bool = False,
) -> User:
    if User.objects.filter(username=username).exists():
        raise AccountError(_("user %(name)s already exists") % {"name": username})
    user = User(username=username, display_name=display_name)
    user.is_superuser = user.is_staff = is_superuser
    user.set_password(password)
    user.save()
    audit.record(actor, "accounts.create_user", target=user, username=username)
    return user


@transaction.atomic
def assign_role(actor: Actor, user: User, role: str, unit: Unit) -> RoleAssignment:
    if role not in rules.ALL_ROLES:
        raise AccountError(_("unknown role %(role)s") % {"role": role})
    assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
    user._role_cache = None
    audit.record(actor, "accounts.assign_role", unit=unit, target=user, role=role)
    return assignment


def hash_device_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is as safe as a slow one
    # and keeps authentication on the gate's hot path cheap.
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_device_token(actor: Actor, *, unit: Unit, name: str) -> tuple[DeviceToken, str]:
    """A new token for a device at `unit`; the clear token is returned once."""
    if not name.strip():
        raise AccountError(_("a device needs a name"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = DeviceToken.objects.create(
        name=name.strip(),
        unit=unit,
        token_hash=hash_device_token(token),
        token_prefix=token[:12],
        created_by=actor.label,
    )
    audit.record(actor, "accounts.create_device_token", unit=unit, target=device, name=name)
    return device, token


@transaction.atomic
def revoke_device_token(actor: Actor, device: DeviceToken) -> DeviceToken:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        audit.record(actor, "accounts.revoke_device_token", unit=device.unit, target=device)
    return device


def authenticate_device_token(token: str) -> DeviceToken | None:
    """The active device a bearer token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    device = (
        DeviceToken.objects.select_related("unit")
        .filter(token_hash=hash_device_token(token), revoked_at__isnull=True)
        .first()
    )
    if device is not None:
        now = timezone.now()
        # One write a minute at most: the gate posts many entries per second.
        if device.last_used_at is None or (now - device.last_used_at).total_seconds() > 60:
            DeviceToken.objects.filter(pk=device.pk).update(last_used_at=now)
            device.last_used_at = now
    return device
