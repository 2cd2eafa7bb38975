"""Benchmark: the vaccination bulletin over a big city, beside a hand-written
SQL query giving the same numbers, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fk_bench_bulletins \
        .venv/bin/python bench/bulletins.py [--people 9000000] [--doses 15000000]

Generates (with INSERT … SELECT generate_series, indexes and foreign keys
dropped during the load and rebuilt after, then VACUUM ANALYZE) a city of 13
county-level units, their townships and villages, PEOPLE residents and DOSES
doses (55% first, 39% second, the rest boosters) given by township health
centres (85% at the person's own township, 5% at another) and county
hospitals (10%), and 18+ targets for every county and township counted from
the residents' birth dates. Then it times, several times each:

- the engine: `compute(VACCINATION, …)` for the 13 county-level units and
  for all townships (Django, the same code the CLI and pages run);
- one hand-written SQL statement per bulletin (GROUP BY the administering
  unit, then the ancestor taken from the path with split_part, targets,
  ROUND and RANK() in SQL), checked to give the same rates, ranks and counts.

`--reuse` keeps the data of a previous run of the same size. Needs
PostgreSQL; the database is emptied first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fk_bench_bulletins"
CUTOFF = "2021-08-12 18:00:00+08"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=9_000_000)
    parser.add_argument("--doses", type=int, default=15_000_000)
    parser.add_argument("--counties", type=int, default=13)
    parser.add_argument("--townships", type=int, default=16, help="per county")
    parser.add_argument("--villages", type=int, default=25, help="per township")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep data of the same size")
    args = parser.parse_args()
    first = round(args.doses * 0.55)
    if first > args.people:
        parser.error("more first doses (55% of --doses) than --people")
    return args


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("bench/bulletins.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def run(cursor, sql: str, params=None, label: str | None = None) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params)
    elapsed = time.perf_counter() - started
    if label:
        print(f"  {label}: {elapsed:.1f} s", flush=True)
    return elapsed


class BulkLoad:
    """Drop a table's secondary indexes and constraints (keeping the primary
    key), load, then rebuild them: the standard way to load millions of rows."""

    def __init__(self, cursor, table: str) -> None:
        self.cursor, self.table = cursor, table

    def __enter__(self) -> BulkLoad:
        c = self.cursor
        c.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c')""",
            [self.table],
        )
        self.constraints = c.fetchall()
        c.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
            [self.table],
        )
        self.indexes = c.fetchall()
        for name, _definition in self.constraints:
            c.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            c.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None:
            return
        c = self.cursor
        c.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in self.indexes:
            run(c, definition, label=f"index {name}")
        for name, definition in self.constraints:
            run(c, f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}', label=name)


