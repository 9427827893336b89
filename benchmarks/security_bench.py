"""Benchmark of the coverage-gap report (security:coverage) on a prefecture with 5,000 systems.

    .venv/bin/python benchmarks/security_bench.py                    # 5,000 systems, SQLite, temp dir
    .venv/bin/python benchmarks/security_bench.py --systems 500      # a quick run
    .venv/bin/python benchmarks/security_bench.py --sql              # slowest SQL of one request per row
    .venv/bin/python benchmarks/security_bench.py --profile          # + cProfile of one request per row
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/security_bench.py     # PostgreSQL

Target: with 5,000 systems, each with a protection profile or none, the report answers in under 150 ms at
the 95th percentile, on SQLite and on PostgreSQL, with the same few queries whatever the number of
systems: the database places every system by the rule (selectors.placed_systems), counts the figures and
pages the list; only the rows shown are read.

The database is fresh and is thrown away afterwards: a SQLite file in a new KARTE_VAR_DIR or, with
DATABASE_URL, a new PostgreSQL database on that server, dropped at the end; a separate process migrates
it. The fixture is written with bulk_create (no history rows): one prefecture with 16 departments and 60
sections, all --systems systems in it (the office of a body that large reads them all: the worst case),
5% retired. The profiles are a mix like the R5 survey's: 20% of the systems internet-facing; 8% never
confirmed (no profile), 7% last confirmed 13–30 months ago (stale), the rest within the year; of the
internet-facing systems about half enrolled in one or more of the three services, a third of the rest
with own measures (some "other measures" with a description), and of the rest 60% with an exemption
reason and a note; a tenth of the inside systems enrolled in a service too.

Two people of the prefecture ask: the office administrator (the whole body) and an editor of one
department (that department). For each: warm-up requests, then timed requests through Django's test
Client (the whole middleware stack, the session in the database) with the queries of each request
counted: the report unfiltered over its pages, only the gaps, one gap reason, and (for the office) one
department. The CSV export of the whole list is timed too, without a target. Every answer must be 200.

Python's full garbage collections run every few requests and take 100–250 ms over the heap of this
process (Django, the fixture's objects); they decide the 95th percentile. --gc-freeze freezes the heap
before measuring, as a server can (gc.freeze() once the application is loaded), so that they skip it.

The exit status is 0 even when a target is missed (it is a benchmark); --strict makes a miss exit 1.
A response other than 200 always exits 1: the figures then do not measure the page.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import io
import math
import os
import platform
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import migrate, percentile, postgres_admin, short, timed_statements, with_database

REPO = Path(__file__).resolve().parent.parent
SETTINGS = "karte.settings"
TARGET_P95_MS = 150.0
PER_PAGE = 50  # karte.core.generic.PER_PAGE; only used to choose which page numbers to ask for

DEPARTMENTS = 16
SECTIONS = 60
INTERNET_FACING = 0.20
NEVER_CONFIRMED = 0.08
STALE = 0.07
RETIRED = 0.05
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
SYSTEM_WORDS = (
    "電子申請",
    "施設予約",
    "ホームページ",
    "オープンデータ",
    "図書館",
    "防災情報",
    "入札",
    "GIS",
    "統計",
    "文書管理",
)


# -- the fixture ------------------------------------------------------------------------------------
@dataclass
class Fixture:
    prefecture: object
    office: object
    editor: object
    counts: dict
    seconds: dict = field(default_factory=dict)


def profile_for(rng: random.Random, system_id: int, internet_facing: bool, today: datetime.date):
    """One system's profile as its owner might have answered, or None for a system never confirmed."""
    from karte.security.choices import Exemption
    from karte.security.models import ProtectionProfile

    if rng.random() < NEVER_CONFIRMED:
        return None
    stale = rng.random() < STALE
    confirmed_on = today - datetime.timedelta(days=rng.randint(400, 900) if stale else rng.randint(0, 360))
    profile = ProtectionProfile(system_id=system_id, confirmed_on=confirmed_on)
    enrol = rng.random() < (0.5 if internet_facing else 0.1)
    if enrol:
        for flag, since in (
            ("traffic_enrolled", "traffic_since"),
            ("web_malware_enrolled", "web_malware_since"),
            ("response_enrolled", "response_since"),
        ):
            if rng.random() < 0.6:
                setattr(profile, flag, True)
                setattr(profile, since, datetime.date(rng.randint(2016, 2024), 4, 1))
        if not profile.enrolled_services:
            profile.traffic_enrolled = True
    elif rng.random() < 0.33:
        for measure in ("waf", "ips_ids", "edr", "soc_24h", "cdn_cloud"):
            setattr(profile, measure, rng.random() < 0.35)
        if rng.random() < 0.3 or not profile.own_measures:
            profile.other_measures = True
            profile.measures_description = "委託事業者による24時間監視と月次の脆弱性診断"
    elif internet_facing and rng.random() < 0.6:
        profile.exemption = rng.choice([e.value for e in Exemption])
        profile.exemption_note = "国のシステムを利用しており、監視は国が実施している"
    return profile


