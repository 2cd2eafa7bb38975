"""Helpers for the checkpoint tests: entry bodies and posting them."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone


def body(**changes: Any) -> dict[str, Any]:
    """A valid entry body: masked, 36.5 °C, green code, just observed."""
    data: dict[str, Any] = {
        "client_uuid": str(uuid.uuid4()),
        "mask": True,
        "temperature": 36.5,
        "health_code": "green",
        "itinerary_star": False,
        "direction": "in",
        "observed_at": timezone.now().isoformat(),
    }
    data.update(changes)
    return data


def post(client: Client, checkpoint: Any, data: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/checkpoints/{checkpoint.pk}/entries", data, content_type="application/json"
    )


def minutes_ago(minutes: float) -> str:
    return (timezone.now() - datetime.timedelta(minutes=minutes)).isoformat()