def generate(cursor, args: argparse.Namespace) -> None:
    counties, townships, villages = args.counties, args.townships, args.villages
    n_townships = counties * townships
    n_villages = n_townships * villages
    first = round(args.doses * 0.55)
    second = round(args.doses * 0.39)
    booster = args.doses - first - second
    print(
        f"Generating {args.people:,} people in {n_villages:,} villages, {args.doses:,} doses "
        f"({first:,} first, {second:,} second, {booster:,} booster)…",
        flush=True,
    )
    started = time.perf_counter()
    run(
        cursor,
        """TRUNCATE regions_unit, people_person, people_household, people_statusperiod,
           vaccination_dose, vaccination_targetpopulation, bulletins_issuedbulletin,
           core_auditevent, accounts_roleassignment, accounts_devicetoken
           RESTART IDENTITY CASCADE""",
    )
    # Unit ids: city 1; counties 2…; townships from 1000; villages from 100000.
    cursor.execute(
        """INSERT INTO regions_unit (id, name, kind, code, has_official_code, parent_id, path, depth)
           VALUES (1, '周口市', 'city', '411600', true, NULL, '0000000001.', 0)"""
    )
    cursor.execute(
        """INSERT INTO regions_unit (id, name, kind, code, has_official_code, parent_id, path, depth)
           SELECT 1 + c, '县' || c, 'county', 'FK' || lpad((1 + c)::text, 8, '0'), false, 1,
                  '0000000001.' || lpad((1 + c)::text, 10, '0') || '.', 1
           FROM generate_series(1, %s) c""",
        [counties],
    )
    cursor.execute(
        """INSERT INTO regions_unit (id, name, kind, code, has_official_code, parent_id, path, depth)
           SELECT 1000 + t, '县' || (1 + t / %s) || '乡' || (1 + t %% %s), 'township',
                  'FK' || lpad((1000 + t)::text, 8, '0'), false, 2 + t / %s,
                  '0000000001.' || lpad((2 + t / %s)::text, 10, '0') || '.'
                  || lpad((1000 + t)::text, 10, '0') || '.', 2
           FROM generate_series(0, %s - 1) t""",
        [townships, townships, townships, townships, n_townships],
    )
    cursor.execute(
        """INSERT INTO regions_unit (id, name, kind, code, has_official_code, parent_id, path, depth)
           SELECT 100000 + v, '村' || v, 'village', 'FK' || lpad((100000 + v)::text, 8, '0'),
                  false, 1000 + v / %s,
                  '0000000001.' || lpad((2 + v / %s / %s)::text, 10, '0') || '.'
                  || lpad((1000 + v / %s)::text, 10, '0') || '.'
                  || lpad((100000 + v)::text, 10, '0') || '.', 3
           FROM generate_series(0, %s - 1) v""",
        [villages, villages, townships, villages, n_villages],
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('regions_unit', 'id'), (SELECT max(id) FROM regions_unit))"
    )
    # Person p lives in village (p - 1) % n_villages.
    with BulkLoad(cursor, "people_person"):
        run(
            cursor,
            """INSERT INTO people_person (
                 name, id_number_encrypted, id_number_hash, id_number_prefix, id_number_last4,
                 phone_encrypted, phone_hash, phone_prefix, phone_last4, sex, birth_date,
                 home_unit_id, household_id, has_smartphone, is_resident, status, status_since,
                 created_at, updated_at)
               SELECT '居民' || p, decode(md5('e' || p) || md5('f' || p), 'hex'),
                 md5('id' || p)::uuid, '411602', lpad((p %% 10000)::text, 4, '0'),
                 NULL, NULL, '', '', CASE WHEN p %% 2 = 0 THEN 'F' ELSE 'M' END,
                 date '1931-01-01' + ((p * 7919) %% 32000)::int,
                 100000 + (p - 1) %% %s, NULL, p %% 10 <> 0, true, 'normal',
                 now(), now(), now()
               FROM generate_series(1::bigint, %s::bigint) p""",
            [n_villages, args.people],
            label="people inserted",
        )
    cursor.execute("SELECT min(id) FROM people_person")
    first_person = cursor.fetchone()[0]
    # Dose k of a course goes to person slot s = (k * 7919) % people (a permutation),
    # given by the person's own township (85%), the county hospital (10%) or
    # another township (5%), between 08:00 and 18:00 on a day from 1 March.
    # All doses go in in the order they were given, as clinics record them:
    # the table's physical order then follows time, as in production.
    course = """
        SELECT %(first_person)s + s AS person_id, {number} AS dose_number, k,
          timestamptz '2021-03-01 08:00:00+08'
            + ({offset} + (k * 104729) %% {days}) * interval '1 day'
            + ((k * 7907) %% 36000) * interval '1 second' AS administered_at,
          CASE WHEN k %% 20 < 17 THEN 1000 + (s %% %(villages)s) / %(per_township)s
               WHEN k %% 20 < 19 THEN 2 + (s %% %(villages)s) / %(per_township)s / %(per_county)s
               ELSE 1000 + (k %% %(townships)s) END AS unit_id
        FROM generate_series(0::bigint, {count}::bigint - 1) k,
             LATERAL (SELECT (k * 7919) %% %(people)s AS s) slot"""
    courses = " UNION ALL ".join(
        course.format(number=number, count=count, offset=offset, days=days)
        for number, count, offset, days in (
            (1, first, 0, 172),
            (2, second, 28, 150),
            (3, booster, 160, 60),
        )
    )
    dose_sql = f"""
        INSERT INTO vaccination_dose (
          person_id, dose_number, vaccine, batch, administered_at, unit_id, site,
          recorded_by, client_uuid, created_at, updated_at)
        SELECT person_id, dose_number,
          CASE WHEN k %% 3 = 0 THEN '新冠病毒灭活疫苗(Vero细胞)/北京生物'
               WHEN k %% 3 = 1 THEN '新冠病毒灭活疫苗(Vero细胞)/科兴'
               ELSE '重组新冠病毒蛋白疫苗/智飞' END,
          '2021' || lpad((k %% 997)::text, 6, '0'), administered_at, unit_id,
          '', 'bench', NULL, now(), now()
        FROM ({courses}) doses
        ORDER BY administered_at"""
    params = {
        "first_person": first_person,
        "villages": n_villages,
        "per_township": villages,
        "per_county": townships,
        "townships": n_townships,
        "people": args.people,
    }
    with BulkLoad(cursor, "vaccination_dose"):
        cursor.execute("SET work_mem = '256MB'")
        run(cursor, dose_sql, params, label=f"{args.doses:,} doses inserted in time order")
    # 18+ targets: adults on the cut-off date among each unit's residents.
    run(
        cursor,
        """INSERT INTO vaccination_targetpopulation (unit_id, "group", population, valid_from,
             created_at, updated_at)
           SELECT u.id, '18+', count(*), date '2021-01-01', now(), now()
           FROM people_person p JOIN regions_unit v ON v.id = p.home_unit_id
           JOIN regions_unit u ON v.path LIKE u.path || '%%' AND u.kind IN ('county', 'township')
           WHERE p.birth_date <= date '2003-08-12'
           GROUP BY u.id""",
        label="targets",
    )
    cursor.connection.commit()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for table in (
        "regions_unit",
        "people_person",
        "vaccination_dose",
        "vaccination_targetpopulation",
    ):
        run(cursor, f"VACUUM ANALYZE {table}", label=f"vacuum analyze {table}")
    print(f"Generated in {time.perf_counter() - started:.0f} s", flush=True)


