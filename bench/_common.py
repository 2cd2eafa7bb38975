"""Shared set-up for benchmark scripts: a PostgreSQL bench database, Django."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

REPO = Path(__file__).resolve().parents[1]


def bench_database_url(name: str) -> str:
    """DATABASE_URL with the database swapped for `name`; PostgreSQL only."""
    base = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or ("postgres://postgres@127.0.0.1:5432/postgres")
    )
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunparse(parsed._replace(path=f"/{name}"))


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.path[1:]}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parsed.path[1:]}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def psycopg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)
