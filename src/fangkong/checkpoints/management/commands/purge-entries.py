"""`fangkong purge-entries [--days N] [--batch-size N] [--pause S]`: delete
gate entries older than the retention period (ENTRY_RETENTION_DAYS, 28 by
default), oldest first, in short transactions. Run it daily (cron, timer)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fangkong.checkpoints import services
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError


class Command(BaseCommand):
    help = "Delete gate entries older than the retention period, in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"keep this many days (default ENTRY_RETENTION_DAYS={settings.ENTRY_RETENTION_DAYS})",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction")
        parser.add_argument(
            "--pause", type=float, default=0.0, help="seconds to rest between batches"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            deleted = services.purge_entries(
                Actor.system("purge-entries"),
                days=options["days"],
                batch_size=options["batch_size"],
                pause=options["pause"],
            )
        except FieldError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"deleted {deleted} entries")
