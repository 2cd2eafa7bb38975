"""`fangkong ensure-admin`: create the administrator if there is none and
print its login once; otherwise say that one exists."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand

from fangkong.accounts.models import User
from fangkong.accounts.services import create_user
from fangkong.core.audit import Actor


class Command(BaseCommand):
    help = "Create the first administrator (printed once) unless one exists."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "An administrator exists already; its password was printed when it was created."
            )
            return
        password = secrets.token_urlsafe(12)
        create_user(
            Actor.system("ensure-admin"),
            username=options["username"],
            password=password,
            display_name="管理员",
            is_superuser=True,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator created. Log in as {options['username']} / {password} "
                "(shown only now; change it after logging in)."
            )
        )
