"""Benchmark of the procedure KPIs at national scale: one round of every local government's procedures.

    .venv/bin/python benchmarks/procedures_bench.py                          # SQLite, 10 × 5,000 procedures
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/procedures_bench.py            # 1,788 × 5,000
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/procedures_bench.py --bodies 100   # a check
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/procedures_bench.py --keep         # keep the db
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/procedures_bench.py --reuse NAME   # measure it
    .venv/bin/python benchmarks/procedures_bench.py --sql --explain          # slowest SQL of every row

Target: with 1,788 local governments × 5,000 procedures (≈ 9 million answers in one round) on
PostgreSQL, the KPI page for the whole round and for one body answers in under 1 s; with 50,000
procedures on SQLite, in under 200 ms (95th percentile of the timed requests, after warm-up).

The database is fresh: a SQLite file in a new KARTE_VAR_DIR or, with DATABASE_URL, a new PostgreSQL
database on that server (dropped at the end unless --keep), migrated by a separate process. `--reuse
NAME` measures a kept one instead (the PostgreSQL database NAME, or the SQLite KARTE_VAR_DIR NAME),
after migrating it, so that indexes added since are there.

The fixture: --bodies bodies, each with --departments departments of --sections sections, and
--procedures-per-body procedures spread over its sections; one procedure round (of the first body, whose
office is the one that asks) with one answer per procedure and one participation per department. No
history rows. About 30% of the procedures are online, 14% planned (5% of those without a year), 55%
later or impossible (with one or two reasons, the first ones more often), 1% unanswered; yearly volumes
are log-uniform from 1 to 100,000 cases and online procedures carry about three times as many, of which
50–100% go online, so that about 42% of the cases are online. On PostgreSQL everything is written by a
few INSERT … SELECT … FROM generate_series statements (secondary indexes dropped while loading and
built afterwards, foreign-key triggers off while loading, referential integrity checked afterwards), and
the KPI rows (RoundSummary) by one INSERT … SELECT … GROUP BY that must equal what
services.refresh_summaries writes: it is checked by recomputing three departments with the service. On
SQLite rows are written with executemany and the KPI rows by refresh_summaries itself.

Measured after warm-up, each with its queries counted: the selectors (round_kpis for the round and for
the body, kpis_by_department and priority_list for the body and for the round) and, once the page
`procedures:kpis` exists, the page for the whole round (a superuser) and for the body (its office
administrator), also with &department=. The exit status is 0 even when a target is missed (it is a
benchmark); --strict makes a miss exit 1; a page answering other than 200 always exits 1.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import random
import shutil
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import (
    add_sql_options,
    failure,
    fresh_postgres,
    migrate,
    percentile,
    prepare_environment,
    print_header,
    print_plan,
    print_slowest,
    print_table_header,
    scratch_directory,
    setup_django,
    timed_call,
    timed_statements,
    with_database,
)

TARGET_MS = {"postgresql": 1000.0, "sqlite": 200.0}
DEFAULT_SIZES = {"postgresql": (1788, 5000), "sqlite": (10, 5000)}
ROUND_NAME = "手続オンライン化状況調査（ベンチマーク）"
FISCAL_YEAR = 2024
SUPERUSER, OFFICE = "bench_super", "bench_office"
MIN_FREE_GB = 10.0
# Bodies differ in size: a body's case volumes are scaled by 10^-3…1 (a village to a city). The round's
# own body, whose office asks, is the smallest: the hardest case for a plan that walks the whole round in
# volume order until it has found enough of one body's answers.
SMALLEST_SCALE = 0.001
PHI = 0.6180339887
# Bytes a procedure takes on PostgreSQL with its answer, both tables' indexes and some WAL (measured).
BYTES_PER_PROCEDURE = 1100

REASONS = (
    "original_document",
    "in_person_id",
    "site_inspection",
    "fee",
    "statutory_form",
    "few_cases",
    "attachments",
    "other",
)
DEPARTMENT_WORDS = (
    "総務",
    "財務",
    "市民",
    "福祉",
    "健康",
    "子ども",
    "環境",
    "産業",
    "都市整備",
    "建設",
    "上下水道",
    "教育",
)
SECTION_WORDS = ("企画", "管理", "調整", "推進", "指導", "振興", "保全", "相談", "審査", "給付")
PROCEDURE_WORDS = (
    "補助金",
    "許可",
    "証明書",
    "登録",
    "届出",
    "給付",
    "減免",
    "使用",
    "認定",
    "助成",
    "交付",
    "変更",
)
PROCEDURE_SUFFIXES = ("申請", "届", "交付申請", "変更届", "認定申請")
PARTICIPATION_STATUSES = ("submitted", "submitted", "in_progress", "not_started", "submitted")


# -- the database ------------------------------------------------------------------------------------
def free_gb(path: str = "/") -> float:
    return shutil.disk_usage(path).free / 1024**3


def check_disk(where: str) -> None:
    free = free_gb()
    if free < MIN_FREE_GB:
        raise SystemExit(f"only {free:.1f} GB free on / {where}: stopping (needs {MIN_FREE_GB:g} GB)")


# -- the fixture -------------------------------------------------------------------------------------
@dataclass
class Fixture:
    survey: object
    body: object
    department: object
    superuser: object
    office: object
    seconds: dict = field(default_factory=dict)


def create_round_and_people(first_body_id: int):
    """The round (of the first body) and the two people who ask: a superuser and that body's office."""
    from django.contrib.auth import get_user_model

    from karte.core.choices import OrgUnitKind, Role
    from karte.core.models import OrgUnit, SurveyRound
    from karte.core.services import set_membership
    from karte.procedures.rounds import ProcedureRound

    survey = SurveyRound.objects.create(
        body_id=first_body_id,
        kind=ProcedureRound.kind,
        name=ROUND_NAME,
        fiscal_year=FISCAL_YEAR,
        fields=[name for name, _label in ProcedureRound.answer_fields],
    )
    users = get_user_model()
    users.objects.create_superuser(SUPERUSER, "", None)
    office = users.objects.create_user(OFFICE, last_name="デジタル推進課")
    section = OrgUnit.objects.filter(body_id=first_body_id, kind=OrgUnitKind.SECTION).order_by("pk").first()
    set_membership(office, role=Role.OFFICE_ADMIN, unit=section)
    return survey


