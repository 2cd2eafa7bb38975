"""`fangkong import KIND FILE [--partial] [--report FILE]`.

Each app offers its kinds in `<app>/importers.py` or `<app>/services.py` as
COMMAND_IMPORTS = {"kind": function(actor, path, partial=...) -> ImportResult}.
A bad file changes nothing and the command exits 1 with the error report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.audit import Actor
from fangkong.core.discovery import app_modules
from fangkong.core.importing import ImportFileError, finish_import_command


def available_imports() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module_name in ("importers", "services"):
        for _label, module in app_modules(module_name):
            found.update(getattr(module, "COMMAND_IMPORTS", {}))
    return found


class Command(BaseCommand):
    help = "Import a CSV or XLSX file: units, people, and what other apps offer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "kind", help="what the file holds: " + ", ".join(sorted(available_imports()))
        )
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--partial", action="store_true", help="import the good rows, report the bad ones"
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="write the error report here (.csv or .xlsx); default: stderr",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        imports = available_imports()
        kind = options["kind"]
        if kind not in imports:
            raise CommandError(f"unknown kind {kind!r}; choose one of {', '.join(sorted(imports))}")
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            result = imports[kind](Actor.system(f"import {kind}"), path, partial=options["partial"])
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}") from None
        finish_import_command(self, result, options["report"])
