"""The last negative nucleic-acid result of a person, from whichever app
supplies test results (the testing app), found through discovery: every
`fangkong.<app>.providers` module that defines
`latest_negative_test_at(person_id: int) -> datetime | None`. Checkpoints
never import the testing app."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cache

from fangkong.core.discovery import app_modules

Provider = Callable[[int], "datetime.datetime | None"]


@cache
def providers() -> tuple[Provider, ...]:
    found = []
    for _label, module in app_modules("providers"):
        function = getattr(module, "latest_negative_test_at", None)
        if callable(function):
            found.append(function)
    return tuple(found)


def latest_negative_test_at(person_id: int) -> datetime.datetime | None:
    """The most recent negative result any provider knows, or None."""
    results = [provider(person_id) for provider in providers()]
    return max((result for result in results if result is not None), default=None)