def generate(n_systems: int, seed: int = 2025) -> Fixture:
    """Write the prefecture, its systems and their profiles; return the two people who ask."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from karte.core.choices import OrgUnitKind, Role
    from karte.core.services import create_org_unit, set_membership
    from karte.security.models import ProtectionProfile
    from karte.systems.choices import Hosting, NetworkTier, SystemStatus
    from karte.systems.models import System

    rng = random.Random(seed)
    seconds = {}
    today = timezone.localdate()

    started = time.perf_counter()
    with transaction.atomic():
        prefecture = create_org_unit(kind=OrgUnitKind.BODY, code="270008", name="大阪府")
        departments = [
            create_org_unit(
                kind=OrgUnitKind.DEPARTMENT,
                code=f"{d + 1:02d}",
                name=f"{DEPARTMENT_WORDS[d % len(DEPARTMENT_WORDS)]}部",
                parent=prefecture,
            )
            for d in range(DEPARTMENTS)
        ]
        sections = []
        for s in range(SECTIONS):
            department = departments[s % DEPARTMENTS]
            seq = s // DEPARTMENTS + 1
            sections.append(
                create_org_unit(
                    kind=OrgUnitKind.SECTION,
                    code=f"{department.code}{seq:03d}",
                    name=f"{department.name}{SECTION_WORDS[s % len(SECTION_WORDS)]}第{seq}課",
                    parent=department,
                )
            )
    seconds["organisation"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        hostings = [h for h, _label in Hosting.choices]
        tiers = [t for t, _label in NetworkTier.choices]
        systems = []
        for i in range(n_systems):
            section = sections[i % len(sections)]
            word = SYSTEM_WORDS[i % len(SYSTEM_WORDS)]
            systems.append(
                System(
                    unit_id=section.pk,
                    # System.save() derives it from the unit; bulk_create does not call save().
                    body_id=section.body_id,
                    code=f"S{i + 1:05d}",
                    name=f"{section.name}{word}システム",
                    status=SystemStatus.RETIRED if rng.random() < RETIRED else SystemStatus.ACTIVE,
                    hosting=rng.choice(hostings),
                    network_tier=rng.choice(tiers),
                    internet_facing=rng.random() < INTERNET_FACING,
                )
            )
        System.objects.bulk_create(systems, batch_size=2000)
        rows = System.objects.filter(body=prefecture).order_by("pk").values_list("pk", "internet_facing")
        profiles = [p for pk, facing in rows if (p := profile_for(rng, pk, facing, today)) is not None]
        ProtectionProfile.objects.bulk_create(profiles, batch_size=2000)
    seconds["systems and profiles"] = time.perf_counter() - started

    users = get_user_model()
    office_section = next(s for s in sections if s.department_id == departments[3].pk)
    editor_department = departments[5]
    editor_section = next(s for s in sections if s.department_id == editor_department.pk)
    office = users.objects.create_user("bench_office", last_name="行政DX推進課")
    set_membership(office, role=Role.OFFICE_ADMIN, unit=office_section)
    editor = users.objects.create_user("bench_editor", last_name=editor_department.name)
    set_membership(editor, role=Role.EDITOR, unit=editor_section)

    counts = {
        "systems": System.objects.count(),
        "internet-facing": System.objects.filter(internet_facing=True).count(),
        "profiles": ProtectionProfile.objects.count(),
        "editor's systems": System.objects.filter(unit__department=editor_department).count(),
    }
    return Fixture(prefecture, office, editor, counts, seconds)


# -- the requests ------------------------------------------------------------------------------------
@dataclass
class Row:
    page: str
    user: str
    urls: list[tuple[str, str]]  # (variant label, URL) of the timed requests
    target: bool = True
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
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
            not self.bad and bool(self.times_ms) and (not self.target or self.percentile(95) < TARGET_P95_MS)
        )


def listed_count(user, params: dict) -> tuple[int, dict]:
    """Return how many rows the report lists `user` for `params`, and the figures, through the selectors."""
    from django.utils import timezone

    from karte.security import selectors

    placed = selectors.placed_systems(selectors.systems_for_coverage(user), timezone.localdate())
    in_view = selectors.filter_placed(placed, department_id=params.get("department"))
    chosen = {k: v for k, v in params.items() if k in ("coverage", "gap_reason")}
    listed = selectors.filter_placed(selectors.report_rows(in_view), **chosen)
    return listed.count(), selectors.coverage_figures(in_view)


def variants(user, is_office: bool) -> list[tuple[str, dict]]:
    from django.db.models import Count

    from karte.core.scoping import VIEW
    from karte.systems.models import System

    found = [("all", {}), ("gaps", {"coverage": "gap"}), ("stale", {"gap_reason": "stale"})]
    if is_office:
        department = (
            System.objects.restrict(user, VIEW)
            .values("unit__department")
            .annotate(n=Count("pk"))
            .order_by("-n", "unit__department")
            .values_list("unit__department", flat=True)
            .first()
        )
        found.append(("department", {"department": department}))
    return found


def plan_urls(user, is_office: bool, n: int, warmup: int) -> dict[str, list[tuple[str, str]]]:
    """Return, per page, the (label, URL) of the warm-up then the timed requests one person makes."""
    from django.urls import reverse

    url = reverse("security:coverage")
    total = warmup + n
    plans = []
    for label, params in variants(user, is_office):
        count, _figures = listed_count(user, params)
        plans.append((label, params, max(1, math.ceil(count / PER_PAGE))))
    pages = []
    for i in range(total):
        label, params, n_pages = plans[i % len(plans)]
        page = (i // len(plans)) % n_pages + 1
        pages.append((label, f"{url}?{urlencode({**params, 'page': page})}"))
    exports = [("csv", f"{url}?export=csv")] * max(1, total // 4)
    return {"coverage": pages, "export": exports}


_reported_errors: set[str] = set()


def ask(client, url: str):
    """Return (status or exception text, ms, query count, bytes) of one GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        try:
            response = client.get(url)
            status = response.status_code
            size = len(response.content)
        except Exception as error:  # noqa: BLE001  reported in the table, with the traceback once
            status = f"{type(error).__name__}: {error}"
            size = 0
            if status not in _reported_errors:
                _reported_errors.add(status)
                traceback.print_exc()
        elapsed = (time.perf_counter() - started) * 1000
    return status, elapsed, len(captured), size


