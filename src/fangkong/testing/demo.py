"""Demo testing rounds from the source page: on 10 August 2021 城南街道 ran
mass testing at the 联盟新城 testing point (10-in-1 pools); a second round
covers 示范区. Most residents are swabbed, most tubes have results, one
pool of 联盟新城 is positive (its people wait for single-tube retests) and
one tube is invalid (its people must be swabbed again).

Samples are created in bulk (the demo is a fixture, not a sampler: one
service call per swab would make `make run` slow); results go through the
real lab import, so the demo exercises it and its status changes."""

from __future__ import annotations

import csv
import datetime
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from fangkong.core import audit
from fangkong.core.demo_support import DemoContext
from fangkong.core.scoping import Scope
from fangkong.people.models import Person
from fangkong.testing import services
from fangkong.testing.models import Round, Sample, Site, Tube

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLED_SHARE = 0.93  # the rest are on the door-to-door list
RESULTED_SHARE = 0.9  # the last tubes of each site are still at the lab
ROUNDS = [
    # (name, units, start, sites: (name, unit, pool size or None))
    (
        "8月10日全员核酸检测",
        ["城南街道"],
        datetime.datetime(2021, 8, 10, 6, tzinfo=SHANGHAI),
        [("联盟新城核酸检测点", "联盟新城", None)],
    ),
    (
        "8月11日示范区全员核酸检测",
        ["示范区"],
        datetime.datetime(2021, 8, 11, 6, tzinfo=SHANGHAI),
        [
            ("盛和家园核酸检测点", "盛和家园", None),
            ("书香门第核酸检测点", "书香门第", None),
            ("张埠口村核酸检测点", "张埠口村", 5),
        ],
    ),
]


def _site_for(person_path: str, sites: list[Site]) -> Site:
    """The site of the person's compound or village, else the round's first."""
    for site in sites:
        if person_path.startswith(site.unit.path):
            return site
    return sites[0]


def _swab_round(context: DemoContext, testing_round: Round, sites: list[Site]) -> list[Tube]:
    """Tubes filled household by household at each site, 07:00 to 18:00."""
    scope = Scope.of_units(testing_round.units.all())
    residents = list(
        Person.objects.for_scope(scope)
        .filter(is_resident=True)
        .order_by("home_unit__path", "household__label", "id")
        .values_list("pk", "home_unit__path")
    )
    chosen = [row for row in residents if context.rng.random() < SAMPLED_SHARE]
    by_site: dict[int, list[int]] = {site.pk: [] for site in sites}
    for person_id, path in chosen:
        by_site[_site_for(path, sites).pk].append(person_id)
    tubes: list[Tube] = []
    samples: list[Sample] = []
    first_swab = testing_round.starts_at + datetime.timedelta(hours=1)
    for site in sites:
        people = by_site[site.pk]
        size = site.tube_size
        seconds = 11 * 3600 / max(1, len(people))
        site_tubes = [
            Tube(
                round=testing_round,
                site=site,
                unit_id=site.unit_id,
                barcode=f"ZK{testing_round.starts_at:%m%d}{site.pk:02d}{number:05d}",
                capacity=size,
                sample_count=len(people[start : start + size]),
                opened_at=first_swab + datetime.timedelta(seconds=start * seconds),
                opened_by="demo",
                sealed_at=first_swab + datetime.timedelta(seconds=(start + size) * seconds),
            )
            for number, start in enumerate(range(0, len(people), size), start=1)
        ]
        site_tubes = Tube.objects.bulk_create(site_tubes)
        tubes.extend(site_tubes)
        for index, person_id in enumerate(people):
            samples.append(
                Sample(
                    round=testing_round,
                    site=site,
                    tube=site_tubes[index // size],
                    person_id=person_id,
                    unit_id=site.unit_id,
                    collected_at=first_swab + datetime.timedelta(seconds=index * seconds),
                    collected_by="demo",
                )
            )
    Sample.objects.bulk_create(samples, batch_size=2000)
    audit.record(context.actor, "testing.demo_samples", target=testing_round, samples=len(samples))
    return tubes


def _lab_results(
    context: DemoContext, testing_round: Round, tubes: list[Tube], *, positive: bool
) -> None:
    """Results for most tubes through the real import; one positive pool
    (the first round) and one invalid tube."""
    resulted = [tube for tube in tubes if context.rng.random() < RESULTED_SHARE]
    pooled = [tube for tube in resulted if tube.capacity > 1 and tube.sample_count > 1]
    special = context.rng.sample(pooled, min(len(pooled), 2))
    verdicts = {tube.pk: "negative" for tube in resulted}
    if special:
        verdicts[special[0].pk] = "positive" if positive else "negative"
    if len(special) > 1:
        verdicts[special[1].pk] = "invalid"
    reported = testing_round.starts_at + datetime.timedelta(hours=18)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["采样管编码", "检测结果", "CT值", "报告时间", "检测机构"])
            labels = {"negative": "阴性", "positive": "阳性", "invalid": "无效"}
            for tube in resulted:
                verdict = verdicts[tube.pk]
                ct = f"{context.rng.uniform(24, 33):.2f}" if verdict == "positive" else ""
                writer.writerow(
                    [
                        tube.barcode,
                        labels[verdict],
                        ct,
                        f"{reported:%Y-%m-%d %H:%M}",
                        "周口市疾控中心",
                    ]
                )
        outcome = services.import_results(context.actor, testing_round, path)
    if not outcome.applied:
        raise RuntimeError(f"demo results were rejected: {outcome.errors[:3]}")
    context.log(
        f"  {testing_round.name}: {len(tubes)} tubes, {outcome.created} results, "
        f"{outcome.to_retest} people pending retest"
    )


def build(context: DemoContext) -> None:
    for index, (name, unit_names, starts_at, site_specs) in enumerate(ROUNDS):
        testing_round = services.create_round(
            context.actor,
            name=name,
            units=[context.unit(unit_name) for unit_name in unit_names],
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=48),
            pool_size=10,
        )
        sites = [
            services.create_site(
                context.actor,
                round=testing_round,
                unit=context.unit(unit_name),
                name=site_name,
                pool_size=pool_size,
            )
            for site_name, unit_name, pool_size in site_specs
        ]
        context.extra.setdefault("testing_rounds", []).append(testing_round)
        tubes = _swab_round(context, testing_round, sites)
        if tubes:
            _lab_results(context, testing_round, tubes, positive=index == 0)