BASELINE = """
WITH per_unit AS (
  SELECT unit_id, count(*) AS total,
         count(*) FILTER (WHERE administered_at > timestamptz %(cutoff)s - interval '24 hours') AS day
  FROM vaccination_dose
  WHERE dose_number = 1 AND administered_at <= timestamptz %(cutoff)s
  GROUP BY unit_id
), per_ranked AS (
  SELECT NULLIF(split_part(u.path, '.', %(part)s), '')::bigint AS ranked_id,
         sum(p.total) AS total, sum(p.day) AS day
  FROM per_unit p JOIN regions_unit u ON u.id = p.unit_id
  GROUP BY 1
)
SELECT r.code, round(100.0 * coalesce(f.total, 0) / t.population, 2)::text AS rate,
       rank() OVER (ORDER BY round(100.0 * coalesce(f.total, 0) / t.population, 2) DESC),
       coalesce(f.day, 0)
FROM regions_unit r
LEFT JOIN per_ranked f ON f.ranked_id = r.id
JOIN LATERAL (SELECT population FROM vaccination_targetpopulation g
              WHERE g.unit_id = r.id AND g."group" = '18+'
                AND g.valid_from <= (timestamptz %(cutoff)s AT TIME ZONE 'Asia/Shanghai')::date
              ORDER BY g.valid_from DESC LIMIT 1) t ON true
WHERE r.path LIKE '0000000001.%%' AND r.depth = %(depth)s
"""


def timed(first, second, repeat: int) -> tuple[list[float], object, list[float], object]:
    """Times two functions alternately (after one warm-up call each), so that
    both see the same load on a shared machine."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    for _ in range(repeat):
        for index, function in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = function()
            times[index].append(time.perf_counter() - started)
    return times[0], results[0], times[1], results[1]


def main() -> None:
    args = parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from fangkong.bulletins.catalog import VACCINATION
    from fangkong.bulletins.engine import compute
    from fangkong.bulletins.rules import parse_cutoff
    from fangkong.regions.models import Unit

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vaccination_dose")
        existing_doses = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM people_person")
        existing_people = cursor.fetchone()[0]
        if args.reuse and (existing_doses, existing_people) == (args.doses, args.people):
            print(f"Reusing {existing_people:,} people and {existing_doses:,} doses")
        else:
            generate(cursor, args)
        cursor.execute(
            """SELECT pg_size_pretty(pg_total_relation_size('vaccination_dose')),
                      pg_size_pretty(pg_relation_size('dose_1_unit_time')),
                      (SELECT count(DISTINCT unit_id) FROM vaccination_dose WHERE dose_number = 1)"""
        )
        size, index_size, giving_units = cursor.fetchone()
        print(
            f"vaccination_dose with indexes: {size}; first-dose index: {index_size}; "
            f"{giving_units} units gave first doses"
        )

    city = Unit.objects.get(parent__isnull=True)
    as_of = parse_cutoff(CUTOFF.replace("+08", "+08:00"))

    def baseline(depth: int):
        def query():
            with connection.cursor() as cursor:
                cursor.execute(BASELINE, {"cutoff": CUTOFF, "part": depth + 1, "depth": depth})
                return {code: (rate, rank, day) for code, rate, rank, day in cursor.fetchall()}

        return query

    def engine(level: str):
        def bulletin():
            table = compute(VACCINATION, as_of=as_of, under=city, level=level)
            return {
                row["code"]: (row["first_dose_rate"], row["rank"], row["first_doses_day"])
                for row in table.rows
            }

        return bulletin

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nVaccination bulletin at {CUTOFF}, best and median of {args.repeat}, alternating, after a warm-up "
        f"({os.cpu_count()} CPUs, load average {load}):"
    )
    print(f"{'bulletin':<28}{'rows':>6}{'engine':>16}{'hand-written SQL':>20}{'ratio':>8}  same")
    failed = False
    for label, level, depth in (
        ("13 county-level units", "children", 1),
        ("all townships", "township", 2),
    ):
        engine_times, engine_rows, sql_times, sql_rows = timed(
            engine(level), baseline(depth), args.repeat
        )
        same = engine_rows == sql_rows
        failed |= not same
        ratio = min(engine_times) / min(sql_times)
        print(
            f"{label:<28}{len(engine_rows):>6}"
            f"{min(engine_times):>8.3f} /{statistics.median(engine_times):>6.3f} s"
            f"{min(sql_times):>12.3f} /{statistics.median(sql_times):>6.3f} s"
            f"{ratio:>7.2f}×  {'yes' if same else 'NO'}"
        )
        if not same:
            for code in sorted(set(engine_rows) | set(sql_rows)):
                if engine_rows.get(code) != sql_rows.get(code):
                    print(f"    {code}: engine {engine_rows.get(code)} sql {sql_rows.get(code)}")
    if failed:
        sys.exit("the engine and the hand-written SQL disagree")


if __name__ == "__main__":
    main()