def measure(fixture: Fixture, n: int, warmup: int) -> list[Row]:
    from django.test import Client

    rows = []
    people = {"office": (fixture.office, True), "editor": (fixture.editor, False)}
    plans = {name: plan_urls(user, is_office, n, warmup) for name, (user, is_office) in people.items()}
    for page in ("coverage", "export"):
        for name, (user, _is_office) in people.items():
            client = Client()
            client.force_login(user)
            urls = plans[name][page]
            skip = warmup if page == "coverage" else 1
            row = Row(page, name, urls[skip:], target=page == "coverage")
            for _label, url in urls[:skip]:
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
            row.client = client
            rows.append(row)
            print(
                f"  {page:<8} {name:<7} p95 {row.percentile(95):7.1f} ms, "
                f"{min(row.queries)}–{max(row.queries)} queries",
                flush=True,
            )
    return rows


# -- finding what is slow ---------------------------------------------------------------------------
def sql_profile(client, url: str, top: int, explain: bool) -> None:
    """Ask for `url` once, timing every statement; print the slowest and any that repeat."""
    from django.db import connection

    started = time.perf_counter()
    with timed_statements() as statements:
        response = client.get(url)
    total = (time.perf_counter() - started) * 1000
    sql_ms = sum(s[0] for s in statements)
    print(
        f"    {url}: {response.status_code}, {total:.1f} ms, of which SQL {sql_ms:.1f} ms "
        f"in {len(statements)} statements (the rest is Python: the rule, view, template, middleware)"
    )
    for ms, sql, params in sorted(statements, key=lambda s: s[0], reverse=True)[:top]:
        print(f"    {ms:8.2f} ms  {short(sql)}")
        if params:
            print(f"                 params {short(repr(params), 200)}")
    repeated = Counter(sql for _ms, sql, _p in statements)
    for sql, count in repeated.most_common():
        if count < 2:
            break
        spent = sum(ms for ms, s, _p in statements if s == sql)
        print(f"    repeated {count}× ({spent:.1f} ms): {short(sql)}")
    if explain and statements:
        _ms, sql, params = max(statements, key=lambda s: s[0])
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            plan = cursor.fetchall()
        print("    plan of the slowest statement:")
        for line in plan:
            print(f"      {' | '.join(str(c) for c in line)}")


