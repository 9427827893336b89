"""What every benchmark here shares: the fresh database, timing calls and statements, printing figures."""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
SETTINGS = "karte.settings"


# -- the database: fresh, migrated by another process, thrown away afterwards -------------------------
def with_database(url: str, name: str) -> str:
    """Return the PostgreSQL URL `url` pointing at database `name`."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def postgres_admin(url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the server's maintenance database."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)


def migrate() -> float:
    """Migrate the database the environment names, in a child process; return the seconds it took."""
    started = time.perf_counter()
    # Another process, so that neither its time nor its memory is counted in the one that measures.
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        },
        check=True,
    )
    return time.perf_counter() - started


def prepare_environment() -> str | None:
    """Set the settings the benchmarks run with; return the KARTE_VAR_DIR given by the environment, if any."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["KARTE_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    # The app logs at INFO (WeasyPrint chatters there); warnings and errors still show.
    os.environ.setdefault("KARTE_LOG_LEVEL", "WARNING")
    parent_dir = os.environ.get("KARTE_VAR_DIR") or None
    if parent_dir:
        Path(parent_dir).mkdir(parents=True, exist_ok=True)
    return parent_dir


@contextmanager
def scratch_directory(prefix: str, parent_dir: str | None, keep: bool, kept: str = "kept {path}"):
    """Yield a new directory, removed afterwards unless `keep` or it was made in a given `parent_dir`."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent_dir))
    try:
        yield path
    finally:
        if keep or parent_dir:
            print(kept.format(path=path))
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def fresh_postgres(name: str, keep: bool = False, kept: str = "kept database {name}"):
    """With DATABASE_URL, point it at a new database `name`, dropped afterwards unless `keep`.

    Yields the name, or None without DATABASE_URL (SQLite).
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    postgres_admin(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = with_database(url, name)
    try:
        yield name
    finally:
        if keep:
            print(kept.format(name=name))
        else:
            from django.db import connections

            connections.close_all()
            postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_label() -> str:
    return "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite (fresh KARTE_VAR_DIR)"


def print_header(title: str, database: str, size: str) -> None:
    print(f"{title}: Python {platform.python_version()}, {os.cpu_count()} CPUs, {database}, {size}")


def run_on_fresh_database(args, title: str, size: str, name: str, run: Callable[[], int]) -> int:
    """Print the header, then return run() on a fresh, migrated database.

    SQLite in a new KARTE_VAR_DIR or, with DATABASE_URL, a new PostgreSQL database on that server; both are
    thrown away afterwards unless args.keep.
    """
    parent_dir = prepare_environment()
    with scratch_directory(f"{name}-bench-", parent_dir, args.keep) as var_dir:
        os.environ["KARTE_VAR_DIR"] = str(var_dir)
        print_header(title, database_label(), size)
        with fresh_postgres(f"karte_{name}_bench_{os.getpid()}", args.keep):
            print(f"migrated in {migrate():.1f} s", flush=True)
            return run()


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


# -- measuring ---------------------------------------------------------------------------------------
def percentile(times: list[float], p: float) -> float:
    """Return the nearest-rank percentile: of 60 requests, p95 is the 57th fastest."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


_reported_errors: set[str] = set()


def timed_call(call: Callable[[], object]) -> tuple[object, float, int]:
    """Run call() counting its queries; return (its value, or the exception as text; ms; query count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        try:
            value = call()
        except Exception as error:  # noqa: BLE001  reported in the table, with the traceback once
            value = f"{type(error).__name__}: {error}"
            if value not in _reported_errors:
                _reported_errors.add(value)
                traceback.print_exc()
        elapsed = (time.perf_counter() - started) * 1000
    return value, elapsed, len(captured)


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


# -- printing ----------------------------------------------------------------------------------------
def short(text: str, limit: int = 400) -> str:
    """Return SQL or other text on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_slowest(statements, top: int, indent: str = "    ", width: int = 8) -> None:
    """Print the `top` slowest of (ms, sql, params) statements, their parameters under the SQL."""
    for ms, sql, params in sorted(statements, key=lambda s: s[0], reverse=True)[:top]:
        line = f"{indent}{ms:{width}.2f} ms  "
        print(f"{line}{short(sql)}")
        if params:
            print(f"{' ' * len(line)}params {short(repr(params), 200)}")


def print_repeated(statements, indent: str = "    ") -> None:
    """Print the statements run more than once (an N+1 shows here), with the time they took together."""
    repeated = Counter(sql for _ms, sql, _p in statements)
    for sql, count in repeated.most_common():
        if count < 2:
            break
        spent = sum(ms for ms, s, _p in statements if s == sql)
        print(f"{indent}repeated {count}× ({spent:.1f} ms): {short(sql)}")


def print_plan(statements, indent: str = "    ", options: str = "ANALYZE") -> None:
    """Print the plan of the slowest statement: EXPLAIN (`options`) on PostgreSQL, QUERY PLAN on SQLite."""
    from django.db import connection

    if not statements:
        return
    _ms, sql, params = max(statements, key=lambda s: s[0])
    prefix = f"EXPLAIN ({options}) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        plan = cursor.fetchall()
    print(f"{indent}plan of the slowest statement:")
    for line in plan:
        print(f"{indent}  {' | '.join(str(c) for c in line)}")


def print_profile(profiler, lines: int, *orders: str) -> None:
    """Print the top `lines` functions of a cProfile run, once per sort order."""
    import pstats

    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    for order in orders:
        stats.sort_stats(order).print_stats(lines)
    sys.stdout.flush()


def print_table_header(header: str) -> None:
    print()
    print(header)
    print("-" * len(header))


def failure(statuses: Iterable[str]) -> str:
    """Return the result column for a row with bad answers: FAIL and how many of each."""
    return "FAIL (" + ", ".join(f"{s} ×{c}" for s, c in Counter(statuses).items()) + ")"


def add_sql_options(parser, noun: str, lines: int) -> None:
    """Add --sql, --sql-lines and --explain, which look into one `noun` (request, call) of a row."""
    parser.add_argument(
        "--sql", action="store_true", help=f"print the slowest SQL of one {noun} for every row"
    )
    parser.add_argument("--sql-lines", type=int, default=lines, help=f"statements shown per {noun}")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also print the plan of the slowest statement (EXPLAIN ANALYZE on PostgreSQL)",
    )
