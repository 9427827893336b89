"""Survey rounds (照会) as the office and departments meet them: opening, answering, submitting, sending
back, reminding and closing; a closed round is a snapshot nothing changes afterwards."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.urls import reverse

from karte.core import rounds
from karte.core.choices import ParticipationStatus, Role, RoundStatus
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.tests.factories import make_user
from karte.procedures import services
from karte.procedures.models import Procedure, ProcedureAnswer
from karte.procedures.selectors import kpis_by_department, round_kpis

FIELDS = ["yearly_volume", "online_volume", "status", "target_fy", "reasons"]


@pytest.fixture
def procedures(world):
    """Two procedures in 福祉部, one in 健康医療部, one in body B; none in the office's own department."""
    return {
        "a1": Procedure.objects.create(unit=world.section_a1, code="P-A1-1", name="生活保護の申請"),
        "a1b": Procedure.objects.create(unit=world.section_a1, code="P-A1-2", name="障がい者手帳の交付"),
        "a2": Procedure.objects.create(unit=world.section_a2, code="P-A2-1", name="難病医療費の助成"),
        "b1": Procedure.objects.create(unit=world.section_b1, code="P-B1-1", name="市の手続SECRET-B"),
    }


def open_round(world, name="令和7年度照会", previous=None, fiscal_year=2025) -> SurveyRound:
    return rounds.open_round(
        user=world.users["office_a"],
        body=world.body_a,
        kind="procedures",
        name=name,
        fiscal_year=fiscal_year,
        deadline=datetime.date(2025, 7, 31),
        fields=FIELDS,
        previous=previous,
    )


@pytest.fixture
def survey(world, procedures):
    return open_round(world)


def answer_of(survey, procedure) -> ProcedureAnswer:
    return ProcedureAnswer.objects.get(round=survey, procedure=procedure)


def participation(survey, department) -> RoundParticipation:
    return RoundParticipation.objects.get(round=survey, department=department)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(survey) -> tuple:
    """Everything a closed round shows: its answers, KPIs, KPIs by department and its participations."""
    answers = [
        model_to_dict(a) for a in ProcedureAnswer.objects.filter(round=survey).order_by("procedure__code")
    ]
    participations = [
        model_to_dict(p) for p in RoundParticipation.objects.filter(round=survey).order_by("department__code")
    ]
    by_department = [(name, k.as_dict()) for name, k in kpis_by_department(survey)]
    return answers, round_kpis(survey).as_dict(), by_department, participations


# --- opening ----------------------------------------------------------------------------------------
def test_the_office_opens_a_round_with_the_fiscal_year_in_japanese(client, world, procedures):
    client.force_login(world.users["office_a"])

    page = client.get(reverse("core:round_open"))
    response = client.post(
        reverse("core:round_open"),
        {
            "name": "令和7年度オンライン化照会",
            "kind": "procedures",
            "fiscal_year": "令和7年度",
            "deadline": "2025-07-31",
            "fields": ["yearly_volume", "status"],
        },
    )

    assert page.status_code == 200
    survey = SurveyRound.objects.get(name="令和7年度オンライン化照会")
    assert response.status_code == 302
    assert response.url == reverse("core:round_detail", kwargs={"pk": survey.pk})
    assert (survey.body, survey.fiscal_year, survey.fields) == (
        world.body_a,
        2025,
        ["yearly_volume", "status"],
    )
    assert survey.deadline == datetime.date(2025, 7, 31)
    departments = set(survey.participations.values_list("department__name", flat=True))
    assert departments == {"福祉部", "健康医療部"}
    assert ProcedureAnswer.objects.filter(round=survey).count() == 3


def test_the_open_form_refuses_a_duplicate_name_and_an_unreadable_year(client, world, survey):
    client.force_login(world.users["office_a"])

    response = client.post(
        reverse("core:round_open"),
        {"name": survey.name, "kind": "procedures", "fiscal_year": "来年", "fields": ["status"]},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "fiscal_year"}
    assert SurveyRound.objects.count() == 1


@pytest.mark.parametrize("role", ["editor_a1", "viewer_a1", "auditor_a"])
def test_only_the_office_opens_a_round(client, world, procedures, role):
    client.force_login(world.users[role])

    get = client.get(reverse("core:round_open"))
    post = client.post(
        reverse("core:round_open"),
        {"name": "X", "kind": "procedures", "fiscal_year": "2025", "fields": ["status"]},
    )

    assert (get.status_code, post.status_code) == (403, 403)
    with pytest.raises(PermissionDenied):
        rounds.open_round(
            user=world.users[role],
            body=world.body_a,
            kind="procedures",
            name="X",
            fiscal_year=2025,
            deadline=None,
            fields=["status"],
        )
    assert not SurveyRound.objects.exists()


