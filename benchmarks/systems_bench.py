"""Benchmark of the system karte pages: the list, a karte page and the lock-in list on a full prefecture.

    .venv/bin/python benchmarks/systems_bench.py                    # 5,000 systems, SQLite, temp dir
    .venv/bin/python benchmarks/systems_bench.py --systems 500      # a quick run
    .venv/bin/python benchmarks/systems_bench.py --sql              # slowest SQL of one request per row
    .venv/bin/python benchmarks/systems_bench.py --profile          # + cProfile of one request per row
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/systems_bench.py     # PostgreSQL

Target: with 5,000 systems, 50,000 contracts and 10 fiscal years of costs (a prefecture and all its
municipalities on one instance), each page answers in under 150 ms at the 95th percentile, on SQLite
and on PostgreSQL, with a bounded number of queries per page.

The database is fresh and is thrown away afterwards: a SQLite file in a new KARTE_VAR_DIR or, with
DATABASE_URL, a new PostgreSQL database on that server, dropped at the end; a separate process migrates
it. The fixture is written with bulk_create (no history rows), as the app would have it: a prefecture
and 42 municipalities, their departments and sections, ~200 vendors per body, per system 10 contracts
over FY2015–FY2024 (development, runs of maintenance contracts that change vendor now and then, lease,
licence, cloud) and 10 fiscal years of costs, then rebuild_maintenance_runs() for every system.

Two people of the prefecture ask: the office administrator (sees the whole body) and an editor of one
department (sees that department). For each page and person: warm-up requests, then timed requests
through Django's test Client (the whole middleware stack, the session in the database) with the queries
of each request counted. The karte page is asked for different systems of the prefecture, the list for
pages 1..n unfiltered and with filters, the lock-in list at fy=2024. Every answer must be 200.

The exit status is 0 even when a target is missed (it is a benchmark); --strict makes a miss exit 1.
A response other than 200 always exits 1: the figures then do not measure the page.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode

from common import run_on_fresh_database, setup_django
from pages import (
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
FIRST_FY, LAST_FY = 2015, 2024
LOCK_IN_FY = 2024
PER_PAGE = 50  # karte.core.generic.PER_PAGE; only used to choose which page numbers to ask for

MUNICIPALITIES = 42
PREFECTURE_SHARE = 0.4
PREFECTURE_DEPARTMENTS = 16
PREFECTURE_SECTIONS = 60
MUNICIPAL_DEPARTMENTS = 3
MUNICIPAL_SECTIONS_PER_DEPARTMENT = 2
VENDORS_PER_BODY = 200
CONTRACTS_PER_SYSTEM = 10  # 1 development + 6 maintenance + lease + licence + cloud
MAINTENANCE_CONTRACTS = 6

CITY_WORDS = (
    "北",
    "南",
    "東",
    "西",
    "中央",
    "港",
    "川",
    "山",
    "浜",
    "丘",
    "野",
    "田",
    "原",
    "森",
)
SYSTEM_WORDS = (
    "財務会計",
    "文書管理",
    "人事給与",
    "庶務事務",
    "電子申請",
    "施設予約",
    "税務",
    "福祉総合",
    "介護保険",
    "国民健康保険",
    "住民記録",
    "統合宛名",
    "道路台帳",
    "下水道台帳",
    "図書館",
    "学校事務",
    "防災情報",
    "統計",
    "入札",
    "GIS",
)
VENDOR_WORDS = (
    "日本",
    "関西",
    "大阪",
    "情報",
    "システム",
    "テクノ",
    "データ",
    "ソフト",
    "ネット",
    "電算",
    "総研",
    "ソリューションズ",
)
LEGAL_FORMS = ("株式会社{}", "{}株式会社", "有限会社{}", "{}(株)")


# -- the fixture ------------------------------------------------------------------------------------
def _weights(n: int) -> list[float]:
    """A few vendors win most contracts: Zipf-like weights for n vendors."""
    return [1 / (rank + 1) ** 0.8 for rank in range(n)]


def generate(n_systems: int, threshold: int | None, seed: int = 2024) -> Fixture:
    """Write the prefecture, its municipalities and their systems; return the two people who ask."""
    from django.db import transaction

    from karte.core.choices import OrgUnitKind
    from karte.core.services import create_org_unit
    from karte.systems.choices import (
        ContractKind,
        Hosting,
        NetworkTier,
        Optimisation,
        ProcurementMethod,
        StandardBusiness,
        SystemStatus,
    )
    from karte.systems.models import (
        Contract,
        Cost,
        MaintenanceRun,
        PortfolioSettings,
        System,
        Vendor,
        WorkingGroup,
    )
    from karte.systems.services import normalize_vendor_name, rebuild_maintenance_runs

    rng = random.Random(seed)
    seconds = {}
    batch = 2000

    # Organisation: through the service, which derives body and department as the app does.
    started = time.perf_counter()
    with transaction.atomic():
        prefecture = create_org_unit(kind=OrgUnitKind.BODY, code="270008", name="大阪府")
        bodies = [prefecture]
        for i in range(MUNICIPALITIES):
            word = CITY_WORDS[i % len(CITY_WORDS)]
            name = f"{word}{'市' if i % 3 else '町'}" if i < len(CITY_WORDS) else f"{word}第{i}市"
            bodies.append(create_org_unit(kind=OrgUnitKind.BODY, code=f"27{i + 1:03d}1", name=name))
        departments_of: dict[int, list] = {}
        sections_of: dict[int, list] = {}
        for body in bodies:
            if body.pk == prefecture.pk:
                found = add_departments(body, PREFECTURE_DEPARTMENTS, PREFECTURE_SECTIONS)
            else:
                n_sections = MUNICIPAL_DEPARTMENTS * MUNICIPAL_SECTIONS_PER_DEPARTMENT
                found = add_departments(body, MUNICIPAL_DEPARTMENTS, n_sections, suffix="課")
            departments_of[body.pk], sections_of[body.pk] = found
    seconds["organisation"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        # Vendors: ~200 per body, under names that normalise to distinct identities.
        vendors = []
        for body in bodies:
            seen = set()
            for v in range(VENDORS_PER_BODY):
                words = len(VENDOR_WORDS)
                stem = f"{VENDOR_WORDS[v % words]}{VENDOR_WORDS[(v * 7 + 3) % words]}{v + 1}"
                name = LEGAL_FORMS[v % len(LEGAL_FORMS)].format(stem)
                key = normalize_vendor_name(name)
                assert key not in seen, key
                seen.add(key)
                vendors.append(Vendor(body_id=body.pk, name=name, normalized_name=key))
        Vendor.objects.bulk_create(vendors, batch_size=batch)
        vendor_ids: dict[int, list[int]] = defaultdict(list)
        for pk, body_id in Vendor.objects.order_by("pk").values_list("pk", "body_id"):
            vendor_ids[body_id].append(pk)
        vendor_weights = _weights(VENDORS_PER_BODY)

        if threshold is not None:
            PortfolioSettings.objects.bulk_create(
                PortfolioSettings(body_id=body.pk, lock_in_threshold_years=threshold) for body in bodies
            )
        groups = WorkingGroup.objects.bulk_create(
            WorkingGroup(body_id=prefecture.pk, name=f"共通プラットフォーム移行WG{g + 1}") for g in range(3)
        )

        # Systems: 40% in the prefecture, the rest spread over the municipalities, in sections.
        n_prefecture = round(n_systems * PREFECTURE_SHARE)
        owners = [prefecture] * n_prefecture + [
            bodies[1 + i % MUNICIPALITIES] for i in range(n_systems - n_prefecture)
        ]
        statuses = [SystemStatus.ACTIVE] * 17 + [SystemStatus.RENEWING, SystemStatus.RETIRED]
        hostings = [h for h, _label in Hosting.choices]
        tiers = [t for t, _label in NetworkTier.choices]
        businesses = [b for b, _label in StandardBusiness.choices]
        optimisations = [o for o, _label in Optimisation.choices]
        code_seq: Counter = Counter()
        systems = []
        for i, body in enumerate(owners):
            code_seq[body.pk] += 1
            section = sections_of[body.pk][i % len(sections_of[body.pk])]
            word = SYSTEM_WORDS[i % len(SYSTEM_WORDS)]
            hosting = rng.choice(hostings)
            is_prefecture = body.pk == prefecture.pk
            systems.append(
                System(
                    unit_id=section.pk,
                    # System.save() derives it from the unit; bulk_create does not call save().
                    body_id=section.body_id,
                    code=f"S{code_seq[body.pk]:05d}",
                    name=f"{section.name}{word}システム",
                    purpose=f"{word}業務の効率化と住民サービスの向上",
                    users=f"{section.name}職員",
                    go_live_fy=rng.randint(2000, 2020),
                    status=rng.choice(statuses),
                    hosting=hosting,
                    network_tier=rng.choice(tiers),
                    internet_facing=rng.random() < 0.2,
                    handles_personal_data=rng.random() < 0.6,
                    handles_my_number=rng.random() < 0.15,
                    standard_business="" if is_prefecture or rng.random() < 0.6 else rng.choice(businesses),
                    next_renewal_fy=rng.randint(2025, 2032),
                    issues="保守費用の増加、特定事業者への依存" if rng.random() < 0.3 else "",
                    plan="次期更新時にクラウド移行を検討" if rng.random() < 0.3 else "",
                    optimisation=rng.choice(optimisations) if rng.random() < 0.4 else "",
                    migration_destination="ガバメントクラウド" if hosting == Hosting.COMMON_PLATFORM else "",
                    working_group_id=rng.choice(groups).pk
                    if is_prefecture and hosting == Hosting.COMMON_PLATFORM and rng.random() < 0.5
                    else None,
                )
            )
        System.objects.bulk_create(systems, batch_size=batch)
        system_rows = list(System.objects.order_by("pk").values_list("pk", "body_id"))

        # Contracts and costs: 10 each per system over FY2015–FY2024.
        procurement = [p for p, _label in ProcurementMethod.choices]
        contracts = []
        costs = []
        for system_id, body_id in system_rows:
            pool = vendor_ids[body_id]

            def pick(pool=pool):
                return rng.choices(pool, weights=vendor_weights)[0]

            developer = pick()
            contracts.append(
                Contract(
                    system_id=system_id,
                    vendor_id=developer,
                    kind=ContractKind.DEVELOPMENT,
                    fy_from=FIRST_FY,
                    fy_to=FIRST_FY,
                    amount_thousand_yen=rng.randint(5_000, 300_000),
                    procurement_method=rng.choice(
                        [ProcurementMethod.OPEN_TENDER, ProcurementMethod.PROPOSAL]
                    ),
                )
            )
            # Maintenance: consecutive contracts FY2015..FY2024; the developer keeps it unless,
            # now and then, a tender hands it to another vendor. The last one is sometimes open-ended.
            cuts = sorted(rng.sample(range(FIRST_FY + 1, LAST_FY + 1), MAINTENANCE_CONTRACTS - 1))
            starts = [FIRST_FY, *cuts]
            vendor = developer
            for k, fy_from in enumerate(starts):
                last = k == len(starts) - 1
                fy_to = LAST_FY if last else starts[k + 1] - 1
                changed = k > 0 and rng.random() < 0.12
                if changed:
                    vendor = pick()
                method = (
                    ProcurementMethod.OPEN_TENDER
                    if changed
                    else rng.choice([ProcurementMethod.SOLE_SOURCE] * 3 + procurement)
                )
                contracts.append(
                    Contract(
                        system_id=system_id,
                        vendor_id=vendor,
                        kind=ContractKind.MAINTENANCE,
                        fy_from=fy_from,
                        fy_to=None if last and rng.random() < 0.3 else fy_to,
                        amount_thousand_yen=rng.randint(500, 30_000) * (fy_to - fy_from + 1),
                        procurement_method=method,
                    )
                )
            lease_from = rng.randint(FIRST_FY, LAST_FY - 4)
            for kind, fy_from, fy_to in (
                (ContractKind.LEASE, lease_from, lease_from + 4),
                (ContractKind.LICENCE, rng.randint(FIRST_FY, LAST_FY), None),
                (ContractKind.CLOUD, rng.randint(2019, LAST_FY), None if rng.random() < 0.5 else LAST_FY),
            ):
                contracts.append(
                    Contract(
                        system_id=system_id,
                        vendor_id=pick(),
                        kind=kind,
                        fy_from=fy_from,
                        fy_to=fy_to,
                        amount_thousand_yen=rng.randint(100, 20_000) if rng.random() < 0.9 else None,
                        procurement_method=rng.choice(procurement) if rng.random() < 0.9 else "",
                    )
                )
            base = rng.randint(1_000, 80_000)
            for fy in range(FIRST_FY, LAST_FY + 1):
                budget = round(base * rng.uniform(0.8, 1.3))
                costs.append(
                    Cost(
                        system_id=system_id,
                        fiscal_year=fy,
                        budget_thousand_yen=budget,
                        settlement_thousand_yen=round(budget * rng.uniform(0.85, 1.0))
                        if rng.random() < 0.95
                        else None,
                    )
                )
        Contract.objects.bulk_create(contracts, batch_size=batch)
        Cost.objects.bulk_create(costs, batch_size=batch)
    seconds["systems, contracts, costs"] = time.perf_counter() - started

    started = time.perf_counter()
    ids = [pk for pk, _body in system_rows]
    for i in range(0, len(ids), 1000):
        rebuild_maintenance_runs(ids[i : i + 1000])
    seconds["maintenance runs"] = time.perf_counter() - started

    # The two people: the office of the prefecture and an editor of one of its departments.
    office, editor = office_and_editor(departments_of[prefecture.pk], sections_of[prefecture.pk])

    from django.db.models import F

    from karte.core.models import OrgUnit

    assert not System.objects.exclude(body=F("unit__body")).exists(), "System.body must be its unit's body"
    counts = {
        "bodies": len(bodies),
        "units": OrgUnit.objects.count(),
        "vendors": Vendor.objects.count(),
        "systems": System.objects.count(),
        "prefecture systems": System.objects.filter(body=prefecture).count(),
        "contracts": Contract.objects.count(),
        "costs": Cost.objects.count(),
        "maintenance runs": MaintenanceRun.objects.count(),
    }
    return Fixture(prefecture, office, editor, counts, seconds)


# -- the requests ------------------------------------------------------------------------------------
def list_variants(user) -> list[tuple[str, dict]]:
    """(label, query parameters) of the ways the list is asked for: unfiltered, and a few filters."""
    return [
        ("all", {}),
        ("hosting+status", {"hosting": "cloud", "status": "active"}),
        ("search", {"q": "財務会計"}),
        ("locked_in+sort", {"locked_in": "yes", "sort": "-next_renewal_fy"}),
        ("department", {"department": busiest_department(user)}),
    ]


def matching(user, params: dict) -> int:
    """Return how many systems the list shows `user` for `params`, through the list's own filters."""
    from types import SimpleNamespace

    from django.http import QueryDict

    from karte.core.scoping import VIEW
    from karte.systems.filters import SystemFilterSet
    from karte.systems.models import System

    query = QueryDict(mutable=True)
    query.update(params)
    filterset = SystemFilterSet(
        query, queryset=System.objects.restrict(user, VIEW), request=SimpleNamespace(user=user)
    )
    if not filterset.is_valid():
        raise SystemExit(f"the list rejects {params}: {filterset.errors.as_text()}")
    return filterset.qs.count()


