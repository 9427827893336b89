"""Departments answering a self-inspection round: prefill, the questionnaire, submitting, closed rounds."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.urls import reverse

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.models import RoundParticipation
from karte.inspections import services
from karte.inspections.models import InspectionAnswer
from karte.inspections.tests.conftest import answer_of, open_inspection
from karte.systems.choices import SystemStatus
from karte.systems.models import System

ROLES = ["anonymous", "no_role", "office_a", "editor_a1", "editor_a2", "viewer_a1", "auditor_a", "office_b"]


def questionnaire_url(survey, system) -> str:
    return reverse("inspections:system_answers", kwargs={"pk": survey.pk, "system_pk": system.pk})


def questionnaire_data(survey, system, changes=None) -> dict:
    """Every answer of the system as it stands, with `changes={question: (result, evidence)}`."""
    by_question = {question.pk: value for question, value in (changes or {}).items()}
    data = {}
    for answer in InspectionAnswer.objects.filter(round=survey, system=system):
        result, evidence = by_question.get(answer.question_id, (answer.result, answer.evidence))
        data[f"result_{answer.pk}"] = result
        data[f"evidence_{answer.pk}"] = evidence
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- opening a round --------------------------------------------------------------------------------
def test_a_round_asks_every_system_in_use_every_active_question(world, inspection):
    retired = System.objects.create(
        unit=world.section_a1, code="SYS-OLD", name="旧システム", status=SystemStatus.RETIRED
    )
    survey = open_inspection(world)
    answers = InspectionAnswer.objects.filter(round=survey)
    assert answers.count() == 2 * 3  # X and Y, three questions each
    assert not answers.filter(system=retired).exists()
    departments = set(RoundParticipation.objects.filter(round=survey).values_list("department_id", flat=True))
    assert departments == {world.dept_a1.pk, world.dept_a2.pk}
    assert set(answers.filter(system=inspection.y).values_list("department_id", flat=True)) == {
        world.dept_a2.pk
    }


def test_a_new_round_copies_the_previous_rounds_results_and_evidence(world, inspection):
    i = inspection
    first = open_inspection(world, name="令和6年度自己点検", fiscal_year=2024)
    InspectionAnswer.objects.filter(round=first, system=i.x, question=i.q1).update(
        result="implemented", evidence="ID管理台帳（令和6年4月版）"
    )
    InspectionAnswer.objects.filter(round=first, system=i.y, question=i.q3).update(result="not_implemented")
    rounds.close_round(first, world.users["office_a"])
    newcomer = System.objects.create(unit=world.section_a2, code="SYS-N", name="新規システム")

    second = open_inspection(world, name="令和7年度自己点検", fiscal_year=2025)

    assert second.previous_id == first.pk
    copied = answer_of(second, i.x, i.q1)
    assert (copied.result, copied.evidence) == ("implemented", "ID管理台帳（令和6年4月版）")
    assert answer_of(second, i.y, i.q3).result == "not_implemented"
    assert answer_of(second, i.x, i.q2).result == ""
    assert answer_of(second, newcomer, i.q1).result == ""
    # The copy is the new round's own: changing it leaves last year's answer as it was.
    InspectionAnswer.objects.filter(pk=copied.pk).update(result="partly")
    assert answer_of(first, i.x, i.q1).result == "implemented"


# --- the questionnaire ------------------------------------------------------------------------------
def test_an_editor_answers_the_questionnaire_of_their_system(client, world, inspection, survey):
    i = inspection
    client.force_login(world.users["editor_a1"])
    page = client.get(questionnaire_url(survey, i.x))
    assert page.status_code == 200
    body = page.content.decode()
    for question in (i.q1, i.q2, i.q3):
        assert question.text in body
    assert body.index("アクセス制御") < body.index("バックアップ")

    data = questionnaire_data(
        survey, i.x, {i.q1: ("implemented", "ID台帳で確認"), i.q3: ("not_implemented", "")}
    )
    response = client.post(questionnaire_url(survey, i.x), data)
    assert response.status_code == 302
    saved = answer_of(survey, i.x, i.q1)
    assert (saved.result, saved.evidence, saved.answered_by) == (
        "implemented",
        "ID台帳で確認",
        world.users["editor_a1"],
    )
    assert saved.answered_on is not None
    assert saved.history.first().history_user == world.users["editor_a1"]
    assert answer_of(survey, i.x, i.q3).result == "not_implemented"
    assert answer_of(survey, i.x, i.q2).answered_by is None  # untouched answers keep no answerer
    participation = RoundParticipation.objects.get(round=survey, department=world.dept_a1)
    assert participation.status == ParticipationStatus.IN_PROGRESS

    # The 未実施 answer offers a follow-up action pre-filled with the system, question and round.
    page = client.get(questionnaire_url(survey, i.x)).content.decode()
    add = reverse("inspections:followupaction_add")
    link = f"{add}?system={i.x.pk}&amp;round={survey.pk}&amp;question={i.q3.pk}"
    assert link in page
    assert f"question={i.q1.pk}" not in page


def test_a_result_that_is_not_a_choice_is_refused_and_nothing_changes(client, world, inspection, survey):
    i = inspection
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, i.x, i.q1)
    data = questionnaire_data(survey, i.x)
    data[f"result_{answer.pk}"] = "perfect"
    response = client.post(questionnaire_url(survey, i.x), data)
    assert response.status_code == 400
    assert "正しく選択してください" in response.content.decode()
    assert answer_of(survey, i.x, i.q1).result == ""


def test_a_closed_round_refuses_answers(client, world, inspection, survey):
    i = inspection
    rounds.close_round(survey, world.users["office_a"])
    answer = answer_of(survey, i.x, i.q1)
    before, history = model_to_dict(answer), answer.history.count()
    for role in ("editor_a1", "office_a"):
        client.force_login(world.users[role])
        page = client.get(questionnaire_url(survey, i.x))
        assert page.status_code == 200
        assert page.context["editable"] is False
        data = questionnaire_data(survey, i.x)
        data[f"result_{answer.pk}"] = "implemented"
        response = client.post(questionnaire_url(survey, i.x), data)
        assert response.status_code == 302
        assert any("締め切" in m or "closed" in m for m in messages_of(response)), messages_of(response)
    answer.refresh_from_db()
    assert model_to_dict(answer) == before
    assert answer.history.count() == history
    with pytest.raises(rounds.RoundRefused):
        services.save_answers(
            [answer], [services.AnswerChange(answer, "implemented", "")], world.users["office_a"]
        )


def test_a_submitted_answer_is_locked_for_the_department_but_the_office_may_correct_it(
    client, world, inspection, survey
):
    i = inspection
    client.force_login(world.users["editor_a1"])
    response = client.post(
        reverse("inspections:round_submit", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
    )
    assert response.status_code == 302
    participation = RoundParticipation.objects.get(round=survey, department=world.dept_a1)
    assert participation.status == ParticipationStatus.SUBMITTED
    answer = answer_of(survey, i.x, i.q1)

    data = questionnaire_data(survey, i.x)
    data[f"result_{answer.pk}"] = "implemented"
    client.post(questionnaire_url(survey, i.x), data)
    assert answer_of(survey, i.x, i.q1).result == ""

    client.force_login(world.users["office_a"])
    client.post(questionnaire_url(survey, i.x), data)
    assert answer_of(survey, i.x, i.q1).result == "implemented"


def test_the_answers_page_lists_the_departments_systems_with_progress(client, world, inspection, survey):
    i = inspection
    InspectionAnswer.objects.filter(round=survey, system=i.x, question=i.q1).update(result="implemented")
    client.force_login(world.users["editor_a1"])
    response = client.get(reverse("inspections:round_answers", kwargs={"pk": survey.pk}))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.label, r.answered, r.total) for r in rows] == [("SYS-X 福祉総合システム", 1, 3)]
    assert response.context["may_submit"] is True
    assert questionnaire_url(survey, i.x) in response.content.decode()
    # The core round page links here.
    detail = client.get(reverse("core:round_detail", kwargs={"pk": survey.pk})).content.decode()
    assert reverse("inspections:round_answers", kwargs={"pk": survey.pk}) in detail


# --- who sees which pages ---------------------------------------------------------------------------
def expected_status(role: str, system_department, world) -> int:
    if role == "anonymous":
        return 302
    if role == "no_role":
        return 403
    if role == "office_b":
        return 404
    own = {"editor_a1": world.dept_a1, "viewer_a1": world.dept_a1, "editor_a2": world.dept_a2}.get(role)
    if own is not None and own != system_department:
        return 404
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_round_pages_follow_the_roles(client, world, inspection, survey, role):
    """A department's pages show its own systems; the office's and auditor's the department asked for."""
    i = inspection
    own = {"editor_a1": world.dept_a1, "viewer_a1": world.dept_a1, "editor_a2": world.dept_a2}.get(role)
    if role != "anonymous":
        client.force_login(world.users[role])
    for system, department in ((i.x, world.dept_a1), (i.y, world.dept_a2)):
        response = client.get(questionnaire_url(survey, system))
        assert response.status_code == expected_status(role, department, world), (role, system.code)

        url = reverse("inspections:round_answers", kwargs={"pk": survey.pk}) + f"?department={department.pk}"
        response = client.get(url)
        # The answers page itself is open to every member of the body; what it lists is not.
        expected = expected_status(role, None, world) if role in ("anonymous", "no_role", "office_b") else 200
        assert response.status_code == expected, role
        if response.status_code != 200:
            continue
        body = response.content.decode()
        for listed, its_department in ((i.x, world.dept_a1), (i.y, world.dept_a2)):
            shown = its_department == (own or department)
            assert (listed.name in body) == shown, (role, listed.code, department.name)


@pytest.mark.parametrize("role", ROLES)
def test_forged_answer_posts_change_nothing_outside_the_scope(client, world, inspection, survey, role):
    i = inspection
    # 健康医療部 has submitted, so editor_a2's own submit is refused and changes nothing either.
    rounds.submit(survey, world.dept_a2.pk, world.users["editor_a2"])
    if role != "anonymous":
        client.force_login(world.users[role])

    def state():
        return (
            [model_to_dict(a) for a in InspectionAnswer.objects.order_by("pk")],
            [model_to_dict(p) for p in RoundParticipation.objects.order_by("pk")],
        )

    before = state()
    posts = [
        ({"office_a", "editor_a1"}, questionnaire_url(survey, i.x), None),
        ({"office_a", "editor_a1"}, reverse("inspections:round_submit", kwargs={"pk": survey.pk}), {}),
    ]
    for allowed, url, data in posts:
        if role in allowed:
            continue
        if data is None:
            data = questionnaire_data(survey, i.x)
            for key in data:
                if key.startswith("result_"):
                    data[key] = "implemented"
        else:
            data = {"department": world.dept_a1.pk}
        response = client.post(url, data)
        assert response.status_code in (302, 403, 404), (role, url)
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
    assert state() == before, role
