"""Registry import throughput and memory: `fangkong import people` of N
generated residents into PostgreSQL, beside a plain COPY of the same file
into a bare table, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/import_people.py [--rows 1000000] [--small 200000]

Prints rows/s, peak memory (RSS of a fresh process doing only the import)
for a small and the full file (memory must not grow with the file), the COPY
rate, and the ratio. Target: >= 20,000 rows/s, < 500 MB peak.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, bench_database_url, psycopg_url, recreate_database, setup_django

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧解强丛"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国立新战书轩超宏丽建松文宜霖洪亮苟"


def generate(path: Path, rows: int, unit_codes: list[str], seed: int = 1) -> None:
    from stdnum.cn import ric

    rng = random.Random(seed)
    # Households of one to five members on consecutive rows, as registry
    # spreadsheets list them (about 2.5 people a household, like the census).
    members_left, unit_code, household, household_serial = 0, "", "", 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["姓名", "身份证号", "手机号", "所属单位编码", "户号", "有无智能手机"])
        for index in range(rows):
            if members_left == 0:
                members_left = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
                unit_code = rng.choice(unit_codes)
                household_serial += 1
                household = f"{household_serial // 120 + 1}号楼{household_serial % 120 + 1:03d}室"
            members_left -= 1
            # Unique by construction: the serial spreads over birth date and sequence digits.
            day = 1 + index % 28
            month = 1 + (index // 28) % 12
            year = 1930 + (index // 336) % 90
            sequence = (index // 30240) % 1000
            body = f"4116{(index // 30240000) % 100:02d}{year}{month:02d}{day:02d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            writer.writerow(
                [
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    number,
                    f"13{rng.randint(0, 999999999):09d}" if rng.random() < 0.9 else "",
                    unit_code,
                    household,
                    "有" if rng.random() < 0.9 else "无",
                ]
            )


def child_import(url: str, path: str) -> None:
    """Runs in a fresh process so that its peak RSS is the import's own."""
    setup_django(url)
    from fangkong.core.audit import Actor
    from fangkong.people.services import import_people

    started = time.perf_counter()
    result = import_people(Actor.system("bench"), path)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": result.total_rows,
                "created": result.created,
                "updated": result.updated,
                "errors": len(result.errors),
                "seconds": elapsed,
                "peak_mb": peak_mb,
            }
        )
    )


def run_child(url: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def copy_baseline(url: str, path: Path) -> float:
    import psycopg

    with psycopg.connect(psycopg_url(url)) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_bare_people")
        connection.execute(
            "CREATE TABLE bench_bare_people (name text, id_number text, phone text, unit_code text,"
            " household text, has_smartphone text)"
        )
        connection.commit()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            path.open("rb") as stream,
            cursor.copy("COPY bench_bare_people FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := stream.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE bench_bare_people")
        connection.commit()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    options = parser.parse_args()
    if options.child:
        child_import(options.url, options.child)
        return

    url = bench_database_url("fk_bench_people")
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    from fangkong.core.demo_support import DemoContext
    from fangkong.regions import demo as regions_demo
    from fangkong.regions.models import Unit

    call_command("migrate", verbosity=0)
    regions_demo.build(DemoContext(seed=1, people=0, password=None, log=lambda _m: None))
    codes = list(
        Unit.objects.filter(kind__in=["compound", "village"]).values_list("code", flat=True)
    )

    work = REPO / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    small, full = work / f"people-{options.small}.csv", work / f"people-{options.rows}.csv"
    for path, rows in ((small, options.small), (full, options.rows)):
        if not path.exists():
            started = time.perf_counter()
            generate(path, rows, codes)
            print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")

    small_run = run_child(url, small)  # first import: creates
    with psycopg_connection(url) as connection:
        connection.execute("TRUNCATE people_person, people_household CASCADE")
    full_run = run_child(url, full)
    again_run = run_child(url, full)  # the same file again: every row an update
    copy_seconds = copy_baseline(url, full)

    rate = full_run["rows"] / full_run["seconds"]
    copy_rate = options.rows / copy_seconds
    print(
        f"import {options.small:>9,} rows: {small_run['rows'] / small_run['seconds']:>9,.0f} rows/s, "
        f"peak {small_run['peak_mb']:.0f} MB"
    )
    print(
        f"import {options.rows:>9,} rows: {rate:>9,.0f} rows/s, peak {full_run['peak_mb']:.0f} MB "
        f"({full_run['seconds']:.1f} s; created {full_run['created']:,}, errors {full_run['errors']})"
    )
    print(
        f"re-import of the same file (all updates): "
        f"{again_run['rows'] / again_run['seconds']:,.0f} rows/s, peak {again_run['peak_mb']:.0f} MB "
        f"(updated {again_run['updated']:,}, created {again_run['created']:,})"
    )
    print(
        f"plain COPY of the same file into a bare table: {copy_rate:,.0f} rows/s ({copy_seconds:.1f} s)"
    )
    print(f"ratio import/COPY: {rate / copy_rate:.3f}")
    print(
        f"targets: >= 20,000 rows/s -> {'met' if rate >= 20000 else 'NOT met'}; "
        f"< 500 MB peak -> {'met' if full_run['peak_mb'] < 500 else 'NOT met'}"
    )


def psycopg_connection(url: str):
    import psycopg

    return psycopg.connect(psycopg_url(url), autocommit=True)


if __name__ == "__main__":
    main()
