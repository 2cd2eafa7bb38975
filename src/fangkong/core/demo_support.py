"""The demo city: `fangkong demo` calls `build(context)` in each app's
`demo.py`, in INSTALLED_APPS order, so each app adds its own demo data."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from fangkong.core.audit import Actor


@dataclass
class DemoContext:
    """What the demo builders share: the seed's random source, sizes, and
    what earlier builders made (units by name, users by username)."""

    seed: int
    people: int
    password: str | None
    log: Callable[[str], None]
    rng: random.Random = field(init=False)
    faker: Faker = field(init=False)
    actor: Actor = field(default_factory=lambda: Actor.system("demo"))
    units: dict[str, Any] = field(default_factory=dict)
    users: dict[str, tuple[Any, str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(self.seed)

    def unit(self, name: str) -> Any:
        return self.units[name]
