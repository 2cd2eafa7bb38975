"""Recording audit events. Services call `record`; nothing else writes the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from fangkong.core.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who performs a service call: a user, a device, or the system (CLI)."""

    label: str
    user: Any = None  # accounts.User or None
    device: Any = None  # accounts.DeviceToken or None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(label=f"user:{user.get_username()}", user=user)

    @classmethod
    def for_device(cls, device: Any) -> Actor:
        return cls(label=f"device:{device.name}#{device.pk}", device=device)

    @classmethod
    def system(cls, what: str = "cli") -> Actor:
        return cls(label=f"system:{what}")


def record(
    actor: Actor,
    action: str,
    *,
    unit: Any = None,
    target: models.Model | None = None,
    **detail: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        actor_label=actor.label,
        action=action,
        unit=unit,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        detail=detail,
    )
