"""Reads of mass testing, always scoped: rounds and sites a user may see,
coverage per unit and household, the door-to-door list, follow-up lists
(retests of positive pools, resamples of invalid tubes), site rates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.scoping import Scope
from fangkong.people.models import Household, Person
from fangkong.regions.models import Unit
from fangkong.regions.rules import ancestor_ids
from fangkong.testing import rules
from fangkong.testing.models import Result, Round, Sample, Site, Tube

COVERAGE_KEYS = ("expected", "sampled", "not_sampled", "pending", "negative", "positive")


def find_round(reference: str | int) -> Round | None:
    """A round by its name, or by its id (the CLI's ROUND)."""
    text = str(reference).strip()
    found = Round.objects.filter(name=text).first()
    if found is None and text.isdigit():
        found = Round.objects.filter(pk=int(text)).first()
    return found


def _overlap(scope: Scope, unit_lookup: str) -> Q:
    """Rows whose unit is inside the scope, or above a unit of the scope (a
    round over a district concerns the cadre of one of its villages)."""
    if scope.everything:
        return Q()
    condition = Q(pk__in=[])
    for path in scope.paths:
        condition |= Q(**{f"{unit_lookup}__path__startswith": path})
        condition |= Q(**{f"{unit_lookup}__pk__in": ancestor_ids(path)})
    return condition


def rounds_for_scope(scope: Scope) -> QuerySet[Round]:
    if scope.everything:
        return Round.objects.all()
    ids = Round.units.through.objects.filter(_overlap(scope, "unit")).values("round_id")
    return Round.objects.filter(pk__in=ids)


def get_round_for_scope(scope: Scope, round_id: Any) -> Round:
    try:
        return rounds_for_scope(scope).get(pk=round_id)
    except (Round.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def round_units(testing_round: Round) -> list[Unit]:
    return list(testing_round.units.order_by("path"))


def sites_for_scope(scope: Scope, testing_round: Round | None = None) -> QuerySet[Site]:
    sites = Site.objects.for_scope(scope).select_related("round", "unit")
    if testing_round is not None:
        sites = sites.filter(round=testing_round)
    return sites.order_by("-round__starts_at", "name")


def get_site_for_scope(scope: Scope, site_id: Any) -> Site:
    try:
        return sites_for_scope(scope).get(pk=site_id)
    except (Site.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_tube_for_scope(scope: Scope, site: Site, tube_id: Any) -> Tube:
    try:
        return Tube.objects.for_scope(scope).get(pk=tube_id, site=site)
    except (Tube.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def site_tube(site: Site, barcode: str) -> Tube | None:
    return site.tubes.filter(barcode=barcode.strip()).first()


def person_of_sample(client_uuid: Any) -> Person | None:
    """Who a device's earlier upload with this `client_uuid` swabbed (a
    retry must not resolve the person again: a pass code may be revoked)."""
    sample = Sample.objects.select_related("person").filter(client_uuid=client_uuid).first()
    return sample.person if sample is not None else None


def open_tubes(site: Site) -> QuerySet[Tube]:
    return Tube.objects.filter(site=site, sealed_at__isnull=True).order_by("-opened_at")


def tube_samples(tube: Tube) -> QuerySet[Sample]:
    return tube.samples.select_related("person").order_by("collected_at", "id")


# Coverage -----------------------------------------------------------------


def coverage_roots(testing_round: Round, scope: Scope, under: Unit | None = None) -> list[Unit]:
    """The highest units both in the round and in the scope (and under
    `under`): where a user's coverage tables start."""
    limits = [scope] if under is None else [scope, Scope.of_units([under])]
    roots = round_units(testing_round)
    for limit in limits:
        if limit.everything:
            continue
        found: list[Unit] = []
        for unit in roots:
            if limit.contains(unit):
                found.append(unit)
            else:
                inner = [path for path in limit.paths if path.startswith(unit.path)]
                found.extend(Unit.objects.filter(path__in=inner))
        roots = found
    return sorted({unit.pk: unit for unit in roots}.values(), key=lambda unit: unit.path)


def _paths_sql(paths: list[str], column: str) -> tuple[str, list[str]]:
    if not paths:
        return "1 = 0", []
    return "(" + " OR ".join([f"{column} LIKE %s"] * len(paths)) + ")", [f"{p}%" for p in paths]


def _counts_by(testing_round: Round, roots: list[Unit], group: str) -> dict[Any, list[int]]:
    """[expected, sampled, negative, positive] of residents under `roots`,
    grouped by a person column: one pass over the residents, each joined to
    their latest sample in the round, its tube and the tube's result."""
    where, params = _paths_sql([unit.path for unit in roots], "u.path")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT p.{group}, COUNT(*), COUNT(s.id),
                  SUM(CASE WHEN r.result = %s THEN 1 ELSE 0 END),
                  SUM(CASE WHEN r.result = %s AND t.capacity = 1 THEN 1 ELSE 0 END)
                FROM people_person p
                JOIN regions_unit u ON u.id = p.home_unit_id
                LEFT JOIN testing_sample s
                  ON s.person_id = p.id AND s.round_id = %s AND s.is_latest
                LEFT JOIN testing_tube t ON t.id = s.tube_id
                LEFT JOIN testing_labresult r ON r.tube_id = s.tube_id
                WHERE p.is_resident AND {where}
                GROUP BY p.{group}""",
            [Result.NEGATIVE, Result.POSITIVE, testing_round.pk, *params],
        )
        return {row[0]: [int(value or 0) for value in row[1:]] for row in cursor.fetchall()}


@dataclass
class CoverageRow:
    """Coverage figures of one unit's subtree (or one household)."""

    name: str
    code: str = ""
    unit: Unit | None = None
    household_id: int | None = None
    expected: int = 0
    sampled: int = 0
    negative: int = 0
    positive: int = 0
    children: int = 0

    @property
    def not_sampled(self) -> int:
        return self.expected - self.sampled

    @property
    def pending(self) -> int:
        return self.sampled - self.negative - self.positive

    def add(self, counts: list[int]) -> None:
        self.expected += counts[0]
        self.sampled += counts[1]
        self.negative += counts[2]
        self.positive += counts[3]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code} | {
            key: getattr(self, key) for key in COVERAGE_KEYS
        }


def unit_coverage(
    testing_round: Round, scope: Scope, under: Unit | None = None, *, depth: int | None = None
) -> list[CoverageRow]:
    """One row per unit of the round inside the scope (and under `under`),
    root first in tree order, each with its whole subtree's figures.
    `depth` limits the rows to that many levels below the roots."""
    roots = coverage_roots(testing_round, scope, under)
    if not roots:
        return []
    where = Q(pk__in=[])
    for root in roots:
        where |= Q(path__startswith=root.path) & (
            Q(depth__lte=root.depth + depth) if depth is not None else Q()
        )
    units = list(Unit.objects.filter(where).order_by("path"))
    rows = {unit.pk: CoverageRow(name=unit.name, code=unit.code, unit=unit) for unit in units}
    for unit in units:
        if unit.parent_id in rows:
            rows[unit.parent_id].children += 1
    home_paths = dict(
        Unit.objects.filter(_or(Q(path__startswith=root.path) for root in roots)).values_list(
            "pk", "path"
        )
    )
    for home_unit_id, counts in _counts_by(testing_round, roots, "home_unit_id").items():
        for ancestor in ancestor_ids(home_paths[home_unit_id]):
            row = rows.get(ancestor)
            if row is not None:
                row.add(counts)
    return list(rows.values())


def _or(conditions) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def household_coverage(testing_round: Round, scope: Scope, unit: Unit) -> list[CoverageRow]:
    """One row per household of the residents under `unit` (inside the round
    and the scope); residents without a household share one row."""
    roots = coverage_roots(testing_round, scope, unit)
    counts = _counts_by(testing_round, roots, "household_id")
    labels = {
        household_id: (label, unit_name)
        for household_id, label, unit_name in Household.objects.filter(
            pk__in=[key for key in counts if key is not None]
        ).values_list("pk", "label", "unit__name")
    }
    rows = []
    for household_id, figures in counts.items():
        label, unit_name = labels.get(household_id, (_("(no household recorded)"), ""))
        row = CoverageRow(name=label, code=unit_name, household_id=household_id)
        row.add(figures)
        rows.append(row)
    return sorted(rows, key=lambda row: (row.household_id is None, row.code, row.name))


def not_sampled(testing_round: Round, scope: Scope, unit: Unit) -> QuerySet[Person]:
    """The door-to-door list: residents under `unit` (inside the round and
    the scope) with no sample in the round, by unit, household and name."""
    roots = coverage_roots(testing_round, scope, unit)
    sampled = Sample.objects.filter(round=testing_round, person=OuterRef("pk"), is_latest=True)
    return (
        Person.objects.filter(is_resident=True)
        .filter(_or(Q(home_unit__path__startswith=root.path) for root in roots))
        .exclude(Exists(sampled))
        .select_related("home_unit", "household")
        # What the list shows (masked numbers come from the clear prefixes):
        # a community's list must stay fast at 20,000 residents.
        .only(
            "name",
            "id_number_prefix",
            "id_number_last4",
            "phone_prefix",
            "phone_last4",
            "has_smartphone",
            "home_unit__name",
            "home_unit__path",
            "household__label",
        )
        .order_by("home_unit__path", "household__label", "name", "id")
    )


# Follow-up lists ----------------------------------------------------------

RETEST = "retest"
RESAMPLE = "resample"


@dataclass
class FollowUpGroup:
    """The people of one community or village to swab again."""

    community: Unit
    samples: list[Sample] = field(default_factory=list)


def follow_up_samples(testing_round: Round, scope: Scope, kind: str) -> QuerySet[Sample]:
    """Latest samples whose tube sends their person back: a positive pool
    (single-tube retest) or an invalid tube (resample), of people living in
    the scope: the retest is organised by the community they live in."""
    if kind == RETEST:
        condition = Q(tube__lab_result__result=Result.POSITIVE, tube__capacity__gt=1)
    else:
        condition = Q(tube__lab_result__result=Result.INVALID)
    samples = Sample.objects.filter(condition, round=testing_round, is_latest=True)
    if not scope.everything:
        samples = samples.filter(scope.q("person__home_unit"))
    return samples.select_related(
        "person", "person__home_unit", "person__household", "tube", "site"
    ).order_by("person__home_unit__path", "person__household__label", "person__name", "id")


def follow_up_groups(samples: list[Sample]) -> list[FollowUpGroup]:
    """Samples grouped by the person's community or village, in tree order."""
    paths = {sample.person.home_unit.path for sample in samples}
    ids = {unit_id for path in paths for unit_id in ancestor_ids(path)}
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in=ids)}
    groups: dict[int, FollowUpGroup] = {}
    for sample in samples:
        chain = [
            (unit_id, units[unit_id].kind) for unit_id in ancestor_ids(sample.person.home_unit.path)
        ]
        community = units[rules.grassroots_of(chain)]
        groups.setdefault(community.pk, FollowUpGroup(community)).samples.append(sample)
    return sorted(groups.values(), key=lambda group: group.community.path)


# Sites ----------------------------------------------------------------------


@dataclass
class SiteRate:
    """A site's sampling pace: samples per clock hour, and its average."""

    site: Site
    total: int = 0
    tubes: int = 0
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None
    hours: list[tuple[datetime.datetime, int]] = field(default_factory=list)

    @property
    def per_hour(self) -> int:
        return round(self.total / len(self.hours)) if self.hours else 0

    @property
    def peak(self) -> int:
        return max((count for _hour, count in self.hours), default=0)


def site_rates(testing_round: Round, scope: Scope) -> list[SiteRate]:
    sites = list(sites_for_scope(scope, testing_round))
    rates = {site.pk: SiteRate(site) for site in sites}
    samples = Sample.objects.filter(site__in=sites)
    for row in (
        samples.annotate(hour=TruncHour("collected_at"))
        .values("site_id", "hour")
        .annotate(n=Count("id"))
        .order_by("site_id", "hour")
    ):
        rates[row["site_id"]].hours.append((row["hour"], row["n"]))
    for row in samples.values("site_id").annotate(
        n=Count("id"), first=Min("collected_at"), last=Max("collected_at")
    ):
        rate = rates[row["site_id"]]
        rate.total, rate.first, rate.last = row["n"], row["first"], row["last"]
    for row in Tube.objects.filter(site__in=sites).values("site_id").annotate(n=Count("id")):
        rates[row["site_id"]].tubes = row["n"]
    return list(rates.values())
