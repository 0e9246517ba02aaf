"""What the database benches share: a fresh SQLite file and a fresh PostgreSQL
database, and the bench's measurements run in a child process per database (Django
settings are read once per process)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


def fresh_postgres_database(url: str, name: str) -> str:
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def results_per_database(
    script: str,
    tmp: str,
    postgres_name: str,
    postgres: str | None = POSTGRES,
    sqlite: bool = True,
) -> Iterator[tuple[str, dict]]:
    """(database, the JSON the script printed last when run with --run URL); without
    `postgres`, SQLite only; without `sqlite`, PostgreSQL only."""
    targets = {"SQLite": f"sqlite:///{tmp}/bench.sqlite3"} if sqlite else {}
    try:
        if postgres:
            targets["PostgreSQL"] = fresh_postgres_database(postgres, postgres_name)
    except psycopg.Error as exc:
        print(f"PostgreSQL: skipped ({exc})")
    for name, url in targets.items():
        child = subprocess.run(
            [sys.executable, script, "--run", url],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "VAR_DIR": tmp},
        )
        if child.returncode:
            print(f"{name}: failed\n{child.stderr[-2000:]}")
            continue
        yield name, json.loads(child.stdout.strip().splitlines()[-1])


def django_on(database_url: str, **env: str) -> None:
    """In a bench's child process: Django set up on this (fresh) database, migrated."""
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "annotator.settings",
            "ALLOWED_HOSTS": "testserver",
            **env,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