def test_a_new_round_starts_from_the_previous_rounds_answers(world, procedures, survey):
    office = world.users["office_a"]
    services.save_answer(
        answer_of(survey, procedures["a1"]),
        office,
        yearly_volume=1200,
        online_volume=300,
        status="planned",
        target_fy=2026,
    )
    services.save_answer(
        answer_of(survey, procedures["a2"]), office, status="impossible", reasons=["original_document"]
    )
    rounds.close_round(survey, office)

    follow_up = open_round(world, name="令和8年度照会", fiscal_year=2026)

    assert follow_up.previous == survey
    copied = answer_of(follow_up, procedures["a1"])
    assert (copied.yearly_volume, copied.online_volume, copied.status, copied.target_fy) == (
        1200,
        300,
        "planned",
        2026,
    )
    assert answer_of(follow_up, procedures["a2"]).reasons == ["original_document"]
    assert answer_of(follow_up, procedures["a1b"]).status == ""
    assert round_kpis(follow_up).planned == 1


# --- answering and submitting -----------------------------------------------------------------------
def test_submitting_locks_the_answers_for_the_department_but_not_for_the_office(
    client, world, procedures, survey
):
    editor, office = world.users["editor_a1"], world.users["office_a"]
    client.force_login(editor)

    response = client.post(reverse("procedures:round_submit", kwargs={"pk": survey.pk}))

    assert response.status_code == 302
    submitted = participation(survey, world.dept_a1)
    assert (submitted.status, submitted.submitted_by) == (ParticipationStatus.SUBMITTED, editor)
    assert participation(survey, world.dept_a2).status == ParticipationStatus.NOT_STARTED
    answer = answer_of(survey, procedures["a1"])
    with pytest.raises(rounds.RoundRefused):
        services.save_answer(answer, editor, yearly_volume=5)
    refused = client.post(
        reverse("procedures:answer_edit", kwargs={"pk": answer.pk}),
        {"yearly_volume": "5", "status": "online"},
    )
    assert refused.status_code == 302
    assert any("提出済み" in m for m in messages_of(refused))
    answer.refresh_from_db()
    assert answer.yearly_volume is None

    services.save_answer(answer, office, yearly_volume=7)

    answer.refresh_from_db()
    assert answer.yearly_volume == 7
    assert participation(survey, world.dept_a1).status == ParticipationStatus.SUBMITTED


