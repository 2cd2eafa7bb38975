"""Mass testing on PostgreSQL: sampling through the API, a lab import of a
million tube results beside a plain COPY of the same file, and the
not-yet-sampled list of a 20,000-resident community in a 1,000,000-resident
city.

    python bench/testing.py                    # the issue's sizes (1,000,000 tubes)
    python bench/testing.py --tubes 100000     # a smaller run
    DATABASE_URL=postgres://.../other python bench/testing.py

The fixture (people, households, units, one round with a site per
community, tubes and samples; see bench/_testing_fixture.py) is loaded with
set-based SQL with indexes dropped and rebuilt afterwards (fake hashes and
ciphertexts), and kept between runs of the same size; each run first undoes
what the previous run added (results, API samples, status changes).
Targets: the import under 60 s; the not-sampled list under 200 ms.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import _common
from _common import REPO
from _testing_fixture import Clock, Sizes, build_fixture, fixture_key, log, reset_fixture

sys.path.insert(0, str(REPO / "src"))
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/fk_bench_testing"
BENCH_KEY = "YmVuY2gtb25seS1kYXRhLWtleS1ub3QtZm9yLXVzZSEh"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tubes", type=int, default=1_000_000, help="tubes with results")
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--community-size", type=int, default=20_000)
    parser.add_argument("--city-size", type=int, default=1_000_000)
    parser.add_argument(
        "--unsampled-share", type=float, default=0.05, help="residents not yet sampled"
    )
    parser.add_argument("--positive-pools", type=int, default=20)
    parser.add_argument("--api-samples", type=int, default=4000)
    parser.add_argument("--api-clients", type=int, default=4)
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--list-runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true", help="reload the fixture")
    parser.add_argument("--skip-reimport", action="store_true")
    return parser.parse_args()


def setup_django() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    if not url.startswith("postgres"):
        sys.exit("bench/testing.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    # Forced on, where _common only defaults it: a DEBUG left empty in the
    # shell would make the settings demand production keys.
    os.environ["DEBUG"] = "1"
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    # Created when missing, never dropped (unlike _common.recreate_database):
    # the fixture is kept between runs of the same size.
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    _common.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


# 1. Sampling through the API -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _work(sizes: Sizes, clients: int, per_client: int, first_community: int):
    """Per client: (site id, [person ids]) from a community's unsampled residents."""
    from fangkong.testing.models import Site

    sites = list(Site.objects.order_by("pk").values_list("pk", flat=True))
    work = []
    for client in range(clients):
        community = first_community + client
        first_person = community * sizes.community + sizes.sampled_per_community + 1
        free = sizes.community - sizes.sampled_per_community
        if per_client > free:
            sys.exit(f"--api-samples too large: {free} unsampled people per community")
        work.append((sites[community], list(range(first_person, first_person + per_client))))
    return work


