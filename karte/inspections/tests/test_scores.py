"""Scores: implemented 1, partly 0.5, not implemented 0; not applicable and unanswered left out.

The expected figures below are worked out by hand from that rule, not read from the code.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from karte.inspections import selectors
from karte.inspections.models import InspectionAnswer, InspectionQuestion
from karte.inspections.tests.conftest import set_results
from karte.systems.models import System

IMPL, PART, NOT, NA = "implemented", "partly", "not_implemented", "not_applicable"


@pytest.fixture
def answered(world, inspection, survey):
    i = inspection
    # X (福祉部): Q1 implemented, Q2 partly, Q3 not implemented.
    # Y (健康医療部): Q1 not applicable, Q2 not implemented, Q3 left unanswered.
    set_results(
        survey,
        {
            (i.x, i.q1): IMPL,
            (i.x, i.q2): PART,
            (i.x, i.q3): NOT,
            (i.y, i.q1): NA,
            (i.y, i.q2): NOT,
        },
    )
    return survey


def test_scores_by_section_and_department_follow_the_rule(world, inspection, answered):
    answers = InspectionAnswer.objects.filter(round=answered)

    overall = selectors.overall_score(answers)
    # 1 + 0.5 + 0 + 0 = 1.5 points over 4 scored answers = 37.5 %; one unanswered, one not applicable.
    assert (overall.points, overall.applicable, overall.percent) == (Decimal("1.5"), 4, Decimal("37.5"))
    assert (overall.unanswered, overall.not_applicable, overall.not_implemented) == (1, 1, 2)

    sections = {s.label: s for s in selectors.section_scores(answers)}
    assert list(sections) == ["アクセス制御", "バックアップ"]
    # アクセス制御: X Q1 1 + X Q2 0.5 + Y Q2 0 = 1.5 over 3 (Y Q1 not applicable) = 50 %.
    assert (sections["アクセス制御"].applicable, sections["アクセス制御"].percent) == (3, Decimal("50.0"))
    # バックアップ: X Q3 0 over 1 = 0 %, Y Q3 unanswered counted apart.
    assert (sections["バックアップ"].percent, sections["バックアップ"].unanswered) == (Decimal("0.0"), 1)

    departments = {s.label: s for s in selectors.department_scores(answers)}
    # 福祉部: 1.5 over 3 = 50 %. 健康医療部: 0 over 1 (Q1 not applicable, Q3 unanswered) = 0 %.
    assert departments["福祉部"].percent == Decimal("50.0")
    assert (departments["健康医療部"].percent, departments["健康医療部"].applicable) == (Decimal("0.0"), 1)


def test_a_group_with_nothing_scored_has_no_score_rather_than_zero(world, inspection, survey):
    i = inspection
    set_results(survey, {(i.x, i.q3): NA, (i.y, i.q3): ""})
    sections = {s.label: s for s in selectors.section_scores(InspectionAnswer.objects.filter(round=survey))}
    assert sections["バックアップ"].percent is None
    assert sections["アクセス制御"].percent is None  # nothing answered at all yet


def test_a_third_is_rounded_to_one_decimal(world, inspection, survey):
    i = inspection
    z = System.objects.create(unit=world.section_a1, code="SYS-Z", name="福祉台帳")
    InspectionAnswer.objects.create(
        round=survey, system=z, question=i.q3, unit=z.unit, department=world.dept_a1, result=NOT
    )
    set_results(survey, {(i.x, i.q3): IMPL, (i.y, i.q3): NOT})
    sections = {s.label: s for s in selectors.section_scores(InspectionAnswer.objects.filter(round=survey))}
    # 1 + 0 + 0 over 3 = 33.333… %
    assert sections["バックアップ"].percent == Decimal("33.3")


def test_weakest_questions_come_lowest_score_first(world, inspection, answered):
    i = inspection
    weakest = selectors.weakest_questions(InspectionAnswer.objects.filter(round=answered))
    # Q3: 0 over 1 = 0 %; Q2: 0.5 + 0 over 2 = 25 %; Q1: 1 over 1 = 100 % (Y's not applicable left out).
    assert [(s.key, s.percent, s.not_implemented) for s in weakest] == [
        (i.q3.pk, Decimal("0.0"), 1),
        (i.q2.pk, Decimal("25.0"), 1),
        (i.q1.pk, Decimal("100.0"), 0),
    ]


def test_on_a_tie_the_question_more_systems_have_not_implemented_is_weaker(world, inspection, survey):
    i = inspection
    # Q1 and Q3 both score 0 %: Q1 with one 未実施 (Y not applicable), Q3 with two.
    set_results(survey, {(i.x, i.q1): NOT, (i.y, i.q1): NA, (i.x, i.q3): NOT, (i.y, i.q3): NOT})
    weakest = selectors.weakest_questions(InspectionAnswer.objects.filter(round=survey))
    assert [s.key for s in weakest] == [i.q3.pk, i.q1.pk]
    assert [s.not_implemented for s in weakest] == [2, 1]


def test_the_results_page_shows_the_office_every_department(client, world, inspection, answered):
    client.force_login(world.users["office_a"])
    response = client.get(reverse("inspections:results"))
    assert response.status_code == 200
    assert response.context["overall"].percent == Decimal("37.5")
    body = response.content.decode()
    assert "福祉部" in body and "健康医療部" in body
    assert "37.5%" in body
    assert 'id="inspection-section-chart"' in body and 'id="inspection-department-chart"' in body
    departments = {row[0].text: row[1].text for row in response.context["department_table"].rows}
    assert departments == {"福祉部": "50.0%", "健康医療部": "0.0%"}


def test_a_department_sees_only_its_own_systems_scores(client, world, inspection, answered):
    client.force_login(world.users["editor_a1"])
    response = client.get(reverse("inspections:results"))
    assert response.status_code == 200
    # Only X counts: アクセス制御 1 + 0.5 over 2 = 75 %; overall 1.5 over 3 = 50 %.
    assert response.context["overall"].percent == Decimal("50.0")
    sections = {row[0].text: row[1].text for row in response.context["section_table"].rows}
    assert sections == {"アクセス制御": "75.0%", "バックアップ": "0.0%"}
    body = response.content.decode()
    assert "SECRET-A2" not in body
    assert "健康医療部" not in body
    assert response.context["department_table"] is None
    # Asking for another department changes nothing for a department user.
    response = client.get(reverse("inspections:results") + f"?department={world.dept_a2.pk}")
    assert response.context["overall"].percent == Decimal("50.0")
    assert "SECRET-A2" not in response.content.decode()


def test_the_office_narrows_the_results_to_one_department(client, world, inspection, answered):
    client.force_login(world.users["auditor_a"])
    response = client.get(reverse("inspections:results") + f"?department={world.dept_a2.pk}")
    # Y alone: Q2 not implemented is the only scored answer.
    assert response.context["overall"].percent == Decimal("0.0")
    systems = [row[0].text for row in response.context["system_table"].rows]
    assert systems == ["SYS-Y 感染症管理システムSECRET-A2"]


def test_another_body_sees_none_of_the_round(client, world, inspection, answered):
    client.force_login(world.users["office_b"])
    response = client.get(reverse("inspections:results") + f"?round={answered.pk}")
    assert response.status_code == 200
    assert response.context["survey"] is None
    assert "福祉総合システム" not in response.content.decode()


def test_an_inactive_question_is_not_asked_in_a_new_round(world, inspection):
    from karte.inspections.tests.conftest import open_inspection

    InspectionQuestion.objects.filter(pk=inspection.q2.pk).update(active=False)
    survey = open_inspection(world)
    asked = set(InspectionAnswer.objects.filter(round=survey).values_list("question_id", flat=True))
    assert asked == {inspection.q1.pk, inspection.q3.pk}
