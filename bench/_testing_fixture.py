"""The mass-testing benchmark's data set: its sizes, a city of people in
households with one round, a site per community and sampled tubes, loaded
with set-based SQL (fake hashes and ciphertexts) while the indexes are
dropped, and kept between runs of the same size. Also the clock and the log
line that bench/testing.py reports every phase with, since the fixture load
reports its own steps the same way."""

from __future__ import annotations

import argparse
import math
import time

FIXTURE_TABLES = ["people_household", "people_person", "testing_tube", "testing_sample"]


class Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self.started = now - self.started, now
        return elapsed


def log(message: str) -> None:
    print(message, flush=True)


class Sizes:
    def __init__(self, args: argparse.Namespace) -> None:
        self.tubes = args.tubes
        self.pool = args.pool_size
        self.community = args.community_size
        self.sampled_per_community = int(args.community_size * (1 - args.unsampled_share))
        self.samples = self.tubes * self.pool
        self.communities = math.ceil(self.samples / self.sampled_per_community)
        self.people = self.communities * self.community
        self.communities_per_city = max(1, args.city_size // args.community_size)
        self.cities = math.ceil(self.communities / self.communities_per_city)

    def key(self) -> str:
        return f"{self.tubes}/{self.pool}/{self.community}/{self.sampled_per_community}/{self.communities_per_city}"


def _cursor():
    from django.db import connection

    return connection.cursor()


def fixture_key() -> str | None:
    with _cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_fixture (key text)")
        cursor.execute("SELECT key FROM bench_fixture")
        row = cursor.fetchone()
    return row[0] if row else None


def _without_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the secondary indexes and unique constraints of `tables`;
    return the statements that rebuild them."""
    rebuild: list[str] = []
    for table in tables:
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'u'""",
            [table],
        )
        for name, definition in cursor.fetchall():
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename = %s AND NOT EXISTS (
                 SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [table],
        )
        for name, definition in cursor.fetchall():
            rebuild.append(definition)
            cursor.execute(f'DROP INDEX "{name}"')
    return rebuild


