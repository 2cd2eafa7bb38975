"""`fangkong bulletin KIND --as-of "2021-08-12 18:00" [--under CODE]
[--level children|county|township|grassroots] [--columns KEY,...]
--format json|html|xlsx|docx|png -o FILE [--issue]`

Writes the bulletin as computed now (a preview); with --issue, issues it
first (an immutable snapshot, recorded as issued by the command line) and
writes the snapshot. `--issued ID` writes an issued bulletin again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.bulletins import outputs, queries, services
from fangkong.bulletins.catalog import KINDS
from fangkong.bulletins.engine import BulletinError
from fangkong.bulletins.models import IssuedBulletin
from fangkong.bulletins.rules import LEVELS, parse_cutoff
from fangkong.core.audit import Actor
from fangkong.regions.models import Unit


class Command(BaseCommand):
    help = "Write a bulletin (preview, or issue it) as JSON, HTML, XLSX, DOCX or PNG."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", nargs="?", choices=sorted(KINDS))
        parser.add_argument("--as-of", help='cut-off, local time: "2021-08-12 18:00"')
        parser.add_argument("--under", help="code of the unit (default: the top unit)")
        parser.add_argument("--level", default="children", choices=sorted(LEVELS))
        parser.add_argument("--columns", default="", help="optional columns, comma-separated")
        parser.add_argument("--format", default="json", choices=sorted(outputs.FORMATS))
        parser.add_argument("-o", "--output", default="-", help="file, or - for stdout")
        parser.add_argument("--issue", action="store_true", help="issue it, then write it")
        parser.add_argument("--issued", type=int, help="write the issued bulletin with this id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["issued"] is not None:
            bulletin = IssuedBulletin.objects.filter(pk=options["issued"]).first()
            if bulletin is None:
                raise CommandError(f"no issued bulletin {options['issued']}")
            table = queries.issued_table(bulletin)
        else:
            table = self._compute(options)
        content = outputs.render(table, options["format"])
        if options["output"] == "-":
            if options["format"] not in ("json", "html"):
                raise CommandError("binary formats need -o FILE")
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return
        Path(options["output"]).write_bytes(content)
        self.stderr.write(f"{table.title} · {table.subtitle} → {options['output']}")

    def _compute(self, options: dict[str, Any]):
        if not options["kind"] or not options["as_of"]:
            raise CommandError("give a bulletin kind and --as-of (or --issued ID)")
        try:
            as_of = parse_cutoff(options["as_of"])
        except ValueError as error:
            raise CommandError(f"--as-of: {error}") from None
        if options["under"]:
            under = Unit.objects.filter(code=options["under"]).first()
            if under is None:
                raise CommandError(f"no unit with code {options['under']}")
        else:
            roots = list(Unit.objects.filter(parent__isnull=True)[:2])
            if len(roots) != 1:
                raise CommandError("give --under CODE (there is not exactly one top unit)")
            under = roots[0]
        extra = [key.strip() for key in options["columns"].split(",") if key.strip()]
        try:
            if options["issue"]:
                bulletin = services.issue_bulletin(
                    Actor.system("bulletin"),
                    options["kind"],
                    as_of=as_of,
                    under=under,
                    level=options["level"],
                    extra_columns=extra,
                )
                self.stderr.write(f"issued #{bulletin.pk}")
                return queries.issued_table(bulletin)
            return queries.preview(
                options["kind"],
                as_of=as_of,
                under=under,
                level=options["level"],
                extra_columns=extra,
            )
        except BulletinError as error:
            raise CommandError(str(error)) from None