def test_the_office_sends_an_answer_back_and_the_department_may_change_it_again(
    client, world, procedures, survey
):
    editor = world.users["editor_a1"]
    rounds.submit(survey, world.dept_a1.pk, editor)
    client.force_login(world.users["office_a"])

    response = client.post(
        reverse("core:round_send_back", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
    )

    assert response.status_code == 302
    assert participation(survey, world.dept_a1).status == ParticipationStatus.REOPENED
    answer = services.save_answer(answer_of(survey, procedures["a1"]), editor, yearly_volume=42)
    assert answer.yearly_volume == 42


@pytest.mark.parametrize("role", ["editor_a1", "viewer_a1", "auditor_a"])
def test_only_the_office_sends_back_reminds_and_closes(client, world, survey, role):
    rounds.submit(survey, world.dept_a1.pk, world.users["editor_a1"])
    client.force_login(world.users[role])

    responses = [
        client.post(
            reverse("core:round_send_back", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
        ),
        client.post(reverse("core:round_remind", kwargs={"pk": survey.pk})),
        client.post(reverse("core:round_close", kwargs={"pk": survey.pk})),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    survey.refresh_from_db()
    assert survey.status == RoundStatus.OPEN
    assert participation(survey, world.dept_a1).status == ParticipationStatus.SUBMITTED
    assert mail.outbox == []


def test_the_office_of_another_body_cannot_touch_the_round(client, world, survey):
    client.force_login(world.users["office_b"])

    responses = [
        client.get(reverse("core:round_detail", kwargs={"pk": survey.pk})),
        client.post(reverse("core:round_close", kwargs={"pk": survey.pk})),
        client.post(reverse("core:round_remind", kwargs={"pk": survey.pk})),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    survey.refresh_from_db()
    assert survey.status == RoundStatus.OPEN


# --- reminders --------------------------------------------------------------------------------------
def test_reminders_go_only_to_the_editors_of_departments_that_have_not_submitted(client, world, survey):
    for name in ("editor_a1", "editor_a2", "viewer_a1", "office_a"):
        user = world.users[name]
        user.email = f"{name}@pref.example.jp"
        user.save()
    make_user("viewer_a2", Role.VIEWER, world.section_a2, email="viewer_a2@pref.example.jp")
    rounds.submit(survey, world.dept_a1.pk, world.users["editor_a1"])
    client.force_login(world.users["office_a"])

    response = client.post(reverse("core:round_remind", kwargs={"pk": survey.pk}))

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["editor_a2@pref.example.jp"]]
    assert survey.name in mail.outbox[0].subject
    assert participation(survey, world.dept_a2).reminded_at is not None
    assert participation(survey, world.dept_a1).reminded_at is None


# --- the pages --------------------------------------------------------------------------------------
def test_every_member_of_the_body_sees_the_rounds(client, world, survey):
    for role in ("office_a", "editor_a2", "viewer_a1", "auditor_a"):
        client.force_login(world.users[role])
        response = client.get(reverse("core:round_list"))
        assert response.status_code == 200, role
        assert survey.name in response.content.decode(), role
    client.force_login(world.users["office_b"])
    assert survey.name not in client.get(reverse("core:round_list")).content.decode()


def test_the_office_sees_the_progress_of_every_department(client, world, survey):
    rounds.submit(survey, world.dept_a1.pk, world.users["editor_a1"])
    client.force_login(world.users["office_a"])

    response = client.get(reverse("core:round_detail", kwargs={"pk": survey.pk}))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["participation"].department.name for r in rows] == ["福祉部", "健康医療部"]
    assert [r["may_send_back"] for r in rows] == [True, False]
    counts = dict(response.context["status_counts"])
    assert counts[ParticipationStatus.SUBMITTED.label] == 1
    assert counts[ParticipationStatus.NOT_STARTED.label] == 1
    html = response.content.decode()
    assert reverse("core:round_close", kwargs={"pk": survey.pk}) in html
    assert 'data-confirm="' in html
    assert (
        f"{reverse('procedures:round_answers', kwargs={'pk': survey.pk})}?department={world.dept_a2.pk}"
        in html
    )


def test_a_department_sees_only_its_own_row_and_a_link_to_answer(client, world, survey):
    client.force_login(world.users["editor_a1"])

    response = client.get(reverse("core:round_detail", kwargs={"pk": survey.pk}))

    assert [r["participation"].department for r in response.context["rows"]] == [world.dept_a1]
    assert response.context["status_counts"] == []
    html = response.content.decode()
    assert "健康医療部" not in html
    assert reverse("core:round_close", kwargs={"pk": survey.pk}) not in html
    assert reverse("procedures:round_answers", kwargs={"pk": survey.pk}) in html


def test_a_refused_action_is_a_message_not_an_error(client, world, survey):
    client.force_login(world.users["office_a"])
    client.post(reverse("core:round_close", kwargs={"pk": survey.pk}))

    responses = [
        client.post(reverse("core:round_close", kwargs={"pk": survey.pk})),
        client.post(reverse("core:round_remind", kwargs={"pk": survey.pk})),
        client.post(
            reverse("core:round_send_back", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
        ),
    ]

    assert [r.status_code for r in responses] == [302, 302, 302]
    assert all(messages_of(r) for r in responses)
    assert "締め切" in messages_of(responses[0])[-1]


def test_a_registry_may_report_its_answer_counts(client, world, monkeypatch):
    """The progress table asks the round's kind for its answer counts, when the kind can tell."""

    class Fake(rounds.RoundKind):
        kind = "fake"
        label = "FAKE"
        answer_fields = [("colour", "colour")]

        def participating_departments(self, body_id):
            return [world.dept_a1.pk, world.dept_a2.pk]

        def prefill(self, survey):
            pass

        def answer_counts(self, survey):
            return {world.dept_a1.pk: 12}

    monkeypatch.setitem(rounds._kinds, "fake", Fake())
    survey = rounds.open_round(
        user=world.users["office_a"],
        body=world.body_a,
        kind="fake",
        name="FAKE-ROUND",
        fiscal_year=2025,
        deadline=None,
        fields=["colour"],
    )
    client.force_login(world.users["office_a"])

    response = client.get(reverse("core:round_detail", kwargs={"pk": survey.pk}))

    assert [r["answers"] for r in response.context["rows"]] == [12, None]
    assert [r["answers_url"] for r in response.context["rows"]] == [None, None]
    assert response.context["kind_label"] == "FAKE"


# --- closing ----------------------------------------------------------------------------------------
def test_a_closed_round_does_not_change_afterwards(client, world, procedures, survey):
    editor, office = world.users["editor_a1"], world.users["office_a"]
    answer = answer_of(survey, procedures["a1"])
    services.save_answer(answer, editor, yearly_volume=1000, online_volume=100, status="online")
    services.save_answer(answer_of(survey, procedures["a2"]), office, status="later", reasons=["fee"])
    client.force_login(office)
    closed = client.post(reverse("core:round_close", kwargs={"pk": survey.pk}))
    assert closed.status_code == 302
    survey.refresh_from_db()
    assert (survey.status, survey.closed_at is not None) == (RoundStatus.CLOSED, True)
    before = snapshot(survey)

    # The service refuses everyone, the office included.
    for user in (editor, office, world.users["superuser"]):
        with pytest.raises(rounds.RoundRefused):
            services.save_answer(answer_of(survey, procedures["a1"]), user, yearly_volume=1)
        with pytest.raises(rounds.RoundRefused):
            rounds.submit(survey, world.dept_a1.pk, user)
    # The pages refuse with a message, with and without htmx.
    client.force_login(editor)
    edit_url = reverse("procedures:answer_edit", kwargs={"pk": answer.pk})
    posted = client.post(edit_url, {"yearly_volume": "1", "status": "planned", "target_fy": "R8"})
    htmx = client.post(edit_url, {"yearly_volume": "2"}, headers={"HX-Request": "true"})
    form = client.get(edit_url)
    submitted = client.post(reverse("procedures:round_submit", kwargs={"pk": survey.pk}))
    assert (posted.status_code, form.status_code, submitted.status_code) == (302, 302, 302)
    assert htmx.status_code == 200 and htmx["HX-Redirect"]
    assert "締め切" in messages_of(submitted)[-1]
    page = client.get(reverse("procedures:round_answers", kwargs={"pk": survey.pk}))
    assert (page.context["may_edit"], page.context["may_submit"]) == (False, False)
    assert edit_url not in page.content.decode()
    client.force_login(office)
    client.post(reverse("core:round_send_back", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk})
    client.post(reverse("core:round_remind", kwargs={"pk": survey.pk}))
    # Later work elsewhere: the procedure moves and is renamed, a new round is opened and answered.
    procedures["a1"].unit = world.section_a2
    procedures["a1"].name = "改名された手続"
    procedures["a1"].save()
    follow_up = open_round(world, name="令和8年度照会", fiscal_year=2026)
    services.save_answer(
        answer_of(follow_up, procedures["a1"]), office, yearly_volume=9999, status="impossible"
    )
    rounds.close_round(follow_up, office)

    assert snapshot(survey) == before
    assert mail.outbox == []
    assert round_kpis(survey).online == 1


def test_ids_too_large_for_the_database_find_nothing_instead_of_failing(client, world, survey):
    from karte.core.generic import to_pk

    huge = "9" * 30
    given = ("12", " 7 ", "²", "-1", "", None, huge)
    assert [to_pk(v) for v in given] == [12, 7, None, None, None, None, None]
    client.force_login(world.users["office_a"])
    assert client.get(reverse("core:audit_trail") + "?page=" + huge).status_code == 200
    answers = reverse("procedures:round_answers", kwargs={"pk": survey.pk})
    assert client.get(f"{answers}?department={huge}").status_code == 404
    send_back = reverse("core:round_send_back", kwargs={"pk": survey.pk})
    assert client.post(send_back, {"department": huge}).status_code == 404


def test_a_malformed_parent_in_the_query_string_opens_an_empty_form(client, world):
    client.force_login(world.users["office_a"])
    for name, param in (
        ("systems:contract_add", "system"),
        ("vulnerabilities:finding_add", "system"),
        ("procedures:supportcase_add", "procedure"),
        ("inspections:followupaction_add", "system"),
    ):
        for value in ("²", "9" * 30, "abc"):
            response = client.get(f"{reverse(name)}?{param}={value}")
            assert response.status_code == 200, (name, value)
