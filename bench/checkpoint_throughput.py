"""Gate throughput: how many entries per second the checkpoint API takes.

Serves the app with gunicorn (production settings, DEBUG off) on PostgreSQL
and drives it with wrk (a separate process, loopback only) posting entries
with valid pass codes. In the same run, at the same concurrency, it measures
the baselines and prints the ratios:

  * pass-code verification (`passcodes.read`) against the raw Ed25519
    verify of `cryptography`, on one core;
  * plain psycopg INSERT+COMMIT of equivalent rows into the same table;
  * a bare Django view doing only that INSERT, under the same server;
  * single entries (POST /api/v1/checkpoints/{id}/entries): entries/s,
    p50/p99 at full load, and p50/p99 at a fixed rate (300/s by default);
  * the batch endpoint with 500 entries per request.

Every phase is bounded in time (--duration) and in count (--max-requests);
each phase checks that the table grew by exactly the accepted responses.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fk_checkpoints \\
        .venv/bin/python bench/checkpoint_throughput.py

It uses DATABASE_URL's server, not its database: its own database
(fk_bench_checkpoints, --database) is dropped and created at each run.
Gunicorn imports this file as a module to serve `application`, with the
bare view added to the URLs (see `__getattr__` at the end).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import setup_django
from _gate_baselines import INSERT_SQL, raw_inserts, verify_rates
from _wrk import cpu_by_role, lua_script, run_wrk

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BENCH_DATABASE = "fk_bench_checkpoints"

# Keys for this benchmark only, shared by the setup process and the server.
BENCH_ENV = {
    "SECRET_KEY": "bench-only-secret-key-checkpoint-throughput-not-for-production",
    "FANGKONG_DATA_KEY": base64.b64encode(hashlib.sha256(b"bench data key").digest()).decode(),
    "FANGKONG_PASS_CODE_KEY": base64.b64encode(hashlib.sha256(b"bench pass key").digest()).decode(),
}


# --- setup ---------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help="the bench's own database (dropped and created again), on DATABASE_URL's server",
    )
    parser.add_argument("--people", type=int, default=20000, help="residents with pass codes")
    parser.add_argument("--connections", type=int, default=16, help="concurrency of every phase")
    parser.add_argument("--duration", type=int, default=8, help="seconds per phase")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating bare / single / batch rounds"
    )
    parser.add_argument("--max-requests", type=int, default=200000, help="cap per phase")
    parser.add_argument("--rate", type=int, default=300, help="entries/s for the latency phase")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-connections", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--verify-count", type=int, default=20000, help="codes per verify round")
    return parser.parse_args()


def recreate_database(database_url: str) -> None:
    """Not _common.recreate_database: that one drops WITH (FORCE), which would
    cut off a run still using this database instead of failing here."""
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def build_data(people: int) -> dict[str, Any]:
    """A compound with a gate, a device token and residents with codes."""
    import csv

    from django.core.management import call_command
    from stdnum.cn import ric

    from fangkong.accounts.services import create_device_token
    from fangkong.checkpoints import services
    from fangkong.core.audit import Actor
    from fangkong.core.scoping import Scope
    from fangkong.people.importers import run_people_import
    from fangkong.people.models import Person
    from fangkong.regions.services import create_unit

    call_command("migrate", verbosity=0)
    actor = Actor.system("bench")
    city = create_unit(actor, name="周口市", kind="city", code="411600")
    zone = create_unit(actor, name="示范区", kind="zone", parent=city)
    compound = create_unit(actor, name="盛和家园", kind="compound", parent=zone)
    checkpoint = services.create_checkpoint(actor, unit=compound, name="北门")
    device, token = create_device_token(actor, unit=compound, name="bench scanner")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "people.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["姓名", "身份证号", "所属单位编码", "户号"])
            for number in range(people):
                birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=number // 1000)
                body = f"411602{birth:%Y%m%d}{number % 1000:03d}"
                writer.writerow(
                    [
                        f"居民{number}",
                        body + ric.calc_check_digit(body + "0"),
                        compound.code,
                        f"{number // 40 + 1}号楼{number % 40 + 1}室",
                    ]
                )
        result = run_people_import(path, partial=False, scope=Scope.all())
    assert result.applied, result.errors[:3]
    residents = list(Person.objects.filter(home_unit=compound).order_by("pk"))
    issued = services.issue_pass_codes(actor, residents)
    codes = [services.code_for(issued[person.pk]) for person in residents]
    return {
        "checkpoint": checkpoint.pk,
        "unit": compound.pk,
        "person": residents[0].pk,
        "device": device.pk,
        "token": token,
        "codes": codes,
    }


def seed_history(data: dict[str, Any]) -> int:
    """Yesterday at the gate: each resident in and out once. Then ANALYZE,
    as autovacuum does on a running server (this machine's PostgreSQL has
    autovacuum off): without statistics, the planner takes a table created
    empty for a tiny one and may read the wrong index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO checkpoints_entry (
                client_uuid, content_hash, checkpoint_id, unit_id, person_id, subject_key,
                identified_by, method, direction, mask, temperature, health_code,
                itinerary_star, observed_at, received_at, decision, reasons, follow_up,
                previous_attempt_id, attempt, operator_id, device_id
            )
            SELECT gen_random_uuid(), md5(p.id::text || way), %s, %s, p.id, 'p:' || p.id,
                   'code', 'device', way, true, 36.5, 'green', false, moment, moment,
                   'admit', 0, false, NULL, 1, NULL, %s
            FROM people_person p
            CROSS JOIN (VALUES ('in', 7), ('out', 18)) AS ways(way, hour)
            CROSS JOIN LATERAL (
                SELECT date_trunc('day', now()) - interval '1 day'
                       + make_interval(hours => hour, secs => p.id %% 36000) AS moment
            ) moments
            WHERE p.home_unit_id = %s
            """,
            [data["checkpoint"], data["unit"], data["device"], data["unit"]],
        )
        seeded = cursor.rowcount
        cursor.execute("ANALYZE")
    return seeded


# --- the server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args: argparse.Namespace, data: dict, port: int) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "FANGKONG_TESTING", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(BENCH_ENV)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "DATABASE_CONN_MAX_AGE": "600",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "FK_BENCH_DATA": json.dumps({k: v for k, v in data.items() if k != "codes"}),
        }
    )
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--keep-alive", "30",
        "--backlog", "2048",
        "--log-level", "warning",
        "--pythonpath", str(BENCH_DIR),
        "checkpoint_throughput:application",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/v1/checkpoints/public-key"
    for _attempt in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate (the lower one of an even count)."""
    ordered = sorted(runs, key=lambda run: run["rate"])
    return ordered[(len(ordered) - 1) // 2]


def entry_count() -> int:
    from fangkong.checkpoints.models import Entry

    return Entry.objects.count()


def measured(label: str, figures: dict[str, Any], unit: int = 1) -> dict[str, Any]:
    """Check the table grew by the accepted work; add the rate."""
    figures["rate"] = figures["created"] / figures["seconds"] if figures["seconds"] else 0.0
    if figures["bad"] or figures["socket_errors"]:
        print(
            f"  ! {label}: {figures['bad']} error answers, {figures['socket_errors']} socket errors"
        )
    return figures


# --- main ----------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        sys.exit(
            "DATABASE_URL must point at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/postgres;"
            f" the bench uses its own database on that server ({args.database})."
        )
    if "bench" not in args.database:
        sys.exit("the bench drops its database at the start: give it a name with 'bench' in it")
    args.database_url = server_url.split("?")[0].rsplit("/", 1)[0] + "/" + args.database
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make setup` installs it (Debian package wrk).")
    recreate_database(args.database_url)
    # Set here, not defaulted as _common.setup_django would: the codes issued
    # below must verify under the server's keys, whatever the shell has set.
    os.environ.update(BENCH_ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
    os.environ["DEBUG"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django(args.database_url)
    from django.db import connection, connections

    print(f"== setup: {args.people} residents with pass codes …", flush=True)
    started = time.perf_counter()
    data = build_data(args.people)
    seeded = seed_history(data)
    print(
        f"   done in {time.perf_counter() - started:.1f} s ({seeded} entries from yesterday)",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        postgres = cursor.fetchone()[0].split(",")[0]
    connections.close_all()
    c = args.connections
    cap = args.max_requests
    per_thread = max(1, cap // args.wrk_threads)
    results: dict[str, list[dict[str, Any]]] = {}

    print("== pass-code verification (one core) …", flush=True)
    raw_verify, our_verify = verify_rates(data["codes"], args.verify_count)

    print(f"== raw psycopg INSERT+COMMIT, {c} connections …", flush=True)
    before = entry_count()
    connections.close_all()
    raw_rate = raw_inserts(args.database_url, data, c, args.duration, cap)
    raw_rows = entry_count() - before

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args, data, port)
    try:
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            checkpoint = data["checkpoint"]
            single_path = f"/api/v1/checkpoints/{checkpoint}/entries"
            batch_path = f"/api/v1/checkpoints/{checkpoint}/entries/batch"
            codes = data["codes"]
            paced_interval = 1000.0 * args.wrk_threads / args.rate
            # The bare view and single entries alternate, round after round,
            # so that both meet the same moments of a shared machine.
            phases = [
                ("warm-up", "/bench/bare-insert", None, 0, None, 3, c),
                ("warm-up", single_path, data["token"], 0, None, 3, c),
            ]
            for _round in range(args.rounds):
                phases += [
                    ("bare", "/bench/bare-insert", None, 0, None, args.duration, c),
                    ("single", single_path, data["token"], 0, None, args.duration, c),
                    ("batch", batch_path, data["token"], args.batch_size, None, args.duration,
                     args.batch_connections),
                ]  # fmt: skip
            phases.append(
                ("paced", single_path, data["token"], 0, paced_interval, args.duration, c)
            )
            for name, path, token, batch, interval, duration, conns in phases:
                print(f"== {name}: POST {path} …", flush=True)
                script = lua_script(
                    work,
                    name,
                    path=path,
                    token=token,
                    codes=codes,
                    batch=batch,
                    max_per_thread=per_thread // max(batch, 1) + 1,
                    interval_ms=interval,
                )
                before = entry_count()
                cpu_before = cpu_by_role(server.pid)
                figures = run_wrk(
                    script,
                    base + path,
                    threads=args.wrk_threads,
                    connections=conns,
                    duration=duration,
                )
                cpu_after = cpu_by_role(server.pid)
                figures["cpu_ms"] = {
                    role: 1000 * (cpu_after[role] - cpu_before[role]) / max(figures["created"], 1)
                    for role in cpu_after
                }
                time.sleep(1)  # requests in flight when wrk stopped finish
                grown = entry_count() - before
                # Those last requests are written but not counted by wrk.
                if not 0 <= grown - figures["created"] <= conns * max(batch, 1):
                    raise RuntimeError(
                        f"{name}: the table grew by {grown}, the answers say {figures['created']}"
                    )
                connections.close_all()
                results.setdefault(name, []).append(measured(name, figures))
    finally:
        stop_server(server)

    bare, single, paced, batch = (
        _median_run(results[name]) for name in ("bare", "single", "paced", "batch")
    )
    round_ratios = [
        one["rate"] / other["rate"]
        for one, other in zip(results["single"], results["bare"], strict=True)
    ]
    verify_ratio = our_verify / raw_verify
    bare_ratio = statistics.median(round_ratios)
    print()
    served = (
        f"gthread {args.workers}×{args.threads}"
        if args.worker_class == "gthread"
        else f"sync ×{args.workers}"
    )
    print(f"Checkpoint throughput — {os.cpu_count()} cores, {postgres}, gunicorn {served}, "
          f"wrk -t{args.wrk_threads}, {args.people} residents")  # fmt: skip
    print(f"{'':44}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    rows = [
        ("raw Ed25519 verify (cryptography, 1 core)", raw_verify, None, None),
        ("passcodes.read (1 core)", our_verify, None, None),
        (f"raw psycopg INSERT+COMMIT (c={c})", raw_rate, None, None),
        (f"bare Django view INSERT (c={c})", bare["rate"], bare["p50_ms"], bare["p99_ms"]),
        (f"single entries (c={c})", single["rate"], single["p50_ms"], single["p99_ms"]),
        (f"single entries paced at {args.rate}/s", paced["rate"], paced["p50_ms"], paced["p99_ms"]),
        (f"batch entries ({args.batch_size}/request, c={args.batch_connections})",
         batch["rate"], batch["p50_ms"], batch["p99_ms"]),
    ]  # fmt: skip
    for label, rate, p50, p99 in rows:
        latency = f"{p50:9.1f}{p99:9.1f}" if p50 is not None else ""
        print(f"{label:44}{rate:10.0f}{latency}")
    print()
    print(f"Rounds (per s): bare / single / ratio / batch, median of {args.rounds} reported")
    for number, (one, other, batch_run) in enumerate(
        zip(results["bare"], results["single"], results["batch"], strict=True), start=1
    ):
        print(
            f"  {number}{one['rate']:8.0f}{other['rate']:8.0f}"
            f"{other['rate'] / one['rate']:8.2f}{batch_run['rate']:8.0f}"
        )
    print()
    print(
        "CPU per entry (ms) of the median runs: app server / PostgreSQL / load generator;"
        " the total also in raw Ed25519 verifies of this run"
    )
    verify_ms = 1000 / raw_verify
    for name, run in (("bare", bare), ("single", single), ("batch", batch)):
        cpu = run["cpu_ms"]
        total = sum(cpu.values())
        print(
            f"  {name:8}{cpu['app']:8.3f}{cpu['database']:8.3f}{cpu['load generator']:8.3f}"
            f"   total {total:.3f} = {total / verify_ms:.1f} verifies"
        )
    print()
    checks = [
        (f"verify ratio {verify_ratio:.2f} ≥ 0.8", verify_ratio >= 0.8),
        (f"single {single['rate']:.0f}/s ≥ 400/s", single["rate"] >= 400),
        (f"single / bare view {bare_ratio:.2f} (median of the rounds) ≥ 0.7", bare_ratio >= 0.7),
        (f"single / raw insert {single['rate'] / raw_rate:.2f} (reference)", True),
        (f"p99 {paced['p99_ms']:.1f} ms < 50 ms at {paced['rate']:.0f}/s", paced["p99_ms"] < 50),
        (f"batch {batch['rate']:.0f}/s ≥ 5000/s", batch["rate"] >= 5000),
    ]
    for text, ok in checks:
        print(f"  [{'ok' if ok else 'MISS'}] {text}")
    print(
        f"  (raw baseline wrote {raw_rows} rows; each phase's new rows matched its accepted"
        " answers, give or take the requests in flight when wrk stopped)"
    )


# --- served by gunicorn: the app plus the bare view --------------------------------


@functools.cache
def _bench_data() -> dict[str, Any]:
    # Read once per server process: the baseline view does only its INSERT.
    return json.loads(os.environ["FK_BENCH_DATA"])


def bare_insert(request: Any) -> Any:
    """Only the INSERT a gate entry makes, behind the same middleware."""
    from django.db import connection
    from django.http import HttpResponse

    data = json.loads(request.body)
    bench = _bench_data()
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            (data["client_uuid"], "0" * 32, bench["checkpoint"], bench["unit"], bench["person"],
             f"p:{bench['person']}", bench["device"]),
        )  # fmt: skip
    return HttpResponse(b'{"created":1}', content_type="application/json", status=201)


_APPLICATION: Any = None


def __getattr__(name: str) -> Any:
    """`application` for gunicorn and `urlpatterns` for Django, built on
    first use so that running this file as a script does not set Django up."""
    global _APPLICATION
    if name == "application":
        if _APPLICATION is None:
            os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
            import django

            django.setup()
            from django.conf import settings
            from django.core.wsgi import get_wsgi_application

            settings.ROOT_URLCONF = __name__
            _APPLICATION = get_wsgi_application()
        return _APPLICATION
    if name == "urlpatterns":
        from django.urls import path
        from django.views.decorators.csrf import csrf_exempt

        from fangkong.urls import urlpatterns

        return [path("bench/bare-insert", csrf_exempt(bare_insert)), *urlpatterns]
    raise AttributeError(name)


if __name__ == "__main__":
    main()