def load_fixture() -> Fixture:
    """Find the round, its body, a department of it and the two people in a generated database."""
    from django.contrib.auth import get_user_model

    from karte.core.models import SurveyRound
    from karte.procedures.models import RoundSummary

    survey = SurveyRound.objects.select_related("body").filter(name=ROUND_NAME).first()
    if survey is None:
        raise SystemExit(f"no round named {ROUND_NAME!r}: is this a database made by this benchmark?")
    users = get_user_model()
    # The body's department with the most procedures: the heaviest one-department page.
    summary = (
        RoundSummary.objects.select_related("department")
        .filter(round=survey, body_id=survey.body_id)
        .order_by("-procedures", "department_id")
        .first()
    )
    return Fixture(
        survey=survey,
        body=survey.body,
        department=summary.department if summary else None,
        superuser=users.objects.get(username=SUPERUSER),
        office=users.objects.get(username=OFFICE),
    )


def _tables():
    from karte.core.models import OrgUnit, RoundParticipation
    from karte.procedures.models import Procedure, ProcedureAnswer, RoundSummary

    return {
        "unit": OrgUnit._meta.db_table,
        "participation": RoundParticipation._meta.db_table,
        "procedure": Procedure._meta.db_table,
        "answer": ProcedureAnswer._meta.db_table,
        "summary": RoundSummary._meta.db_table,
    }


def _sql_array(words) -> str:
    return "(ARRAY[" + ", ".join(f"'{w}'" for w in words) + "])"