def plan_urls(user, prefecture, n: int, warmup: int) -> dict[str, list[tuple[str, str]]]:
    """Return, per page, the (label, URL) of the warm-up then the timed requests one person makes."""
    from django.urls import reverse

    from karte.core.scoping import VIEW
    from karte.systems.models import System

    visible = System.objects.restrict(user, VIEW)
    total = warmup + n

    # The list: every variant in turn, each over its pages 1..n (then from 1 again).
    list_url = reverse("systems:system_list")
    variants = [
        (label, params, max(1, math.ceil(matching(user, params) / PER_PAGE)))
        for label, params in list_variants(user)
    ]
    list_urls = []
    for i in range(total):
        label, params, pages = variants[i % len(variants)]
        page = (i // len(variants)) % pages + 1
        list_urls.append((label, f"{list_url}?{urlencode({**params, 'page': page})}"))

    # The karte page: different systems of the prefecture, spread over all those the person sees.
    ids = list(visible.filter(body=prefecture).order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise SystemExit(f"{user.username} sees no system of the prefecture")
    step = max(1, len(ids) // total)
    chosen = [ids[(i * step) % len(ids)] for i in range(total)]
    detail_urls = [("system", reverse("systems:system_detail", kwargs={"pk": pk})) for pk in chosen]

    lock_in_urls = [(f"fy={LOCK_IN_FY}", f"{reverse('systems:lock_in')}?fy={LOCK_IN_FY}")] * total
    return {"list": list_urls, "karte": detail_urls, "lock-in": lock_in_urls}


def measure(fixture: Fixture, n: int, warmup: int) -> list[Row]:
    people = {"office": fixture.office, "editor": fixture.editor}
    plans = {name: plan_urls(user, fixture.prefecture, n, warmup) for name, user in people.items()}
    return [
        time_page(page, name, user, plans[name][page], warmup, TARGET_P95_MS)
        for page in ("list", "karte", "lock-in")
        for name, user in people.items()
    ]


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    try:
        for name in ("systems:system_list", "systems:lock_in"):
            reverse(name)
        reverse("systems:system_detail", kwargs={"pk": 1})
    except NoReverseMatch as error:
        if not args.generate_only:
            print(f"The pages are not there yet: {error}", file=sys.stderr)
            return 1

    fixture = build_fixture(lambda: generate(args.systems, args.threshold), f"{args.systems:,} systems")
    if args.generate_only:
        return 0

    print(
        f"measuring: {args.warmup} warm-up + {args.requests} timed requests per page and person…", flush=True
    )
    load_before = os.getloadavg()[0]
    rows = measure(fixture, args.requests, args.warmup)
    load_after = os.getloadavg()[0]
    ok = print_table(rows, "HTML KB")
    print(
        f"database: {connection.vendor}; {fixture.counts['systems']:,} systems "
        f"({fixture.counts['prefecture systems']:,} in the prefecture), "
        f"{fixture.counts['contracts']:,} contracts, {fixture.counts['costs']:,} costs; "
        f"lock-in threshold {args.threshold if args.threshold is not None else 'default'} years; "
        f"p95 is nearest-rank over {args.requests} requests; times include query capture."
    )
    print_load(load_before, load_after)
    return finish(rows, ok, args, rest="view, template, middleware")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--systems", type=int, default=5_000, metavar="N", help="systems (default 5000)")
    add_options(parser, per="page and person")
    parser.add_argument(
        "--threshold",
        type=int,
        default=5,
        help="lock-in threshold in years written to every body's portfolio settings (default 5: the "
        "fixture's contracts start in FY2015, so the default 10 would leave the lock-in list empty); "
        "-1 keeps the app's default",
    )
    parser.add_argument("--generate-only", action="store_true", help="generate the fixture, measure nothing")
    args = parser.parse_args(argv)
    if args.threshold < 0:
        args.threshold = None
    return run_on_fresh_database(
        args, "System karte pages benchmark", f"{args.systems:,} systems", "systems", lambda: run(args)
    )


if __name__ == "__main__":
    sys.exit(main())