def build_fixture(sizes: Sizes) -> None:
    from django.db import transaction

    from fangkong.core.audit import Actor
    from fangkong.regions.services import create_unit
    from fangkong.testing import services

    actor = Actor.system("bench")
    clock = Clock()
    log(
        f"fixture: {sizes.people:,} people in {sizes.communities} communities of "
        f"{sizes.community:,} ({sizes.cities} cities of {sizes.communities_per_city}), "
        f"{sizes.samples:,} samples in {sizes.tubes:,} tubes"
    )
    with _cursor() as cursor:
        # --rebuild on a new database comes here without fixture_key().
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_fixture (key text)")
        cursor.execute(
            "TRUNCATE bench_fixture, testing_labresult, testing_sample, testing_tube, "
            "testing_site, testing_round_units, testing_round, people_statusperiod, "
            "people_person, people_household, accounts_devicetoken, "
            "accounts_roleassignment, core_auditevent, regions_unit RESTART IDENTITY CASCADE"
        )
    with transaction.atomic():
        province = create_unit(actor, name="河南省（基准）", kind="other", code="BENCH")
        communities = []
        for city_number in range(sizes.cities):
            city = create_unit(
                actor, name=f"基准市{city_number + 1:02d}", kind="city", parent=province
            )
            first = city_number * sizes.communities_per_city
            for number in range(first, min(first + sizes.communities_per_city, sizes.communities)):
                communities.append(
                    create_unit(actor, name=f"社区{number + 1:04d}", kind="community", parent=city)
                )
        now = time.time()
        import datetime

        from django.utils import timezone

        starts = timezone.now() - datetime.timedelta(days=1)
        testing_round = services.create_round(
            actor,
            name="基准全员核酸检测",
            units=[province],
            starts_at=starts,
            ends_at=starts + datetime.timedelta(days=3),
            pool_size=sizes.pool,
        )
        sites = [
            services.create_site(actor, round=testing_round, unit=unit, name=f"{unit.name}采样点")
            for unit in communities
        ]
    log(f"  units, round, {len(sites)} sites: {clock.lap():.1f} s")
    unit_ids = "ARRAY[" + ",".join(str(unit.pk) for unit in communities) + "]::bigint[]"
    site_ids = "ARRAY[" + ",".join(str(site.pk) for site in sites) + "]::bigint[]"
    site_units = unit_ids
    collected = "now() - interval '20 hours' + (k % 36000) * interval '1 second'"
    with transaction.atomic(), _cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        rebuild = _without_indexes(cursor, FIXTURE_TABLES)
        cursor.execute(
            f"""INSERT INTO people_household (id, unit_id, label, created_at, updated_at)
                SELECT h, ({unit_ids})[((h - 1) * 4) / {sizes.community} + 1],
                       (((h - 1) % ({sizes.community} / 4)) / 40 + 1) || '号楼' ||
                       ((h - 1) % 40 + 1) || '室', now(), now()
                FROM generate_series(1, {sizes.people // 4}) AS h"""
        )
        log(f"  {sizes.people // 4:,} households: {clock.lap():.1f} s")
        cursor.execute(
            f"""INSERT INTO people_person (id, name, id_number_encrypted, id_number_hash,
                  id_number_prefix, id_number_last4, phone_encrypted, phone_hash, phone_prefix,
                  phone_last4, sex, birth_date, home_unit_id, household_id, has_smartphone,
                  is_resident, status, status_since, created_at, updated_at)
                SELECT i, '居民' || i, decode(md5(i::text), 'hex'), md5(i::text)::uuid, '411602',
                  lpad((i % 10000)::text, 4, '0'), NULL, NULL, '', '',
                  CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END, date '1940-01-01' + (i % 29000),
                  ({unit_ids})[(i - 1) / {sizes.community} + 1], (i - 1) / 4 + 1, true, true,
                  'normal', now(), now(), now()
                FROM generate_series(1, {sizes.people}) AS i"""
        )
        log(f"  {sizes.people:,} people: {clock.lap():.1f} s")
        # Tube t holds the sampled people k = t*pool ... t*pool + pool - 1; the
        # k-th sampled person is person (k / spc) * community + k % spc + 1.
        spc = sizes.sampled_per_community
        cursor.execute(
            f"""INSERT INTO testing_tube (id, round_id, site_id, unit_id, barcode, capacity,
                  sample_count, opened_at, opened_by, sealed_at, received_at)
                SELECT t + 1, {testing_round.pk}, ({site_ids})[(t * {sizes.pool}) / {spc} + 1],
                  ({site_units})[(t * {sizes.pool}) / {spc} + 1], 'B' || lpad(t::text, 9, '0'),
                  {sizes.pool}, {sizes.pool}, now() - interval '20 hours', 'bench', now(), now()
                FROM generate_series(0, {sizes.tubes - 1}) AS t"""
        )
        log(f"  {sizes.tubes:,} tubes: {clock.lap():.1f} s")
        cursor.execute(
            f"""INSERT INTO testing_sample (id, client_uuid, round_id, site_id, tube_id,
                  person_id, unit_id, collected_at, collected_by, kind, reason, is_latest,
                  recorded_at)
                SELECT k + 1, md5('s' || k)::uuid, {testing_round.pk},
                  ({site_ids})[k / {spc} + 1], k / {sizes.pool} + 1,
                  (k / {spc}) * {sizes.community} + k % {spc} + 1,
                  ({site_units})[k / {spc} + 1], {collected}, 'bench', 'first', '', true, now()
                FROM generate_series(0, {sizes.samples - 1}) AS k"""
        )
        log(f"  {sizes.samples:,} samples: {clock.lap():.1f} s")
        for statement in rebuild:
            cursor.execute(statement)
        log(f"  {len(rebuild)} indexes rebuilt: {clock.lap():.1f} s")
        for table in FIXTURE_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("INSERT INTO bench_fixture (key) VALUES (%s)", [sizes.key()])
    from django.db import connection

    with connection.cursor() as cursor:
        for table in [*FIXTURE_TABLES, "regions_unit", "testing_site"]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"  vacuum analyze: {clock.lap():.1f} s (fixture built in {time.time() - now:.0f} s)")


def reset_fixture() -> None:
    """Undo what a previous run added: results, API samples and tubes,
    status changes, audit events."""
    with _cursor() as cursor:
        cursor.execute("TRUNCATE testing_labresult, people_statusperiod, core_auditevent")
        cursor.execute("DELETE FROM testing_sample WHERE collected_by <> 'bench'")
        cursor.execute("DELETE FROM testing_tube WHERE opened_by <> 'bench'")
        cursor.execute("UPDATE people_person SET status = 'normal' WHERE status <> 'normal'")
        cursor.execute("DELETE FROM accounts_devicetoken")
