"""`fangkong demo --people N --seed S`: build the demo city (see DESIGN.md)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangkong.core.demo_support import DemoContext
from fangkong.core.discovery import app_modules


class Command(BaseCommand):
    help = "Build the Zhoukou demo city with N synthetic residents (deterministic per seed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--people", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument(
            "--password",
            help="one password for every demo user (default: a new one each, printed once)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database has units already"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from fangkong.regions.models import Unit

        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write(
                    "The database has data already; the demo city was not built again."
                )
                return
            raise CommandError("the database is not empty; the demo city needs an empty database")
        if options["people"] < 0:
            raise CommandError("--people must be 0 or more")
        context = DemoContext(
            seed=options["seed"],
            people=options["people"],
            password=options["password"],
            log=lambda message: self.stdout.write(message),
        )
        started = time.perf_counter()
        with transaction.atomic():
            for label, module in app_modules("demo"):
                step = time.perf_counter()
                module.build(context)
                self.stdout.write(f"  {label}: {time.perf_counter() - step:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(f"Demo city built in {time.perf_counter() - started:.1f} s.")
        )
        if context.users:
            self.stdout.write("Demo users (passwords shown only now):")
            for username, (user, password) in context.users.items():
                roles = ", ".join(f"{a.get_role_display()}@{a.unit.name}" for a in user.roles())
                self.stdout.write(f"  {username:<22} {password:<18} {roles}")
