"""What the page benchmarks (systems, security) share: the prefecture's people, timed requests, the report."""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from common import (
    add_sql_options,
    failure,
    percentile,
    print_plan,
    print_profile,
    print_repeated,
    print_slowest,
    print_table_header,
    timed_call,
    timed_statements,
)

DEPARTMENT_WORDS = (
    "政策企画",
    "総務",
    "財務",
    "スマートシティ戦略",
    "府民文化",
    "福祉",
    "健康医療",
    "商工労働",
    "環境農林水産",
    "都市整備",
    "住宅まちづくり",
    "教育",
    "危機管理",
    "会計",
    "議会事務",
    "警察",
)
SECTION_WORDS = ("企画", "総務", "人事", "財政", "広報", "調整", "管理", "推進", "指導", "振興", "保全")
# The office administrator sits in a section of the fourth department, the editor in one of the sixth.
OFFICE_DEPARTMENT, EDITOR_DEPARTMENT = 3, 5


# -- the fixture: a body's departments and sections, the two people who ask ----------------------------
@dataclass
class Fixture:
    prefecture: object
    office: object
    editor: object
    counts: dict
    seconds: dict = field(default_factory=dict)


def add_departments(body, n_departments: int, n_sections: int, suffix: str = "部") -> tuple[list, list]:
    """Create departments under `body` and sections spread over them; return (departments, sections)."""
    from karte.core.choices import OrgUnitKind
    from karte.core.services import create_org_unit

    departments = [
        create_org_unit(
            kind=OrgUnitKind.DEPARTMENT,
            code=f"{d + 1:02d}",
            name=f"{DEPARTMENT_WORDS[d % len(DEPARTMENT_WORDS)]}{suffix}",
            parent=body,
        )
        for d in range(n_departments)
    ]
    sections = []
    for s in range(n_sections):
        department = departments[s % n_departments]
        seq = s // n_departments + 1
        sections.append(
            create_org_unit(
                kind=OrgUnitKind.SECTION,
                code=f"{department.code}{seq:03d}",
                name=f"{department.name}{SECTION_WORDS[s % len(SECTION_WORDS)]}第{seq}課",
                parent=department,
            )
        )
    return departments, sections


def office_and_editor(departments: list, sections: list) -> tuple[object, object]:
    """Create the body's office administrator and an editor of one department; return both."""
    from django.contrib.auth import get_user_model

    from karte.core.choices import Role
    from karte.core.services import set_membership

    users = get_user_model()
    office_section = next(s for s in sections if s.department_id == departments[OFFICE_DEPARTMENT].pk)
    editor_department = departments[EDITOR_DEPARTMENT]
    editor_section = next(s for s in sections if s.department_id == editor_department.pk)
    office = users.objects.create_user("bench_office", last_name="行政DX推進課")
    set_membership(office, role=Role.OFFICE_ADMIN, unit=office_section)
    editor = users.objects.create_user("bench_editor", last_name=editor_department.name)
    set_membership(editor, role=Role.EDITOR, unit=editor_section)
    return office, editor


def busiest_department(user) -> int | None:
    """Return the id of the department with the most systems `user` sees (for an editor: their own)."""
    from django.db.models import Count

    from karte.core.scoping import VIEW
    from karte.systems.models import System

    return (
        System.objects.restrict(user, VIEW)
        .values("unit__department")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__department")
        .values_list("unit__department", flat=True)
        .first()
    )


def build_fixture(generate: Callable[[], Fixture], what: str) -> Fixture:
    """Run generate(), print what it wrote and how long each step took, refresh the planner statistics."""
    from django.db import connection

    print(f"generating {what} on {connection.vendor}…", flush=True)
    started = time.perf_counter()
    fixture = generate()
    generated = time.perf_counter() - started
    counts = ", ".join(f"{value:,} {name}" for name, value in fixture.counts.items())
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in fixture.seconds.items())
    print(f"generated in {generated:.1f} s ({steps}): {counts}")
    # Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would have them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return fixture


# -- the requests ------------------------------------------------------------------------------------
@dataclass
class Row:
    page: str
    user: str
    urls: list[tuple[str, str]]  # (variant label, URL) of the timed requests
    target_ms: float | None  # p95 to stay under; None: timed without a target
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # bytes of the answer
    bad: list[tuple[str, str]] = field(default_factory=list)  # (url, status or exception)
    client: object = None  # the logged-in client, for profiling afterwards

    def percentile(self, p: float) -> float:
        return percentile(self.times_ms, p)

    def by_variant(self) -> dict[str, list[float]]:
        times: dict[str, list[float]] = defaultdict(list)
        for (label, _url), ms in zip(self.urls, self.times_ms, strict=True):
            times[label].append(ms)
        return times

    @property
    def passed(self) -> bool:
        return (
            not self.bad
            and bool(self.times_ms)
            and (self.target_ms is None or self.percentile(95) < self.target_ms)
        )


def ask(client, url: str) -> tuple[int | str, float, int, int]:
    """Return (status or exception text, ms, query count, bytes) of one GET."""

    def get():
        response = client.get(url)
        return response.status_code, len(response.content)

    value, elapsed, queries = timed_call(get)
    status, size = (value, 0) if isinstance(value, str) else value
    return status, elapsed, queries, size