def generate_postgres(args: argparse.Namespace) -> Fixture:
    """Write the fixture with set-based SQL: a few INSERT … SELECT statements, no Python loops."""
    from django.db import connection

    t = _tables()
    seconds: dict[str, float] = {}
    units_per_body = args.departments * args.sections

    def step(name: str, *statements: tuple[str, dict | None]) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)
        check_disk(f"after {name}")

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2024)")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET work_mem = '256MB'")
        try:
            # Foreign-key triggers off while loading (a superuser may); integrity is checked afterwards.
            cursor.execute("SET session_replication_role = replica")
            triggers_off = True
        except Exception:  # noqa: BLE001  not a superuser: load with the checks on
            triggers_off = False
        # Secondary indexes of the two big tables are built once the rows are in (constraints stay).
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename IN (%s, %s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [t["procedure"], t["answer"]],
        )
        secondary = cursor.fetchall()
        for name, _definition in secondary:
            cursor.execute(f'DROP INDEX "{name}"')

    common = "DATE '2024-04-01', NULL, NULL"  # valid_from, valid_to, successor_id
    step(
        "organisation",
        (
            f"""
            INSERT INTO {t["unit"]} (kind, code, name, parent_id, body_id, department_id,
                                    valid_from, valid_to, successor_id)
            SELECT 'body', lpad((b * 10)::text, 6, '0'),
                   {_sql_array(("北", "南", "東", "西", "中央", "港", "川", "山", "浜", "丘"))}[1 + b %% 10]
                     || b || CASE WHEN b %% 3 = 0 THEN '町' ELSE '市' END,
                   NULL, NULL, NULL, {common}
            FROM generate_series(1, %(bodies)s) b
            """,
            {"bodies": args.bodies},
        ),
        (f"UPDATE {t['unit']} SET body_id = id WHERE kind = 'body'", None),
        (
            f"""
            INSERT INTO {t["unit"]} (kind, code, name, parent_id, body_id, department_id,
                                    valid_from, valid_to, successor_id)
            SELECT 'department', lpad(d::text, 2, '0'),
                   {_sql_array(DEPARTMENT_WORDS)}[1 + (d - 1) %% {len(DEPARTMENT_WORDS)}] || '部'
                     || CASE WHEN d > {len(DEPARTMENT_WORDS)} THEN d::text ELSE '' END,
                   b.id, b.id, NULL, {common}
            FROM {t["unit"]} b CROSS JOIN generate_series(1, %(departments)s) d
            WHERE b.kind = 'body'
            ORDER BY b.id, d
            """,
            {"departments": args.departments},
        ),
        (f"UPDATE {t['unit']} SET department_id = id WHERE kind = 'department'", None),
        (
            f"""
            INSERT INTO {t["unit"]} (kind, code, name, parent_id, body_id, department_id,
                                    valid_from, valid_to, successor_id)
            SELECT 'section', d.code || lpad(s::text, 3, '0'),
                   replace(d.name, '部', '')
                     || {_sql_array(SECTION_WORDS)}[1 + (s - 1) %% {len(SECTION_WORDS)}]
                     || '課' || CASE WHEN s > {len(SECTION_WORDS)} THEN s::text ELSE '' END,
                   d.id, d.body_id, d.id, {common}
            FROM {t["unit"]} d CROSS JOIN generate_series(1, %(sections)s) s
            WHERE d.kind = 'department'
            ORDER BY d.id, s
            """,
            {"sections": args.sections},
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {t['unit']} WHERE kind = 'body'")
        first_body_id = cursor.fetchone()[0]
    survey = create_round_and_people(first_body_id)

    # Procedure n (0-based) of a body belongs to its section n mod (departments × sections).
    step(
        "procedures",
        (
            f"""
            INSERT INTO {t["procedure"]} (unit_id, body_id, code, name, legal_basis, kind,
                by_residents, by_businesses, by_municipalities, has_attachments, has_fee,
                payment_method, accepting_system_name, note, accepting_system_id, form_template_id)
            SELECT s.id, s.body_id, 'P' || lpad((n + 1)::text, 6, '0'),
                   s.name || {_sql_array(PROCEDURE_WORDS)}[1 + n %% {len(PROCEDURE_WORDS)}]
                     || {_sql_array(PROCEDURE_SUFFIXES)}
                        [1 + (n / {len(PROCEDURE_WORDS)}) %% {len(PROCEDURE_SUFFIXES)}]
                     || '（' || (n + 1) || '）',
                   CASE WHEN n %% 4 = 0 THEN '地方自治法第' || (1 + n %% 300) || '条' ELSE '' END,
                   {_sql_array(("application", "notification", "application", "other"))}[1 + n %% 4],
                   n %% 2 = 0, n %% 3 = 0, n %% 11 = 0, n %% 4 <> 0, n %% 5 = 0,
                   CASE WHEN n %% 5 = 0 THEN '窓口で現金' ELSE '' END, '', '', NULL, NULL
            FROM (
                SELECT id, body_id, name,
                       (row_number() OVER (PARTITION BY body_id ORDER BY id) - 1)::int AS k
                FROM {t["unit"]} WHERE kind = 'section'
            ) s
            CROSS JOIN LATERAL generate_series(s.k, %(per_body)s - 1, %(units_per_body)s) n
            """,
            {"per_body": args.procedures_per_body, "units_per_body": units_per_body},
        ),
    )

    # Each answer draws six random numbers once (OFFSET 0 keeps the subquery from being inlined).
    reasons = _sql_array(REASONS)
    step(
        "answers",
        (
            f"""
            INSERT INTO {t["answer"]} (round_id, procedure_id, unit_id, department_id, yearly_volume,
                                      online_volume, status, target_fy, reasons, note)
            SELECT %(round)s, id, unit_id, department_id, volume,
                   CASE WHEN status = 'online' THEN floor(volume * (0.5 + 0.5 * r2))::bigint
                        WHEN status = '' THEN NULL ELSE 0 END,
                   status,
                   CASE WHEN status = 'planned' AND r2 < 0.95 THEN 2025 + floor(r4 * 3)::int END,
                   CASE WHEN status IN ('later', 'impossible') AND r5 < 0.4
                            THEN jsonb_build_array({reasons}[1 + first_reason],
                                                   {reasons}[1 + second_reason])
                        WHEN status IN ('later', 'impossible') OR (status = 'planned' AND r5 < 0.3)
                            THEN jsonb_build_array({reasons}[1 + first_reason])
                        ELSE '[]'::jsonb END,
                   ''
            FROM (
                SELECT x.*,
                       CASE WHEN status = '' THEN NULL
                            WHEN status = 'online' THEN floor(scale * 3 * power(10, 5 * r1))::bigint
                            ELSE floor(scale * power(10, 5 * r1))::bigint END AS volume,
                       floor(r3 * r3 * 8)::int AS first_reason,
                       (floor(r3 * r3 * 8)::int + 1 + floor(r4 * 7)::int) %% 8 AS second_reason
                FROM (
                    SELECT p.id, p.unit_id, u.department_id, r1, r2, r3, r4, r5,
                           CASE WHEN u.body_id = %(first_body)s THEN {SMALLEST_SCALE}
                                ELSE power(10, -3 * ((u.body_id * {PHI}) - floor(u.body_id * {PHI}))) END
                             AS scale,
                           CASE WHEN r0 < 0.30 THEN 'online' WHEN r0 < 0.44 THEN 'planned'
                                WHEN r0 < 0.84 THEN 'later' WHEN r0 < 0.99 THEN 'impossible'
                                ELSE '' END AS status
                    FROM (
                        SELECT id, unit_id, random() AS r0, random() AS r1, random() AS r2,
                               random() AS r3, random() AS r4, random() AS r5
                        FROM {t["procedure"]} OFFSET 0
                    ) p
                    JOIN {t["unit"]} u ON u.id = p.unit_id
                ) x
            ) y
            """,
            {"round": survey.pk, "first_body": first_body_id},
        ),
        (
            f"""
            INSERT INTO {t["participation"]} (round_id, department_id, status, submitted_at,
                                             submitted_by_id, reminded_at)
            SELECT %(round)s, id, s.status, CASE WHEN s.status = 'submitted' THEN now() END, NULL, NULL
            FROM {t["unit"]},
                 LATERAL (SELECT {_sql_array(PARTICIPATION_STATUSES)}[1 + id %% 5] AS status) s
            WHERE kind = 'department'
            """,
            {"round": survey.pk},
        ),
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if triggers_off:
            cursor.execute("SET session_replication_role = DEFAULT")
        for _name, definition in secondary:
            cursor.execute(definition)
    seconds["indexes"] = time.perf_counter() - started
    print(f"  indexes ({len(secondary)}): {seconds['indexes']:.1f} s", flush=True)

    step("summaries", (SUMMARY_SQL.format(**t), {"round": survey.pk}))

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Loaded with the triggers off: every reference must point at a row, and the right one.
        cursor.execute(
            f"""
            SELECT
              (SELECT count(*) FROM {t["procedure"]} p LEFT JOIN {t["unit"]} u ON u.id = p.unit_id
               WHERE u.id IS NULL OR p.body_id <> u.body_id),
              (SELECT count(*) FROM {t["answer"]} a
               LEFT JOIN {t["procedure"]} p ON p.id = a.procedure_id
               LEFT JOIN {t["unit"]} u ON u.id = a.unit_id
               WHERE p.id IS NULL OR u.id IS NULL OR a.unit_id <> p.unit_id
                  OR a.department_id <> u.department_id)
            """
        )
        bad_procedures, bad_answers = cursor.fetchone()
    if bad_procedures or bad_answers:
        raise SystemExit(f"broken fixture: {bad_procedures} procedures and {bad_answers} answers")
    seconds["integrity check"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # As autovacuum would leave the tables: visibility map set, planner statistics fresh.
        cursor.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.perf_counter() - started
    print(f"  vacuum analyze: {seconds['vacuum analyze']:.1f} s", flush=True)
    # Measure on a fresh session with the server's settings, not the loading ones above.
    connection.close()
    fixture = load_fixture()
    fixture.seconds = seconds
    return fixture


# What services.refresh_summaries computes, for every department of the round in one statement.
SUMMARY_SQL = """
INSERT INTO {summary} (round_id, department_id, body_id, procedures, online, planned, later, impossible,
                       unanswered, volume, online_volume, planned_by_fy, reasons)
SELECT c.round_id, c.department_id, d.body_id, c.procedures, c.online, c.planned, c.later, c.impossible,
       c.unanswered, c.volume, c.online_volume, coalesce(f.by_fy, '{{}}'::jsonb),
       coalesce(r.by_reason, '{{}}'::jsonb)
FROM (
    SELECT round_id, department_id, count(*) AS procedures,
           count(*) FILTER (WHERE status = 'online') AS online,
           count(*) FILTER (WHERE status = 'planned') AS planned,
           count(*) FILTER (WHERE status = 'later') AS later,
           count(*) FILTER (WHERE status = 'impossible') AS impossible,
           count(*) FILTER (WHERE status = '') AS unanswered,
           coalesce(sum(yearly_volume), 0) AS volume,
           coalesce(sum(online_volume), 0) AS online_volume
    FROM {answer} WHERE round_id = %(round)s
    GROUP BY round_id, department_id
) c
JOIN {unit} d ON d.id = c.department_id
LEFT JOIN (
    -- str(fy or ""): a planned answer without a year (or year 0) counts under "".
    SELECT department_id, jsonb_object_agg(fy, n) AS by_fy
    FROM (
        SELECT department_id, coalesce(nullif(target_fy, 0)::text, '') AS fy, count(*) AS n
        FROM {answer} WHERE round_id = %(round)s AND status = 'planned'
        GROUP BY 1, 2
    ) planned
    GROUP BY department_id
) f ON f.department_id = c.department_id
LEFT JOIN (
    SELECT department_id, jsonb_object_agg(reason, n) AS by_reason
    FROM (
        SELECT a.department_id, e.reason, count(*) AS n
        FROM {answer} a CROSS JOIN LATERAL jsonb_array_elements_text(a.reasons) AS e(reason)
        WHERE a.round_id = %(round)s AND jsonb_typeof(a.reasons) = 'array'
        GROUP BY 1, 2
    ) given
    GROUP BY department_id
) r ON r.department_id = c.department_id
"""


def body_scale(body_id: int, first_body_id: int) -> float:
    """How many cases a body has, relative to the largest: 1/1000 to 1, spread by the golden ratio."""
    if body_id == first_body_id:
        return SMALLEST_SCALE
    return 10 ** (-3 * ((body_id * PHI) - math.floor(body_id * PHI)))


def answer_values(rng: random.Random, scale: float) -> tuple:
    """(yearly_volume, online_volume, status, target_fy, reasons) of one answer: the SQL's distribution."""
    r0, r1, r2, r3, r4, r5 = (rng.random() for _ in range(6))
    if r0 < 0.30:
        status = "online"
    elif r0 < 0.44:
        status = "planned"
    elif r0 < 0.84:
        status = "later"
    elif r0 < 0.99:
        status = "impossible"
    else:
        return None, None, "", None, "[]"
    volume = math.floor(scale * (3 if status == "online" else 1) * 10 ** (5 * r1))
    online = math.floor(volume * (0.5 + 0.5 * r2)) if status == "online" else 0
    target_fy = 2025 + math.floor(r4 * 3) if status == "planned" and r2 < 0.95 else None
    first = math.floor(r3 * r3 * 8)
    if status in ("later", "impossible") and r5 < 0.4:
        given = [REASONS[first], REASONS[(first + 1 + math.floor(r4 * 7)) % 8]]
    elif status in ("later", "impossible") or (status == "planned" and r5 < 0.3):
        given = [REASONS[first]]
    else:
        given = []
    return volume, online, status, target_fy, "[" + ", ".join(f'"{r}"' for r in given) + "]"


def generate_sqlite(args: argparse.Namespace) -> Fixture:
    """Write the fixture with executemany in batches; the KPI rows through refresh_summaries."""
    from django.db import connection, transaction

    from karte.procedures.services import refresh_summaries

    t = _tables()
    rng = random.Random(2024)
    seconds: dict[str, float] = {}
    batch = 5000
    day = "2024-04-01"
    unit_sql = (
        f"INSERT INTO {t['unit']} (kind, code, name, parent_id, body_id, department_id, valid_from, "
        "valid_to, successor_id) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, NULL)"
    )

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            unit_sql,
            [
                ("body", f"{b * 10:06d}", f"ベンチ{b}市", None, None, None, day)
                for b in range(1, args.bodies + 1)
            ],
        )
        cursor.execute(f"UPDATE {t['unit']} SET body_id = id WHERE kind = 'body'")
        cursor.execute(f"SELECT id FROM {t['unit']} WHERE kind = 'body' ORDER BY id")
        bodies = [row[0] for row in cursor.fetchall()]
        cursor.executemany(
            unit_sql,
            [
                ("department", f"{d:02d}", f"{DEPARTMENT_WORDS[(d - 1) % 12]}部{d}", body, body, None, day)
                for body in bodies
                for d in range(1, args.departments + 1)
            ],
        )
        cursor.execute(f"UPDATE {t['unit']} SET department_id = id WHERE kind = 'department'")
        cursor.execute(
            f"SELECT id, body_id, code, name FROM {t['unit']} WHERE kind = 'department' ORDER BY id"
        )
        departments = cursor.fetchall()
        cursor.executemany(
            unit_sql,
            [
                (
                    "section",
                    f"{code}{s:03d}",
                    f"{name}{SECTION_WORDS[(s - 1) % 10]}課{s}",
                    department,
                    body,
                    department,
                    day,
                )
                for department, body, code, name in departments
                for s in range(1, args.sections + 1)
            ],
        )
    seconds["organisation"] = time.perf_counter() - started
    survey = create_round_and_people(bodies[0])

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, body_id, department_id, name FROM {t['unit']} WHERE kind = 'section' ORDER BY id"
        )
        sections_of: dict[int, list] = {}
        for row in cursor.fetchall():
            sections_of.setdefault(row[1], []).append(row)
        procedure_sql = (
            f"INSERT INTO {t['procedure']} (unit_id, body_id, code, name, legal_basis, kind, by_residents, "
            "by_businesses, by_municipalities, has_attachments, has_fee, payment_method, "
            "accepting_system_name, note, accepting_system_id, form_template_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', NULL, NULL)"
        )
        kinds = ("application", "notification", "application", "other")
        rows = []
        for body in bodies:
            sections = sections_of[body]
            for n in range(args.procedures_per_body):
                section_id, _body, _department, section_name = sections[n % len(sections)]
                word = PROCEDURE_WORDS[n % len(PROCEDURE_WORDS)]
                suffix = PROCEDURE_SUFFIXES[(n // len(PROCEDURE_WORDS)) % len(PROCEDURE_SUFFIXES)]
                rows.append(
                    (
                        section_id,
                        body,
                        f"P{n + 1:06d}",
                        f"{section_name}{word}{suffix}（{n + 1}）",
                        f"地方自治法第{1 + n % 300}条" if n % 4 == 0 else "",
                        kinds[n % 4],
                        n % 2 == 0,
                        n % 3 == 0,
                        n % 11 == 0,
                        n % 4 != 0,
                        n % 5 == 0,
                        "窓口で現金" if n % 5 == 0 else "",
                    )
                )
                if len(rows) >= batch:
                    cursor.executemany(procedure_sql, rows)
                    rows = []
        cursor.executemany(procedure_sql, rows)
    seconds["procedures"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.unit_id, u.department_id, u.body_id FROM {t['procedure']} p "
            f"JOIN {t['unit']} u ON u.id = p.unit_id ORDER BY p.id"
        )
        procedures = cursor.fetchall()
        answer_sql = (
            f"INSERT INTO {t['answer']} (round_id, procedure_id, unit_id, department_id, yearly_volume, "
            "online_volume, status, target_fy, reasons, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '')"
        )
        for i in range(0, len(procedures), batch):
            cursor.executemany(
                answer_sql,
                [
                    (survey.pk, pk, unit, department, *answer_values(rng, body_scale(body, bodies[0])))
                    for pk, unit, department, body in procedures[i : i + batch]
                ],
            )
        cursor.executemany(
            f"INSERT INTO {t['participation']} (round_id, department_id, status, submitted_at, "
            "submitted_by_id, reminded_at) VALUES (%s, %s, %s, NULL, NULL, NULL)",
            [(survey.pk, pk, PARTICIPATION_STATUSES[pk % 5]) for pk, *_rest in departments],
        )
    seconds["answers"] = time.perf_counter() - started

    started = time.perf_counter()
    department_ids = [pk for pk, *_rest in departments]
    for i in range(0, len(department_ids), 500):
        refresh_summaries(survey, department_ids[i : i + 500])
    seconds["summaries"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    fixture = load_fixture()
    fixture.seconds = seconds
    return fixture


def verify_summaries(fixture: Fixture) -> list[str]:
    """Recompute three departments with services.refresh_summaries; return how their rows differ."""
    from karte.procedures.models import RoundSummary
    from karte.procedures.services import refresh_summaries

    fields = [f.attname for f in RoundSummary._meta.concrete_fields if f.attname != "id"]
    rows = RoundSummary.objects.filter(round=fixture.survey).order_by("department_id")
    ids = list(rows.values_list("department_id", flat=True))
    if not ids:
        return ["no summary rows at all"]
    sample = sorted({ids[0], ids[len(ids) // 2], ids[-1]})
    before = {r["department_id"]: r for r in rows.filter(department_id__in=sample).values(*fields)}
    refresh_summaries(fixture.survey, sample)
    after = {r["department_id"]: r for r in rows.filter(department_id__in=sample).values(*fields)}
    problems = []
    for department_id in sample:
        old, new = before.get(department_id), after.get(department_id)
        if old != new:
            diff = {k: (old.get(k), new.get(k)) for k in fields if (old or {}).get(k) != (new or {}).get(k)}
            problems.append(f"department {department_id}: generated vs refresh_summaries {diff}")
    return problems


def counts_and_sizes() -> dict:
    from django.db import connection

    from karte.core.choices import OrgUnitKind
    from karte.core.models import OrgUnit, RoundParticipation
    from karte.procedures.models import Procedure, ProcedureAnswer, RoundSummary

    counts = {
        "bodies": OrgUnit.objects.filter(kind=OrgUnitKind.BODY).count(),
        "departments": OrgUnit.objects.filter(kind=OrgUnitKind.DEPARTMENT).count(),
        "sections": OrgUnit.objects.filter(kind=OrgUnitKind.SECTION).count(),
        "procedures": Procedure.objects.count(),
        "answers": ProcedureAnswer.objects.count(),
        "participations": RoundParticipation.objects.count(),
        "summaries": RoundSummary.objects.count(),
    }
    sizes = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Procedure, ProcedureAnswer, RoundSummary):
                table = model._meta.db_table
                cursor.execute(
                    "SELECT pg_relation_size(%s), pg_indexes_size(%s)",
                    [table, table],
                )
                sizes[table] = cursor.fetchone()
            cursor.execute("SELECT pg_database_size(current_database())")
            sizes["database"] = (cursor.fetchone()[0], 0)
    return {"counts": counts, "sizes": sizes}


# -- measuring ---------------------------------------------------------------------------------------
@dataclass
class Row:
    what: str
    scope: str
    target_ms: float
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    call: object = None  # runs one more time, for --sql
    cut_short: bool = False  # stopped after --budget seconds

    @property
    def passed(self) -> bool:
        return not self.bad and bool(self.times_ms) and percentile(self.times_ms, 95) < self.target_ms


def measure_call(what: str, scope: str, call, args: argparse.Namespace, target_ms: float) -> Row:
    """Time `call` (which returns None, or a status for a page) after warm-up, counting its queries.

    A row that is far off its target stops early: one warm-up call only when that one took over five
    times the target, and no more timed calls once --budget seconds are spent and three are timed.
    """

    def once() -> tuple[float, int]:
        status, elapsed, queries = timed_call(call)
        if status not in (None, 200):
            row.bad.append(str(status))
        return elapsed, queries

    row = Row(what, scope, target_ms, call=call)
    row_started = time.perf_counter()
    for _ in range(args.warmup):
        elapsed, _queries = once()
        if elapsed > 5 * target_ms:
            break
    for _ in range(args.requests):
        elapsed, queries = once()
        row.times_ms.append(elapsed)
        row.queries.append(queries)
        if time.perf_counter() - row_started > args.budget and len(row.times_ms) >= 3:
            row.cut_short = True
            break
    print(
        f"  {what:<24} {scope:<30} n {len(row.times_ms):>2}  p50 {percentile(row.times_ms, 50):8.1f} ms  "
        f"p95 {percentile(row.times_ms, 95):8.1f} ms  {min(row.queries)}–{max(row.queries)} queries",
        flush=True,
    )
    return row


def page_exists() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("procedures:kpis")
    except NoReverseMatch:
        return False
    return True


def measure(fixture: Fixture, args: argparse.Namespace, target_ms: float) -> list[Row]:
    from django.test import Client
    from django.urls import reverse

    from karte.procedures.models import ProcedureAnswer
    from karte.procedures.selectors import kpis_by_department, priority_list, round_kpis

    survey, body = fixture.survey, fixture.body
    body_label = f"body {body.pk}"
    print(f"  the body: {body.pk} {body.name} (code {body.code}), the round's own", flush=True)
    round_label = "whole round"
    round_answers = ProcedureAnswer.objects.restrict(fixture.superuser).filter(round=survey)
    body_answers = ProcedureAnswer.objects.restrict(fixture.office).filter(round=survey)
    # priority_list takes the scope's total volume from the KPIs (as the page does), once it does.
    if "total_volume" in inspect.signature(priority_list).parameters:
        body_total = (round_kpis(survey, body_id=body.pk).volume,)
        round_total = (round_kpis(survey).volume,)
    else:
        body_total = round_total = ()
    selectors = [
        ("round_kpis", round_label, lambda: round_kpis(survey) and None),
        ("round_kpis", body_label, lambda: round_kpis(survey, body_id=body.pk) and None),
        ("kpis_by_department", body_label, lambda: kpis_by_department(survey, body_id=body.pk) and None),
        ("priority_list (top 20)", body_label, lambda: priority_list(body_answers, 20, *body_total) and None),
        (
            "priority_list (top 20)",
            round_label,
            lambda: priority_list(round_answers, 20, *round_total) and None,
        ),
    ]
    rows = [measure_call(what, scope, call, args, target_ms) for what, scope, call in selectors]

    if not page_exists():
        print("  the page procedures:kpis does not exist yet: only the selectors were measured", flush=True)
        return rows
    url = reverse("procedures:kpis")
    pages = [
        ("page procedures:kpis", f"{round_label}, superuser", fixture.superuser, {"round": survey.pk}),
        ("page procedures:kpis", f"{body_label}, office", fixture.office, {"round": survey.pk}),
    ]
    if fixture.department is not None:
        pages.append(
            (
                "page procedures:kpis",
                f"department {fixture.department.pk}, office",
                fixture.office,
                {"round": survey.pk, "department": fixture.department.pk},
            )
        )
    for what, scope, user, params in pages:
        client = Client()
        client.force_login(user)
        address = f"{url}?{urlencode(params)}"

        def call(client=client, address=address):
            return client.get(address).status_code

        call.address = address
        rows.append(measure_call(what, scope, call, args, target_ms))
    return rows


def sql_profile(row: Row, top: int, explain: bool) -> None:
    """Run the row's call once, timing every statement; print the slowest (and the plan of the first)."""
    started = time.perf_counter()
    with timed_statements() as statements:
        try:
            row.call()
        except Exception as error:  # noqa: BLE001  the table already says it failed
            print(f"\n== {row.what} / {row.scope}: {type(error).__name__}: {error}")
            return
    total = (time.perf_counter() - started) * 1000
    sql_ms = sum(s[0] for s in statements)
    print(
        f"\n== {row.what} / {row.scope}{' ' + row.call.address if hasattr(row.call, 'address') else ''}: "
        f"{total:.1f} ms, of which SQL {sql_ms:.1f} ms in {len(statements)} statements"
    )
    print_slowest(statements, top, indent="  ", width=9)
    if explain:
        print_plan(statements, indent="  ", options="ANALYZE, BUFFERS")


# -- the report --------------------------------------------------------------------------------------
def print_table(rows: list[Row], vendor: str) -> bool:
    header = (
        f"{'what':<24}  {'scope':<30}  {'n':>3}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  "
        f"{'queries':>7}  {'target':<13}  result"
    )
    print_table_header(header)
    ok = True
    for row in rows:
        outcome = failure(row.bad) if row.bad else ("PASS" if row.passed else "FAIL")
        ok = ok and row.passed
        queries = f"{min(row.queries)}–{max(row.queries)}" if row.queries else "-"
        print(
            f"{row.what:<24}  {row.scope:<30}  {len(row.times_ms):>3}  {percentile(row.times_ms, 50):>8.1f}  "
            f"{percentile(row.times_ms, 95):>8.1f}  {max(row.times_ms):>8.1f}  {queries:>7}  "
            f"{f'p95 < {row.target_ms:g} ms':<13}  {outcome}"
        )
    print()
    if any(row.cut_short for row in rows):
        print("Rows with n under the requested count stopped timing after --budget seconds.")
    return ok


def print_fixture(fixture: Fixture, info: dict, generated_s: float | None) -> None:
    from karte.procedures.selectors import round_kpis

    counts = ", ".join(f"{value:,} {name}" for name, value in info["counts"].items())
    if generated_s is not None:
        steps = ", ".join(f"{name} {s:.1f} s" for name, s in fixture.seconds.items())
        print(f"generated in {generated_s:.1f} s ({steps})")
    print(f"rows: {counts}")
    for table, (data, indexes) in info["sizes"].items():
        what = f"{data / 1024**3:.2f} GB" + (f" + indexes {indexes / 1024**3:.2f} GB" if indexes else "")
        print(f"  size of {table}: {what}")
    kpis = round_kpis(fixture.survey)
    print(
        f"round KPIs: {kpis.procedures:,} procedures, online {kpis.online_share_by_count}% by count and "
        f"{kpis.online_share_by_volume}% by volume ({kpis.online_volume:,} of {kpis.volume:,} cases), "
        f"planned {kpis.planned_share}%, later or impossible {kpis.later_share}%, "
        f"{kpis.unanswered:,} unanswered; planned by FY {dict(sorted(kpis.planned_by_fy.items()))}"
    )


def run(args: argparse.Namespace, vendor: str) -> int:
    setup_django()
    from django.db import connection

    target_ms = TARGET_MS[vendor]
    generated_s = None
    if args.reuse:
        fixture = load_fixture()
    else:
        print(
            f"generating {args.bodies:,} bodies × {args.procedures_per_body:,} procedures "
            f"({args.departments} departments of {args.sections} sections each) on {connection.vendor}…",
            flush=True,
        )
        started = time.perf_counter()
        fixture = generate_postgres(args) if vendor == "postgresql" else generate_sqlite(args)
        generated_s = time.perf_counter() - started
    info = counts_and_sizes()
    print_fixture(fixture, info, generated_s)
    problems = verify_summaries(fixture)
    if problems:
        for problem in problems:
            print(f"  ! {problem}")
        print("the generated KPI rows differ from refresh_summaries: the figures would not measure the app")
        return 1
    print(
        "KPI rows of 3 departments recomputed by services.refresh_summaries: identical to the generated ones"
    )
    if args.generate_only:
        return 0

    print(f"measuring: {args.warmup} warm-up + {args.requests} timed calls each…", flush=True)
    load_before = os.getloadavg()[0]
    rows = measure(fixture, args, target_ms)
    load_after = os.getloadavg()[0]
    ok = print_table(rows, vendor)
    print(
        f"database: {vendor}; {info['counts']['answers']:,} answers in the round, "
        f"{info['counts']['summaries']:,} KPI rows; p95 is nearest-rank over {args.requests} calls; "
        f"times include query capture. 1-minute load {load_before:.1f} before, {load_after:.1f} after "
        f"measuring on {os.cpu_count()} CPUs."
    )
    if not page_exists():
        print("NOTE: the page procedures:kpis is not in karte/procedures/urls_inventory.py yet.")
    for row in rows:
        if args.sql or not row.passed:
            sql_profile(row, args.sql_lines, args.explain or not row.passed)
    if any(row.bad for row in rows if row.what.startswith("page")):
        return 1
    return 1 if args.strict and not ok else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bodies", type=int, help="local governments (default 1788, SQLite 10)")
    parser.add_argument("--procedures-per-body", type=int, help="procedures of each (default 5000)")
    parser.add_argument("--departments", type=int, default=10, help="departments per body (default 10)")
    parser.add_argument("--sections", type=int, default=5, help="sections per department (default 5)")
    parser.add_argument("--requests", type=int, default=20, help="timed calls per row (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up calls per row (default 3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds after which a row stops timing, once it has 3 calls (default 60)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the database (and temporary directory)")
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="measure a kept database without generating: its PostgreSQL name, or the SQLite KARTE_VAR_DIR",
    )
    add_sql_options(parser, "call", lines=6)
    parser.add_argument("--generate-only", action="store_true", help="generate and verify, measure nothing")
    args = parser.parse_args(argv)

    vendor = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    bodies, per_body = DEFAULT_SIZES[vendor]
    args.bodies = args.bodies or bodies
    args.procedures_per_body = args.procedures_per_body or per_body
    if args.procedures_per_body < args.departments * args.sections:
        parser.error("every section needs a procedure: --procedures-per-body ≥ departments × sections")

    parent_dir = prepare_environment()
    if args.reuse and vendor == "sqlite":
        var_dir = Path(args.reuse).resolve()
        if not (var_dir / "karte.sqlite3").exists():
            raise SystemExit(f"no karte.sqlite3 in {var_dir}")
        directory = nullcontext(var_dir)
    else:
        kept = "kept {path}" + ("" if vendor == "postgresql" else " (--reuse {path})")
        directory = scratch_directory("procedures-bench-", parent_dir, args.keep, kept)
    with directory as var_dir:
        os.environ["KARTE_VAR_DIR"] = str(var_dir)
        print_header(
            "Procedure KPI benchmark",
            "PostgreSQL (DATABASE_URL)" if vendor == "postgresql" else "SQLite",
            f"reusing {args.reuse}"
            if args.reuse
            else f"{args.bodies:,} bodies × {args.procedures_per_body:,} procedures",
        )
        if args.reuse and vendor == "postgresql":
            os.environ["DATABASE_URL"] = with_database(os.environ["DATABASE_URL"], args.reuse)
            database = nullcontext()
        else:
            if vendor == "postgresql":
                need = args.bodies * args.procedures_per_body * BYTES_PER_PROCEDURE / 1024**3
                if free_gb() - need < MIN_FREE_GB:
                    raise SystemExit(
                        f"{free_gb():.1f} GB free on /, about {need:.1f} GB needed: would leave under "
                        f"{MIN_FREE_GB:g} GB"
                    )
            name = f"karte_procedures_bench_{os.getpid()}"
            kept = "kept database {name} (measure it again with --reuse {name})"
            database = fresh_postgres(name, args.keep, kept)
        with database:
            print(f"migrated in {migrate():.1f} s", flush=True)
            return run(args, vendor)


if __name__ == "__main__":
    sys.exit(main())
