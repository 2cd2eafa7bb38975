"""What the management commands of every app share about units."""

from __future__ import annotations

from django.core.management.base import CommandError

from fangkong.regions.models import Unit


def unit_by_code(code: str, option: str = "--unit") -> Unit:
    """The unit a command's option names by code; CommandError naming the
    option when there is none."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(f"{option}: unknown unit code {code}")
    return unit