def time_page(page: str, name: str, user, urls: list[tuple[str, str]], warmup: int, target_ms) -> Row:
    """Log `user` in, ask for the first `warmup` URLs untimed and time the rest; print the row's p95."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    row = Row(page, name, urls[warmup:], target_ms, client=client)
    for _label, url in urls[:warmup]:
        status, _ms, _q, _size = ask(client, url)
        if status != 200:
            row.bad.append((url, str(status)))
    for _label, url in row.urls:
        status, ms, queries, size = ask(client, url)
        if status != 200:
            row.bad.append((url, str(status)))
        row.times_ms.append(ms)
        row.queries.append(queries)
        row.sizes.append(size)
    print(
        f"  {page:<8} {name:<7} p95 {row.percentile(95):7.1f} ms, "
        f"{min(row.queries)}–{max(row.queries)} queries",
        flush=True,
    )
    return row


# -- finding what is slow ---------------------------------------------------------------------------
def sql_profile(client, url: str, top: int, explain: bool, rest: str) -> None:
    """Ask for `url` once, timing every statement; print the slowest and any that repeat."""
    started = time.perf_counter()
    with timed_statements() as statements:
        response = client.get(url)
    total = (time.perf_counter() - started) * 1000
    sql_ms = sum(s[0] for s in statements)
    print(
        f"    {url}: {response.status_code}, {total:.1f} ms, of which SQL {sql_ms:.1f} ms "
        f"in {len(statements)} statements (the rest is Python: {rest})"
    )
    print_slowest(statements, top)
    print_repeated(statements)
    if explain:
        print_plan(statements)


def python_profile(client, url: str, lines: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(client.get, url)
    print_profile(profiler, lines, "cumulative")
    print()


# -- the report -------------------------------------------------------------------------------------
def print_table(rows: list[Row], size_column: str) -> bool:
    """Print a row per page and person; return whether every row with a target met it."""
    width = max(5, len(size_column))
    header = (
        f"{'page':<8}  {'user':<7}  {'requests':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}  "
        f"{'queries':>9}  {size_column:>{width}}  {'target':<14}  result"
    )
    print_table_header(header)
    ok = True
    for row in rows:
        if row.bad:
            outcome = failure(status for _url, status in row.bad)
        elif row.target_ms is None:
            outcome = "(no target)"
        else:
            outcome = "PASS" if row.passed else "FAIL"
        ok = ok and row.passed
        queries = f"{min(row.queries)}–{max(row.queries)}"
        target = "—" if row.target_ms is None else f"p95 < {row.target_ms:g} ms"
        print(
            f"{row.page:<8}  {row.user:<7}  {len(row.times_ms):>8}  {row.percentile(50):>7.1f}  "
            f"{row.percentile(95):>7.1f}  {max(row.times_ms):>7.1f}  {queries:>9}  "
            f"{statistics.median(row.sizes) / 1024:>{width}.0f}  {target:<14}  {outcome}"
        )
    print()
    for row in rows:
        variants = row.by_variant()
        if len(variants) > 1:
            parts = ", ".join(
                f"{label} {percentile(times, 50):.0f}/{percentile(times, 95):.0f}"
                for label, times in variants.items()
            )
            print(f"  {row.page} / {row.user}, p50/p95 ms by variant: {parts}")
    for row in rows:
        for url, status in row.bad[:5]:
            print(f"  ! {row.page} / {row.user}: {url} answered {status}")
    return ok


def print_load(before: float, after: float) -> None:
    print(
        f"1-minute load average {before:.1f} before and {after:.1f} after measuring "
        f"on {os.cpu_count()} CPUs: above the CPU count, other work was competing for them."
    )


def finish(rows: list[Row], ok: bool, args: argparse.Namespace, rest: str) -> int:
    """Look into the slowest request of each missed row (every row with --sql); return the exit status.

    A page answering other than 200 exits 1 whatever the times: the figures then do not measure it.
    """
    for row in rows:
        if not (args.sql or not row.passed):
            continue
        _label, url = row.urls[row.times_ms.index(max(row.times_ms))]
        print(f"\n== {row.page} / {row.user}: the slowest statements of one request ==")
        sql_profile(row.client, url, args.sql_lines, args.explain, rest)
        if args.profile:
            print(f"\n== {row.page} / {row.user}: cProfile of one request ==")
            python_profile(row.client, url, args.profile_lines)
    if any(row.bad for row in rows):
        return 1
    return 1 if args.strict and not ok else 0


def add_options(parser: argparse.ArgumentParser, per: str) -> None:
    """Add the options every page benchmark takes; `per` says what a row's requests are per."""
    parser.add_argument("--requests", type=int, default=60, help=f"timed requests per {per}")
    parser.add_argument("--warmup", type=int, default=5, help=f"warm-up requests per {per}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory / database")
    add_sql_options(parser, "request", lines=8)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile one request of each row explained (missed, or all with --sql)",
    )
    parser.add_argument("--profile-lines", type=int, default=30, help="functions shown per cProfile listing")
