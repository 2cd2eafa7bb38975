"""`fangkong device-token --unit CODE --name NAME` prints a new token once;
`--revoke ID` revokes one; `--list` shows them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts import services
from fangkong.accounts.models import DeviceToken
from fangkong.core.audit import Actor
from fangkong.regions.cli import unit_by_code


class Command(BaseCommand):
    help = "Create (printed once), list or revoke device tokens for scanners and gates."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--unit", help="code of the unit the device works in")
        parser.add_argument("--name", help="a name for the device, e.g. 'north gate scanner'")
        parser.add_argument(
            "--revoke", type=int, metavar="ID", help="revoke the token with this id"
        )
        parser.add_argument("--list", action="store_true", help="list tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("device-token")
        if options["list"]:
            for device in DeviceToken.objects.select_related("unit"):
                state = "revoked" if device.revoked_at else "active"
                self.stdout.write(
                    f"{device.pk}\t{device.unit.code}\t{device.name}\t{device.token_prefix}…\t{state}"
                )
            return
        if options["revoke"]:
            device = DeviceToken.objects.filter(pk=options["revoke"]).first()
            if device is None:
                raise CommandError(f"no device token with id {options['revoke']}")
            services.revoke_device_token(actor, device)
            self.stdout.write(f"revoked {device.pk} {device.name}")
            return
        if not options["unit"] or not options["name"]:
            raise CommandError("--unit and --name are required")
        unit = unit_by_code(options["unit"])
        device, token = services.create_device_token(actor, unit=unit, name=options["name"])
        self.stderr.write(f"device {device.pk} at {unit.name}; the token is shown only now:")
        self.stdout.write(token)