def python_profile(client, url: str, lines: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(client.get, url)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    print(out.getvalue())


# -- the report -------------------------------------------------------------------------------------
def print_table(rows: list[Row]) -> bool:
    header = (
        f"{'page':<8}  {'user':<7}  {'requests':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}  "
        f"{'queries':>9}  {'KB':>5}  {'target':<14}  result"
    )
    print()
    print(header)
    print("-" * len(header))
    ok = True
    for row in rows:
        if row.bad:
            statuses = Counter(status for _url, status in row.bad)
            outcome = "FAIL (" + ", ".join(f"{s} ×{c}" for s, c in statuses.items()) + ")"
        elif not row.target:
            outcome = "(no target)"
        else:
            outcome = "PASS" if row.passed else "FAIL"
        ok = ok and row.passed
        queries = f"{min(row.queries)}–{max(row.queries)}"
        target = f"p95 < {TARGET_P95_MS:g} ms" if row.target else "—"
        print(
            f"{row.page:<8}  {row.user:<7}  {len(row.times_ms):>8}  {row.percentile(50):>7.1f}  "
            f"{row.percentile(95):>7.1f}  {max(row.times_ms):>7.1f}  {queries:>9}  "
            f"{statistics.median(row.sizes) / 1024:>5.0f}  {target:<14}  {outcome}"
        )
    print()
    for row in rows:
        variants_ = row.by_variant()
        if len(variants_) > 1:
            parts = ", ".join(
                f"{label} {percentile(times, 50):.0f}/{percentile(times, 95):.0f}"
                for label, times in variants_.items()
            )
            print(f"  {row.page} / {row.user}, p50/p95 ms by variant: {parts}")
    for row in rows:
        for url, status in row.bad[:5]:
            print(f"  ! {row.page} / {row.user}: {url} answered {status}")
    return ok


def print_figures(fixture: Fixture) -> None:
    """The figures the report shows each person, so that a run can be checked against the page."""
    for name, user in (("office", fixture.office), ("editor", fixture.editor)):
        _count, figures = listed_count(user, {})
        gaps = ", ".join(f"{reason} {n}" for reason, n in figures["gaps_by_reason"].items())
        f = figures
        exempt = f"{f['exempt_national']}/{f['exempt_private_service']}/{f['exempt_not_exposed']}"
        print(
            f"  {name}: {f['systems']:,} systems, {f['internet_exposed']:,} internet-facing, "
            f"{f['exposed_not_enrolled']:,} in no service ({f['own_measures_among_not_enrolled']:,} with own "
            f"measures; exempt national/private/not exposed {exempt}), {f['unaccounted_gap']:,} gaps ({gaps})"
        )


def run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("security:coverage")
    except NoReverseMatch as error:
        print(f"The page is not there yet: {error}", file=sys.stderr)
        return 1

    print(f"generating {args.systems:,} systems on {connection.vendor}…", flush=True)
    started = time.perf_counter()
    fixture = generate(args.systems)
    generated = time.perf_counter() - started
    counts = ", ".join(f"{value:,} {name}" for name, value in fixture.counts.items())
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in fixture.seconds.items())
    print(f"generated in {generated:.1f} s ({steps}): {counts}")
    # Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would have them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print_figures(fixture)

    print(
        f"measuring: {args.warmup} warm-up + {args.requests} timed requests per person "
        f"(and {max(1, (args.warmup + args.requests) // 4) - 1} exports)…",
        flush=True,
    )
    if args.gc_freeze:
        # As a server that freezes its start-up heap would (gc.freeze() in the WSGI module or gunicorn's
        # post_fork): the full collections then skip Django's and the fixture's objects.
        gc.collect()
        gc.freeze()
    load_before = os.getloadavg()[0]
    rows = measure(fixture, args.requests, args.warmup)
    load_after = os.getloadavg()[0]
    ok = print_table(rows)
    print(
        f"database: {connection.vendor}; {fixture.counts['systems']:,} systems in one body, "
        f"{fixture.counts['profiles']:,} profiles; p95 is nearest-rank; times include query capture; "
        f"start-up heap {'frozen (gc.freeze)' if args.gc_freeze else 'not frozen'}."
    )
    print(
        f"1-minute load average {load_before:.1f} before and {load_after:.1f} after measuring "
        f"on {os.cpu_count()} CPUs: above the CPU count, other work was competing for them."
    )

    to_explain = [row for row in rows if args.sql or not row.passed]
    for row in to_explain:
        _label, url = row.urls[row.times_ms.index(max(row.times_ms))]
        print(f"\n== {row.page} / {row.user}: the slowest statements of one request ==")
        sql_profile(row.client, url, args.sql_lines, args.explain)
        if args.profile:
            print(f"\n== {row.page} / {row.user}: cProfile of one request ==")
            python_profile(row.client, url, args.profile_lines)

    if any(row.bad for row in rows):
        return 1
    return 1 if args.strict and not ok else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--systems", type=int, default=5_000, metavar="N", help="systems (default 5000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per person")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per person")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before measuring: Python's full collections (every few requests, 100-250 ms over "
        "the benchmark's heap) then skip the start-up objects, as on a server that freezes them",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory / database")
    parser.add_argument(
        "--sql", action="store_true", help="print the slowest SQL of one request for every row"
    )
    parser.add_argument("--sql-lines", type=int, default=8, help="statements shown per request")
    parser.add_argument("--explain", action="store_true", help="also print the plan of the slowest statement")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile one request of each row explained (missed, or all with --sql)",
    )
    parser.add_argument("--profile-lines", type=int, default=30, help="functions shown per cProfile listing")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["KARTE_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("KARTE_LOG_LEVEL", "WARNING")
    parent_dir = os.environ.get("KARTE_VAR_DIR") or None
    if parent_dir:
        Path(parent_dir).mkdir(parents=True, exist_ok=True)
    var_dir = tempfile.mkdtemp(prefix="security-bench-", dir=parent_dir)
    os.environ["KARTE_VAR_DIR"] = var_dir
    database = (
        "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite (fresh KARTE_VAR_DIR)"
    )
    print(
        f"Coverage-gap report benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{database}, {args.systems:,} systems"
    )
    pg_database = url = None
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        pg_database = f"karte_security_bench_{os.getpid()}"
        postgres_admin(url, f'DROP DATABASE IF EXISTS "{pg_database}"')
        postgres_admin(url, f'CREATE DATABASE "{pg_database}"')
        os.environ["DATABASE_URL"] = with_database(url, pg_database)
    try:
        started = time.perf_counter()
        migrate()
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        return run(args)
    finally:
        if pg_database and not args.keep:
            from django.db import connections

            connections.close_all()
            postgres_admin(url, f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)')
        elif pg_database:
            print(f"kept database {pg_database}")
        if args.keep or parent_dir:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
