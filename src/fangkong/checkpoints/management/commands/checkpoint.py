"""`fangkong checkpoint add --unit CODE --name NAME [--kind KIND]` creates a
checkpoint with the default policy and prints its id; `fangkong checkpoint
list [--unit CODE]` lists checkpoints; `fangkong checkpoint bind --id ID
--user USERNAME` binds a gate staff member."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.checkpoints import services
from fangkong.checkpoints.models import Checkpoint, CheckpointKind
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.regions.cli import unit_by_code


class Command(BaseCommand):
    help = "Create, list checkpoints (gates) and bind their staff."

    def add_arguments(self, parser: Any) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        add = verbs.add_parser("add", help="create a checkpoint and print its id")
        add.add_argument("--unit", required=True, help="code of the compound, village or school")
        add.add_argument("--name", required=True, help="e.g. 北门")
        add.add_argument("--kind", choices=CheckpointKind.values, help="default: from the unit")
        listing = verbs.add_parser("list", help="list checkpoints")
        listing.add_argument("--unit", help="only under this unit code")
        bind = verbs.add_parser("bind", help="bind a gate staff member to a checkpoint")
        bind.add_argument("--id", type=int, required=True, help="checkpoint id")
        bind.add_argument("--user", required=True, help="username")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("checkpoint")
        verb = options["verb"]
        try:
            if verb == "add":
                checkpoint = services.create_checkpoint(
                    actor,
                    unit=unit_by_code(options["unit"]),
                    name=options["name"],
                    kind=options["kind"],
                )
                self.stdout.write(str(checkpoint.pk))
            elif verb == "list":
                checkpoints = Checkpoint.objects.select_related("unit")
                if options["unit"]:
                    checkpoints = checkpoints.filter(
                        unit__path__startswith=unit_by_code(options["unit"]).path
                    )
                for checkpoint in checkpoints:
                    state = "open" if checkpoint.is_active else "closed"
                    self.stdout.write(
                        f"{checkpoint.pk}\t{checkpoint.unit.code}\t{checkpoint.unit.name}\t"
                        f"{checkpoint.name}\t{state}"
                    )
            elif verb == "bind":
                checkpoint = (
                    Checkpoint.objects.select_related("unit").filter(pk=options["id"]).first()
                )
                user = User.objects.filter(username=options["user"]).first()
                if checkpoint is None or user is None:
                    raise CommandError("unknown checkpoint id or username")
                services.bind_staff(actor, checkpoint, user)
                self.stdout.write(f"{user.username} bound to {checkpoint}")
        except FieldError as error:
            raise CommandError(f"{error.field}: {error}") from None
