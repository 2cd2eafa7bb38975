"""The last negative nucleic-acid result of people, from whichever app
supplies test results (the testing app), found through discovery: every
`fangkong.<app>.providers` module that defines
`latest_negative_tests_at(person_ids) -> {person_id: datetime}`, asked once
for a whole batch of entries. Checkpoints never import the testing app."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from functools import cache

from fangkong.core.discovery import app_modules

Provider = Callable[[Collection[int]], dict[int, datetime.datetime]]


@cache
def providers() -> tuple[Provider, ...]:
    found = []
    for _label, module in app_modules("providers"):
        function = getattr(module, "latest_negative_tests_at", None)
        if callable(function):
            found.append(function)
    return tuple(found)


def latest_negative_tests_at(person_ids: Collection[int]) -> dict[int, datetime.datetime]:
    """The most recent negative result any provider knows of each person;
    people without one are left out."""
    latest: dict[int, datetime.datetime] = {}
    for provider in providers():
        for person_id, tested_at in provider(person_ids).items():
            if person_id not in latest or tested_at > latest[person_id]:
                latest[person_id] = tested_at
    return latest
