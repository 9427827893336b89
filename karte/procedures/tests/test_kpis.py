"""The KPI page of a survey round as the office and the departments read it: shares by count and by volume,
plans and reasons, departments, year over year and the priority list, computed from the answers' counts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from karte.core.models import OrgUnit, SurveyRound
from karte.procedures import services
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.models import Procedure, ProcedureAnswer

ONLINE, PLANNED, LATER, IMPOSSIBLE = (
    OnlineStatus.ONLINE,
    OnlineStatus.PLANNED,
    OnlineStatus.LATER,
    OnlineStatus.IMPOSSIBLE,
)


@dataclass
class Row:
    """One procedure's answer in a test round."""

    unit: OrgUnit
    status: str
    volume: int | None = None
    online_volume: int | None = None
    target_fy: int | None = None
    reasons: tuple[str, ...] = ()
    name: str = ""


def make_round(body, name: str, fiscal_year: int, previous: SurveyRound | None = None) -> SurveyRound:
    return SurveyRound.objects.create(
        body=body, kind="procedures", name=name, fiscal_year=fiscal_year, previous=previous
    )


def make_procedures(units: list[OrgUnit], prefix: str = "P") -> list[Procedure]:
    """Procedures in bulk (Procedure.save() sets the body, bulk_create does not, so it is set here)."""
    return Procedure.objects.bulk_create(
        Procedure(unit=unit, body_id=unit.body_id, code=f"{prefix}{i:05d}", name=f"{prefix}手続{i:05d}")
        for i, unit in enumerate(units)
    )


def answer_round(survey: SurveyRound, rows: list[Row], procedures: list[Procedure] | None = None):
    """Create the round's answers (one per row, on new procedures unless given) and its summaries."""
    if procedures is None:
        procedures = make_procedures([row.unit for row in rows], prefix=f"{survey.name}-")
        for procedure, row in zip(procedures, rows, strict=True):
            if row.name:
                procedure.name = row.name
        Procedure.objects.bulk_update([p for p, r in zip(procedures, rows, strict=True) if r.name], ["name"])
    ProcedureAnswer.objects.bulk_create(
        ProcedureAnswer(
            round=survey,
            procedure=procedure,
            unit=row.unit,
            department_id=row.unit.department_id,
            status=row.status,
            yearly_volume=row.volume,
            online_volume=row.online_volume,
            target_fy=row.target_fy,
            reasons=list(row.reasons),
        )
        for procedure, row in zip(procedures, rows, strict=True)
    )
    services.refresh_summaries(survey, {row.unit.department_id for row in rows})
    return procedures


