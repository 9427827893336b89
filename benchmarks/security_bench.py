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
import datetime
import gc
import math
import os
import random
import sys
import time
from urllib.parse import urlencode

from common import run_on_fresh_database, setup_django
from pages import (
    EDITOR_DEPARTMENT,
    Fixture,
    Row,
    add_departments,
    add_options,
    build_fixture,
    busiest_department,
    finish,
    office_and_editor,
    print_load,
    print_table,
    time_page,
)

TARGET_P95_MS = 150.0
PER_PAGE = 50  # karte.core.generic.PER_PAGE; only used to choose which page numbers to ask for

DEPARTMENTS = 16
SECTIONS = 60
INTERNET_FACING = 0.20
NEVER_CONFIRMED = 0.08
STALE = 0.07
RETIRED = 0.05
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
    from django.db import transaction
    from django.utils import timezone

    from karte.core.choices import OrgUnitKind
    from karte.core.services import create_org_unit
    from karte.security.models import ProtectionProfile
    from karte.systems.choices import Hosting, NetworkTier, SystemStatus
    from karte.systems.models import System

    rng = random.Random(seed)
    seconds = {}
    today = timezone.localdate()

    started = time.perf_counter()
    with transaction.atomic():
        prefecture = create_org_unit(kind=OrgUnitKind.BODY, code="270008", name="大阪府")
        departments, sections = add_departments(prefecture, DEPARTMENTS, SECTIONS)
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

    office, editor = office_and_editor(departments, sections)
    editor_department = departments[EDITOR_DEPARTMENT]

    counts = {
        "systems": System.objects.count(),
        "internet-facing": System.objects.filter(internet_facing=True).count(),
        "profiles": ProtectionProfile.objects.count(),
        "editor's systems": System.objects.filter(unit__department=editor_department).count(),
    }
    return Fixture(prefecture, office, editor, counts, seconds)


# -- the requests ------------------------------------------------------------------------------------
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
    found = [("all", {}), ("gaps", {"coverage": "gap"}), ("stale", {"gap_reason": "stale"})]
    if is_office:
        found.append(("department", {"department": busiest_department(user)}))
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
    # One warm-up export, then at least one timed.
    exports = [("csv", f"{url}?export=csv")] * max(2, total // 4)
    return {"coverage": pages, "export": exports}


def measure(fixture: Fixture, n: int, warmup: int) -> list[Row]:
    people = {"office": (fixture.office, True), "editor": (fixture.editor, False)}
    plans = {name: plan_urls(user, is_office, n, warmup) for name, (user, is_office) in people.items()}
    rows = []
    for page in ("coverage", "export"):
        for name, (user, _is_office) in people.items():
            skip, target = (warmup, TARGET_P95_MS) if page == "coverage" else (1, None)
            rows.append(time_page(page, name, user, plans[name][page], skip, target))
    return rows


# -- the report -------------------------------------------------------------------------------------
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
    setup_django()
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("security:coverage")
    except NoReverseMatch as error:
        print(f"The page is not there yet: {error}", file=sys.stderr)
        return 1

    fixture = build_fixture(lambda: generate(args.systems), f"{args.systems:,} systems")
    print_figures(fixture)

    print(
        f"measuring: {args.warmup} warm-up + {args.requests} timed requests per person "
        f"(and {max(2, (args.warmup + args.requests) // 4) - 1} exports)…",
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
    ok = print_table(rows, "KB")
    print(
        f"database: {connection.vendor}; {fixture.counts['systems']:,} systems in one body, "
        f"{fixture.counts['profiles']:,} profiles; p95 is nearest-rank; times include query capture; "
        f"start-up heap {'frozen (gc.freeze)' if args.gc_freeze else 'not frozen'}."
    )
    print_load(load_before, load_after)
    return finish(rows, ok, args, rest="the rule, view, template, middleware")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--systems", type=int, default=5_000, metavar="N", help="systems (default 5000)")
    add_options(parser, per="person")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before measuring: Python's full collections (every few requests, 100-250 ms over "
        "the benchmark's heap) then skip the start-up objects, as on a server that freezes them",
    )
    args = parser.parse_args(argv)
    return run_on_fresh_database(
        args, "Coverage-gap report benchmark", f"{args.systems:,} systems", "security", lambda: run(args)
    )


if __name__ == "__main__":
    sys.exit(main())
