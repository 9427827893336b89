"""What every benchmark here shares: temporary PostgreSQL databases, migrating, percentiles."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]


def with_database(url: str, name: str) -> str:
    """Return the PostgreSQL URL `url` pointing at database `name`."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def postgres_admin(url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the server's maintenance database."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)


def migrate() -> None:
    """Migrate the database the environment names, in a child process (its time is not measured)."""
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        },
        check=True,
    )


def percentile(times: list[float], p: float) -> float:
    """Return the nearest-rank percentile: of 60 requests, p95 is the 57th fastest."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def short(text: str, limit: int = 400) -> str:
    """Return SQL or other text on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def timed_statements():
    """Yield a list that fills with (ms, sql, params) for every statement run inside the block."""
    from django.db import connection

    statements: list[tuple[float, str, object]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(timed):
        yield statements