def chart_json(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, chart_id
    return json.loads(match.group(1))


def stat(response, stat_id: str) -> str:
    """The text of one of the big numbers."""
    match = re.search(rf'id="{stat_id}">([^<]*)<', response.content.decode())
    assert match, stat_id
    return match.group(1).strip()


def big_numbers(response) -> dict[str, str]:
    names = ("procedures", "online-by-count", "online-by-volume", "planned-share", "later-share")
    return {name: stat(response, f"kpi-{name}") for name in names}


def kpi_page(client, **params):
    response = client.get(reverse("procedures:kpis"), params)
    assert response.status_code == 200
    return response


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_a"])
    return client


@pytest.fixture
def small_round(world):
    """Ten procedures in two departments: 3 online (30.0%), 418 of 1,000 cases online (41.8%)."""
    a1, a2 = world.section_a1, world.section_a2
    survey = make_round(world.body_a, "R4", 2022)
    answer_round(
        survey,
        [
            Row(a1, ONLINE, 300, 300, name="電子申請済みの届出"),
            Row(a1, ONLINE, 100, 90),
            Row(a1, PLANNED, 250, 0, target_fy=2025, reasons=(Reason.FEE,), name="大口の許可申請"),
            Row(a1, PLANNED, 50, 0, target_fy=2026, reasons=(Reason.FEE,)),
            Row(a1, LATER, 20, 0, reasons=(Reason.ORIGINAL_DOCUMENT, Reason.FEE)),
            Row(a1, IMPOSSIBLE, 5, 0, reasons=(Reason.SITE_INSPECTION,), name="小さな現地確認"),
            Row(a2, ONLINE, 28, 28),
            Row(a2, LATER, 200, 0, reasons=(Reason.IN_PERSON_ID,), name="対面の交付申請"),
            Row(a2, IMPOSSIBLE, 40, 0, reasons=(Reason.SITE_INSPECTION,)),
            Row(a2, PLANNED, 7, 0, target_fy=2025),
        ],
    )
    return survey


def test_the_big_numbers_show_shares_by_count_and_by_volume(office, small_round):
    assert big_numbers(kpi_page(office)) == {
        "procedures": "10",
        "online-by-count": "30.0%",  # 3 of 10 procedures
        "online-by-volume": "41.8%",  # 418 of 1,000 cases a year
        "planned-share": "30.0%",  # 3 planned
        "later-share": "40.0%",  # 2 later, 2 impossible
    }


def test_planned_years_and_reasons_are_charted(office, small_round):
    html = kpi_page(office).content.decode()

    planned = chart_json(html, "kpi-planned-chart")
    assert len(planned["xAxis"]["data"]) == 2
    assert planned["series"][0]["data"] == [2, 1]  # FY2025 twice, FY2026 once
    assert planned["xAxis"]["data"][0] in ("令和7年度", "FY2025")
    reasons = chart_json(html, "kpi-reasons-chart")
    assert reasons["series"][0]["data"][0] == 3  # the fee, given three times, comes first
    assert sorted(reasons["series"][0]["data"], reverse=True) == reasons["series"][0]["data"]


@pytest.fixture
def r2_r4(world):
    """The prefecture's two surveys at full size: R2 292 of 3,561 online (8.2%), 32.0% of cases;
    R4 1,520 of 4,950 online (30.7%), 690 planned (13.9%), 2,236,706 of 5,350,437 cases (41.8%)."""
    units = [world.section_a1 if i % 3 else world.section_a2 for i in range(4950)]
    procedures = make_procedures(units)
    r2 = make_round(world.body_a, "令和2年度調査", 2020)
    r4 = make_round(world.body_a, "令和4年度調査", 2022, previous=r2)

    def spread(total: int, n: int) -> list[int]:
        base, rest = divmod(total, n)
        return [base + rest] + [base] * (n - 1)

    r2_rows = [
        Row(unit, ONLINE if i < 292 else LATER, volume, volume if i < 292 else 0)
        for i, (unit, volume) in enumerate(
            zip(units[:3561], spread(320_000, 292) + spread(680_000, 3561 - 292), strict=True)
        )
    ]
    answer_round(r2, r2_rows, procedures[:3561])
    statuses = [ONLINE] * 1520 + [PLANNED] * 690 + [LATER] * 1740 + [IMPOSSIBLE] * 1000
    volumes = spread(2_236_706, 1520) + spread(5_350_437 - 2_236_706, 4950 - 1520)
    r4_rows = [
        Row(
            unit,
            status,
            volume,
            volume if status == ONLINE else 0,
            target_fy=2025 if status == PLANNED else None,
        )
        for unit, status, volume in zip(units, statuses, volumes, strict=True)
    ]
    answer_round(r4, r4_rows, procedures)
    return r2, r4


def test_percentages_are_computed_from_the_counts_not_from_rounded_reports(office, r2_r4):
    r2, r4 = r2_r4

    assert big_numbers(kpi_page(office, round=r4.pk)) == {
        "procedures": "4,950",
        "online-by-count": "30.7%",  # 1,520 of 4,950
        "online-by-volume": "41.8%",  # 2,236,706 of 5,350,437
        "planned-share": "13.9%",  # 690 of 4,950, which a printed report rounds to 14%
        "later-share": "55.4%",  # 2,740 of 4,950
    }


def test_year_over_year_compares_the_round_with_its_previous_round(office, r2_r4):
    r2, r4 = r2_r4
    response = kpi_page(office, round=r4.pk)

    rows = [[cell.text for cell in row[1:]] for row in response.context["yoy_table"].rows]
    assert ["8.2%", "30.7%", "+22.5 pt"] in rows  # online share by count
    assert ["32.0%", "41.8%", "+9.8 pt"] in rows  # online share by volume
    assert ["3,561", "4,950", "+1,389"] in rows  # procedures
    assert ["292", "1,520", "+1,228"] in rows  # online procedures
    html = response.content.decode()
    assert "+22.5 pt" in html
    chart = chart_json(html, "kpi-yoy-chart")
    assert [s["name"] for s in chart["series"]] == ["令和2年度調査", "令和4年度調査"]
    assert chart["series"][0]["data"][:2] == [8.2, 32.0]
    assert chart["series"][1]["data"][:2] == [30.7, 41.8]


def test_the_latest_round_is_shown_by_default(office, r2_r4):
    response = kpi_page(office)

    assert response.context["survey"] == r2_r4[1]


def test_the_priority_list_names_the_largest_procedures_not_online_and_their_share(office, small_round):
    response = kpi_page(office, top=2)

    names = [row[2].text for row in response.context["priority_table"].rows]
    assert names == ["大口の許可申請", "対面の交付申請"]  # 250 and 200 cases, neither online
    # 450 of all 1,000 cases.
    assert response.context["priority_share"] == "45.0%"
    assert "45.0%" in response.content.decode()


def test_the_priority_list_is_twenty_long_by_default(office, r2_r4):
    response = kpi_page(office, round=r2_r4[1].pk)

    assert len(response.context["priority_table"].rows) == 20
    assert all(
        row[7].text != str(OnlineStatus.ONLINE.label) for row in response.context["priority_table"].rows
    )


def test_an_editor_sees_the_kpis_of_their_own_department_only(client, world, small_round):
    client.force_login(world.users["editor_a2"])

    # Asking for another department changes nothing: the scope decides.
    response = kpi_page(client, department=world.dept_a1.pk)

    kpis = response.context["kpis"]
    assert (kpis.procedures, kpis.online, kpis.volume, kpis.online_volume) == (4, 1, 275, 28)
    assert stat(response, "kpi-online-by-count") == "25.0%"  # 1 of 4
    assert stat(response, "kpi-online-by-volume") == "10.2%"  # 28 of 275
    assert "department_table" not in response.context
    names = [row[2].text for row in response.context["priority_table"].rows]
    assert names and "大口の許可申請" not in names
    assert "大口の許可申請" not in response.content.decode()


def test_the_office_narrows_the_page_to_one_department(office, world, small_round):
    response = kpi_page(office, department=world.dept_a1.pk)

    kpis = response.context["kpis"]
    assert (kpis.procedures, kpis.online) == (6, 2)
    assert stat(response, "kpi-online-by-count") == "33.3%"  # 2 of 6
    assert {row[3].text for row in response.context["priority_table"].rows} == {world.dept_a1.name}


def test_the_office_sees_every_department_and_sorts_them_by_share(office, world, small_round):
    by_count = kpi_page(office, sort="-online_share_by_count").context["department_table"]
    assert [row[0].text for row in by_count.rows] == [world.dept_a1.name, world.dept_a2.name]
    assert [row[3].text for row in by_count.rows] == ["33.3%", "25.0%"]

    by_volume = kpi_page(office, sort="online_share_by_volume").context["department_table"]
    # 390 of 725 (53.8%) and 28 of 275 (10.2%).
    assert [row[6].text for row in by_volume.rows] == ["10.2%", "53.8%"]


def test_another_body_sees_none_of_the_round(client, world, small_round):
    client.force_login(world.users["office_b"])

    response = kpi_page(client, round=small_round.pk)

    assert response.context["survey"] is None
    assert "大口の許可申請" not in response.content.decode()


def test_without_a_round_the_page_says_so(office):
    response = kpi_page(office)

    assert response.context["survey"] is None


@pytest.mark.parametrize("answers", [10, 500])
def test_the_kpi_page_costs_the_same_queries_however_many_answers(
    office, world, answers, django_assert_max_num_queries
):
    previous = make_round(world.body_a, "前回", 2021)
    survey = make_round(world.body_a, "今回", 2022, previous=previous)
    units = [world.section_a1, world.section_a2]
    statuses = [ONLINE, PLANNED, LATER, IMPOSSIBLE]
    rows = [
        Row(units[i % 2], statuses[i % 4], 10 + i, 5, target_fy=2024 + i % 3, reasons=(Reason.FEE,))
        for i in range(answers)
    ]
    procedures = answer_round(survey, rows)
    answer_round(previous, rows, procedures)

    # One LIMITed query per status not online for the priority list (and one naming the body's
    # departments for it), whatever the size of the round.
    with django_assert_max_num_queries(19):
        response = kpi_page(office)
    assert response.context["kpis"].procedures == answers
    assert len(response.context["priority_table"].rows) == min(20, answers * 3 // 4)


def test_the_system_administrator_reads_a_round_shared_by_many_bodies_as_a_whole(client, world, small_round):
    # A national survey: the same round also holds another body's answers.
    answer_round(
        small_round, [Row(world.section_b1, ONLINE, 1000, 1000), Row(world.section_b1, LATER, 500, 0)]
    )
    client.force_login(world.users["superuser"])
    whole = kpi_page(client, round=small_round.pk).context["kpis"]
    client.force_login(world.users["office_a"])
    own = kpi_page(client, round=small_round.pk).context["kpis"]

    assert (whole.procedures, whole.online, whole.volume) == (12, 4, 2500)
    assert (own.procedures, own.online, own.volume) == (10, 3, 1000)