def bench_api(args: argparse.Namespace, sizes: Sizes, url: str) -> None:
    import datetime

    import psycopg
    from django.utils import timezone

    from fangkong.accounts.services import create_device_token
    from fangkong.core.audit import Actor
    from fangkong.regions.models import Unit
    from fangkong.testing.models import Round

    clients = args.api_clients
    per_client = args.api_samples // clients
    total = per_client * clients
    if sizes.communities < 2 * clients + 3:
        log("api: skipped (too few communities for this many clients)")
        return
    _device, token = create_device_token(
        Actor.system("bench"), unit=Unit.objects.get(code="BENCH"), name="bench scanner"
    )
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "FANGKONG_DATA_KEY": BENCH_KEY,
        # 32 bytes, base64: the production server refuses to start without it.
        "FANGKONG_PASS_CODE_KEY": "YmVuY2gtb25seS1wYXNzLWNvZGUta2V5LW5vdC11c2U=",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fangkong.wsgi:application", "-w",
         str(args.api_workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env, cwd=REPO,
    )  # fmt: skip
    try:
        for _attempt in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        collected = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
        work = _work(sizes, clients, per_client, 1)
        failures: list[str] = []

        def run_client(number: int, site_id: int, people: list[int]) -> None:
            for index, person_id in enumerate(people):
                body = json.dumps(
                    {
                        "client_uuid": str(uuid.uuid4()),
                        "site_id": site_id,
                        "tube_barcode": f"API{number}-{index // sizes.pool:06d}",
                        "person_id": person_id,
                        "collected_at": collected,
                    }
                )
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request(
                    "POST",
                    "/api/v1/testing/samples",
                    body,
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                payload = response.read()
                conn.close()
                if response.status != 201:
                    failures.append(f"{response.status} {payload[:200]!r}")

        # Warm up each worker (imports, first queries) on a spare community.
        warm_site, warm_people = _work(sizes, 1, args.api_workers * 4, clients + 1)[0]
        run_client(99, warm_site, warm_people)
        threads = [
            threading.Thread(target=run_client, args=(number, site_id, people))
            for number, (site_id, people) in enumerate(work)
        ]
        clock = Clock()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = clock.lap()
        if failures:
            sys.exit(f"api: {len(failures)} requests failed, e.g. {failures[:2]}")
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Baseline: the same rows with raw psycopg, one transaction per sample
    # (lock or create the tube, insert the sample, count it), same concurrency.
    round_id = Round.objects.get().pk
    base_work = _work(sizes, clients, per_client, clients + 2)

    def raw_client(number: int, site_id: int, people: list[int]) -> None:
        with psycopg.connect(url) as conn:
            unit_id = conn.execute(
                "SELECT unit_id FROM testing_site WHERE id = %s", [site_id]
            ).fetchone()[0]
            for index, person_id in enumerate(people):
                barcode = f"RAW{number}-{index // sizes.pool:06d}"
                with conn.transaction():
                    tube = conn.execute(
                        "SELECT id, sample_count FROM testing_tube "
                        "WHERE round_id = %s AND barcode = %s FOR UPDATE",
                        [round_id, barcode],
                    ).fetchone()
                    if tube is None:
                        tube = conn.execute(
                            "INSERT INTO testing_tube (round_id, site_id, unit_id, barcode, "
                            "capacity, sample_count, opened_at, opened_by) VALUES "
                            "(%s, %s, %s, %s, %s, 0, now(), 'raw') RETURNING id, sample_count",
                            [round_id, site_id, unit_id, barcode, sizes.pool],
                        ).fetchone()
                    conn.execute(
                        "INSERT INTO testing_sample (client_uuid, round_id, site_id, tube_id, "
                        "person_id, unit_id, collected_at, collected_by, kind, reason, "
                        "is_latest, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, now(), 'raw', "
                        "'first', '', true, now())",
                        [uuid.uuid4(), round_id, site_id, tube[0], person_id, unit_id],
                    )
                    conn.execute(
                        "UPDATE testing_tube SET sample_count = sample_count + 1 WHERE id = %s",
                        [tube[0]],
                    )

    threads = [
        threading.Thread(target=raw_client, args=(number, site_id, people))
        for number, (site_id, people) in enumerate(base_work)
    ]
    clock = Clock()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    raw = clock.lap()
    log(
        f"api sampling: {total:,} POST /api/v1/testing/samples from {clients} clients, "
        f"{args.api_workers} gunicorn workers: {elapsed:.1f} s = {total / elapsed:,.0f} samples/s"
    )
    wall, cpu = _in_process(sizes, token, 2 * clients + 2, min(200, per_client))
    log(f"  one request at a time in-process: {wall:.1f} ms wall, {cpu:.1f} ms CPU per sample")
    log(
        f"  baseline raw psycopg (lock tube, insert, count; {clients} connections): "
        f"{raw:.1f} s = {total / raw:,.0f} samples/s; API/raw = {raw / elapsed:.2f}"
    )


def _in_process(sizes: Sizes, token: str, community: int, count: int) -> tuple[float, float]:
    """Per-request cost without HTTP: Django's test client, one thread."""
    import datetime

    from django.test import Client
    from django.utils import timezone

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    site_id, people = _work(sizes, 1, count, community)[0]
    collected = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    wall, cpu = time.perf_counter(), time.process_time()
    for index, person_id in enumerate(people):
        body = {
            "client_uuid": str(uuid.uuid4()),
            "site_id": site_id,
            "tube_barcode": f"INP-{index // sizes.pool:06d}",
            "person_id": person_id,
            "collected_at": collected,
        }
        response = client.post(
            "/api/v1/testing/samples", json.dumps(body), content_type="application/json"
        )
        if response.status_code != 201:
            sys.exit(f"in-process sample failed: {response.content[:200]!r}")
    return (
        (time.perf_counter() - wall) * 1000 / count,
        (time.process_time() - cpu) * 1000 / count,
    )


# 2. The lab import -------------------------------------------------------------


def write_results_file(sizes: Sizes, path: Path, positive_pools: int) -> None:
    step = max(1, sizes.tubes // max(1, positive_pools))
    positives = set(range(0, sizes.tubes, step)) if positive_pools else set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["采样管编码", "检测结果", "CT值", "报告时间", "检测机构"])
        for tube in range(sizes.tubes):
            if tube in positives:
                row = [f"B{tube:09d}", "阳性", "28.50"]
            elif tube % 9973 == 17:
                row = [f"B{tube:09d}", "无效", ""]
            else:
                row = [f"B{tube:09d}", "阴性", ""]
            writer.writerow([*row, f"2021-08-10 {18 + tube % 5}:{tube % 60:02d}", "周口市疾控中心"])


def bench_import(args: argparse.Namespace, sizes: Sizes, url: str) -> None:
    import psycopg

    from fangkong.core.audit import Actor
    from fangkong.testing import services
    from fangkong.testing.models import Round

    path = REPO / "bench" / "out" / f"results-{sizes.tubes}.csv"
    if not path.exists():
        clock = Clock()
        write_results_file(sizes, path, args.positive_pools)
        log(f"results file {path.name}: {clock.lap():.1f} s to write")
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TEMP TABLE plain_copy (tube_barcode text, result text, ct_value text, "
            "reported_at text, lab text)"
        )
        clock = Clock()
        with (
            path.open("rb") as stream,
            conn.cursor().copy("COPY plain_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := stream.read(1 << 20):
                copy.write(chunk)
        copy_seconds = clock.lap()
        conn.rollback()
    testing_round = Round.objects.get()
    clock = Clock()
    outcome = services.import_results(Actor.system("bench"), testing_round, path)
    seconds = clock.lap()
    if not outcome.applied or outcome.errors:
        sys.exit(f"import failed: {outcome.errors[:3]}")
    rows = outcome.total_rows
    log(
        f"results import: {rows:,} tube results ({rows * sizes.pool:,} people) in "
        f"{seconds:.1f} s = {rows / seconds:,.0f} rows/s (target: under 60 s); "
        f"{outcome.positive} positive pools -> {outcome.to_retest} people pending retest"
    )
    log(
        f"  baseline plain COPY of the same file into a text table: {copy_seconds:.1f} s = "
        f"{rows / copy_seconds:,.0f} rows/s; import/COPY = {seconds / copy_seconds:.1f}x"
    )
    if not args.skip_reimport:
        clock = Clock()
        again = services.import_results(Actor.system("bench"), testing_round, path)
        log(
            f"  re-import of the same file: {clock.lap():.1f} s, created={again.created} "
            f"unchanged={again.unchanged:,} (changes nothing)"
        )


# 3. The not-yet-sampled list -------------------------------------------------------


def bench_not_sampled(args: argparse.Namespace, sizes: Sizes) -> None:
    from django.db import connection

    from fangkong.core.scoping import Scope
    from fangkong.regions.models import Unit
    from fangkong.testing import queries
    from fangkong.testing.models import Round

    testing_round = Round.objects.get()
    community = Unit.objects.get(name="社区0001")
    city = community.parent
    scope = Scope.of_units([community])  # the community cadre's
    residents = sizes.community
    city_people = min(sizes.communities, sizes.communities_per_city) * sizes.community

    def page_query() -> int:
        return sum(
            len(person.household.label) > 0
            for person in queries.not_sampled(testing_round, scope, community)
        )

    timings = []
    for _run in range(args.list_runs):
        clock = Clock()
        found = page_query()
        timings.append(clock.lap() * 1000)

    def raw_query() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT p.id, p.name, p.id_number_prefix, p.id_number_last4, h.label
                   FROM people_person p JOIN regions_unit u ON u.id = p.home_unit_id
                   LEFT JOIN people_household h ON h.id = p.household_id
                   WHERE p.is_resident AND u.path LIKE %s AND NOT EXISTS (
                     SELECT 1 FROM testing_sample s WHERE s.round_id = %s
                       AND s.person_id = p.id AND s.is_latest)""",
                [community.path + "%", testing_round.pk],
            )
            return len(cursor.fetchall())

    raw = []
    for _run in range(args.list_runs):
        clock = Clock()
        raw_found = raw_query()
        raw.append(clock.lap() * 1000)
    assert raw_found == found
    log(
        f"not-sampled list: {found:,} of {residents:,} residents of {community.name} "
        f"in {city.name} ({city_people:,} residents; {sizes.people:,} in the database): "
        f"median {statistics.median(timings):.0f} ms, p95 {sorted(timings)[int(len(timings) * 0.95) - 1]:.0f} ms "
        f"(target: under 200 ms)"
    )
    log(
        f"  baseline plain SQL (same rows, no ORM objects): median {statistics.median(raw):.0f} ms; "
        f"page/SQL = {statistics.median(timings) / statistics.median(raw):.1f}x"
    )
    clock = Clock()
    rows = queries.unit_coverage(testing_round, Scope.all(), city, depth=1)
    log(
        f"  coverage of {city.name} and its {len(rows) - 1} communities "
        f"({rows[0].expected:,} residents): {clock.lap():.1f} s"
    )


def main() -> None:
    args = parse_args()
    url = setup_django()
    sizes = Sizes(args)
    started = time.perf_counter()
    import shutil

    log(f"database {url}; disk free {shutil.disk_usage(REPO).free / 1e9:.0f} GB")
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.rebuild or fixture_key() != sizes.key():
        build_fixture(sizes)
    else:
        log(f"fixture: reusing {sizes.people:,} people, {sizes.tubes:,} tubes (--rebuild reloads)")
    reset_fixture()
    bench_not_sampled(args, sizes)
    bench_import(args, sizes, url)
    bench_api(args, sizes, url)
    log(
        f"done in {time.perf_counter() - started:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )


if __name__ == "__main__":
    main()
