"""`fangkong testing SUBCOMMAND`: mass testing for the office and for automation.

  round-add --name NAME --under CODE [--under CODE…] [--pool-size 10] [--starts T] [--ends T]
  site-add --round ROUND --unit CODE --name NAME [--pool-size N]
  import-results FILE --round ROUND [--partial] [--report FILE]
  retests --round ROUND [--kind retest|resample] --format csv|xlsx -o FILE [--unmasked]
  coverage --round ROUND --under CODE --format json|csv|xlsx -o FILE
  not-sampled --round ROUND --under CODE --format csv|xlsx -o FILE

ROUND is a round's id or its name. round-add and site-add print the new id.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.importing import ImportFileError, finish_import_command
from fangkong.core.scoping import Scope
from fangkong.regions.cli import unit_by_code
from fangkong.testing import exports, queries, rules, services
from fangkong.testing.models import POOL_SIZES, Round


class Command(BaseCommand):
    help = "Mass nucleic-acid testing: rounds, sites, lab results, retest lists, coverage."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="SUBCOMMAND")

        add = actions.add_parser("round-add", help="create a round; prints its id")
        add.add_argument("--name", required=True)
        add.add_argument(
            "--under", required=True, action="append", metavar="CODE", help="unit in scope"
        )
        add.add_argument("--pool-size", type=int, default=10, choices=POOL_SIZES)
        add.add_argument("--starts", help="start time (default now), e.g. '2021-08-10 06:00'")
        add.add_argument("--ends", help="end time (default 72 hours after the start)")

        site = actions.add_parser("site-add", help="add a testing site to a round; prints its id")
        site.add_argument("--round", required=True, metavar="ROUND")
        site.add_argument("--unit", required=True, metavar="CODE")
        site.add_argument("--name", required=True)
        site.add_argument("--pool-size", type=int, choices=POOL_SIZES, help="default: the round's")

        results = actions.add_parser("import-results", help="import lab results (CSV or XLSX)")
        results.add_argument("file", type=Path)
        results.add_argument("--round", required=True, metavar="ROUND")
        results.add_argument(
            "--partial", action="store_true", help="apply the good rows, report the bad ones"
        )
        results.add_argument("--report", type=Path, help="error report (.csv or .xlsx)")

        retests = actions.add_parser("retests", help="the retest (or resample) list")
        retests.add_argument("--round", required=True, metavar="ROUND")
        retests.add_argument("--kind", choices=["retest", "resample"], default="retest")
        retests.add_argument("--format", choices=exports.FORMATS, default="csv")
        retests.add_argument("-o", "--output", required=True, help="file, or - for stdout")
        retests.add_argument(
            "--unmasked", action="store_true", help="clear phone numbers (audit-logged)"
        )

        coverage = actions.add_parser("coverage", help="coverage per unit")
        coverage.add_argument("--round", required=True, metavar="ROUND")
        coverage.add_argument("--under", required=True, metavar="CODE")
        coverage.add_argument("--format", choices=["json", *exports.FORMATS], default="json")
        coverage.add_argument("-o", "--output", default="-", help="file, or - for stdout")

        missing = actions.add_parser("not-sampled", help="the door-to-door list")
        missing.add_argument("--round", required=True, metavar="ROUND")
        missing.add_argument("--under", required=True, metavar="CODE")
        missing.add_argument("--format", choices=exports.FORMATS, default="csv")
        missing.add_argument("-o", "--output", required=True, help="file, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        actor = Actor.system(f"testing {action}")
        handler = getattr(self, "do_" + action.replace("-", "_"))
        try:
            handler(actor, options)
        except FieldError as error:
            raise CommandError(f"{error.field}: {error}") from None

    def do_round_add(self, actor: Actor, options: dict[str, Any]) -> None:
        units = [unit_by_code(code, "--under") for code in options["under"]]
        testing_round = services.create_round(
            actor,
            name=options["name"],
            units=units,
            starts_at=_time(options["starts"], "--starts"),
            ends_at=_time(options["ends"], "--ends"),
            pool_size=options["pool_size"],
        )
        self.stdout.write(str(testing_round.pk))

    def do_site_add(self, actor: Actor, options: dict[str, Any]) -> None:
        site = services.create_site(
            actor,
            round=_round(options["round"]),
            unit=unit_by_code(options["unit"]),
            name=options["name"],
            pool_size=options["pool_size"],
        )
        self.stdout.write(str(site.pk))

    def do_import_results(self, actor: Actor, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            result = services.import_results(
                actor, _round(options["round"]), path, partial=options["partial"]
            )
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}") from None
        finish_import_command(self, result, options["report"])

    def do_retests(self, actor: Actor, options: dict[str, Any]) -> None:
        testing_round = _round(options["round"])
        reveal = Scope.all() if options["unmasked"] else Scope.nothing()
        groups, phones = services.follow_up_list(
            actor, testing_round, Scope.all(), options["kind"], reveal=reveal
        )
        with _output(options["output"]) as out:
            title = f"{testing_round.name} {options['kind']}"
            exports.write_follow_up(groups, phones, out, options["format"], title)
        count = sum(len(group.samples) for group in groups)
        self.stderr.write(f"{count} people in {len(groups)} communities")

    def do_coverage(self, actor: Actor, options: dict[str, Any]) -> None:
        testing_round = _round(options["round"])
        under = unit_by_code(options["under"], "--under")
        if not queries.coverage_roots(testing_round, Scope.all(), under):
            raise CommandError(f"{under.code} ({under.name}) is outside the round's units")
        rows = queries.unit_coverage(testing_round, Scope.all(), under)
        with _output(options["output"]) as out:
            exports.write_coverage(rows, out, options["format"])

    def do_not_sampled(self, actor: Actor, options: dict[str, Any]) -> None:
        testing_round = _round(options["round"])
        under = unit_by_code(options["under"], "--under")
        people = queries.not_sampled(testing_round, Scope.all(), under)
        with _output(options["output"]) as out:
            exports.write_not_sampled(people.iterator(chunk_size=2000), out, options["format"])


def _round(reference: str) -> Round:
    found = queries.find_round(reference)
    if found is None:
        raise CommandError(f"no round with the name or id {reference!r}")
    return found


def _time(text: str | None, option: str):
    if not text:
        return None
    try:
        return rules.parse_datetime(text)
    except rules.CellError as error:
        raise CommandError(f"{option}: {error}") from None


@contextmanager
def _output(target: str):
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    with Path(target).open("wb") as stream:
        yield stream
