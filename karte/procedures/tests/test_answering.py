"""A department answering a procedures survey round: its own answers only, row by row and by sheet."""

from __future__ import annotations

import datetime
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.importing.jobs import request_apply, start_import
from karte.core.models import RoundParticipation
from karte.procedures import services
from karte.procedures.importers import ProceduresImporter
from karte.procedures.models import Procedure, ProcedureAnswer
from karte.procedures.selectors import round_kpis

FIELDS = ["yearly_volume", "online_volume", "status", "target_fy", "reasons"]


@pytest.fixture
def procedures(world):
    return {
        "a1": Procedure.objects.create(unit=world.section_a1, code="P-A1-1", name="生活保護の申請"),
        "a1b": Procedure.objects.create(unit=world.section_a1, code="P-A1-2", name="障がい者手帳の交付"),
        "a2": Procedure.objects.create(
            unit=world.section_a2, code="P-A2-1", name="難病医療費の助成SECRET-A2"
        ),
        "b1": Procedure.objects.create(unit=world.section_b1, code="P-B1-1", name="市の手続SECRET-B"),
    }


def open_round(world, fields=FIELDS, name="令和7年度照会"):
    return rounds.open_round(
        user=world.users["office_a"],
        body=world.body_a,
        kind="procedures",
        name=name,
        fiscal_year=2025,
        deadline=datetime.date(2025, 7, 31),
        fields=fields,
    )


@pytest.fixture
def survey(world, procedures):
    return open_round(world)


def answer_of(survey, procedure) -> ProcedureAnswer:
    return ProcedureAnswer.objects.get(round=survey, procedure=procedure)


def answers_url(survey, **params) -> str:
    url = reverse("procedures:round_answers", kwargs={"pk": survey.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def edit_url(answer) -> str:
    return reverse("procedures:answer_edit", kwargs={"pk": answer.pk})


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [row.answer.procedure.code for row in response.context["rows"]]


def sheet(response) -> list[tuple]:
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.active.iter_rows(values_only=True))


# --- seeing ------------------------------------------------------------------------------------------
def test_an_editor_sees_only_the_answers_of_their_own_department(client, world, survey):
    client.force_login(world.users["editor_a1"])

    response = client.get(answers_url(survey))
    forged = client.get(answers_url(survey, department=world.dept_a2.pk))

    assert listed(response) == ["P-A1-1", "P-A1-2"]
    assert listed(forged) == ["P-A1-1", "P-A1-2"]
    assert "SECRET" not in response.content.decode() + forged.content.decode()
    assert response.context["department_choices"] is None
    assert (response.context["may_edit"], response.context["may_submit"]) == (True, True)


def test_a_viewer_reads_the_answers_without_editing(client, world, survey):
    client.force_login(world.users["viewer_a1"])

    response = client.get(answers_url(survey))

    assert listed(response) == ["P-A1-1", "P-A1-2"]
    assert (response.context["may_edit"], response.context["may_submit"]) == (False, False)
    assert edit_url(answer_of(survey, Procedure.objects.get(code="P-A1-1"))) not in response.content.decode()
    assert client.get(edit_url(answer_of(survey, Procedure.objects.get(code="P-A1-1")))).status_code == 403


def test_the_office_chooses_a_department(client, world, survey):
    client.force_login(world.users["office_a"])

    picker = client.get(answers_url(survey))
    chosen = client.get(answers_url(survey, department=world.dept_a2.pk))
    outside = client.get(answers_url(survey, department=world.dept_b1.pk))

    assert picker.status_code == 200 and picker.context["rows"] == []
    names = [p.department.name for p in picker.context["department_choices"]]
    assert names == ["福祉部", "健康医療部"]
    assert listed(chosen) == ["P-A2-1"]
    assert outside.status_code == 404


def test_the_answers_page_costs_a_bounded_number_of_queries(
    client, world, survey, django_assert_max_num_queries
):
    Procedure.objects.bulk_create(
        Procedure(unit=world.section_a1, body=world.body_a, code=f"BULK-{n:03}", name=f"手続{n}")
        for n in range(100)
    )
    survey = open_round(world, name="大量の照会")
    client.force_login(world.users["editor_a1"])

    with django_assert_max_num_queries(15):
        response = client.get(answers_url(survey))

    assert len(listed(response)) == 100


# --- editing -----------------------------------------------------------------------------------------
def test_an_editor_edits_a_row_and_the_kpis_follow(client, world, procedures, survey):
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, procedures["a1"])

    form = client.get(edit_url(answer), headers={"HX-Request": "true"})
    row = client.post(
        edit_url(answer),
        {"yearly_volume": "1,200", "online_volume": "0", "status": "planned", "target_fy": "令和8年度"},
        headers={"HX-Request": "true"},
    )

    assert form.status_code == 200
    assert f'form="answer-form-{answer.pk}"' in form.content.decode()
    assert row.status_code == 200
    assert row.content.decode().lstrip().startswith(f'<tr id="answer-{answer.pk}">')
    answer.refresh_from_db()
    assert (answer.status, answer.target_fy) == ("planned", 2026)
    kpis = round_kpis(survey, department_id=world.dept_a1.pk)
    assert (kpis.planned, kpis.planned_by_fy) == (1, {2026: 1})
    participation = RoundParticipation.objects.get(round=survey, department=world.dept_a1)
    assert participation.status == ParticipationStatus.IN_PROGRESS


def test_an_edit_without_javascript_saves_and_returns_to_the_answers(client, world, procedures, survey):
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, procedures["a1"])

    page = client.get(edit_url(answer))
    response = client.post(
        edit_url(answer),
        {"yearly_volume": "500", "online_volume": "500", "status": "online", "reasons": ["fee"]},
    )

    assert page.status_code == 200
    assert response.status_code == 302 and response.url == answers_url(survey)
    answer.refresh_from_db()
    assert (answer.yearly_volume, answer.online_volume, answer.reasons) == (500, 500, [])
    assert round_kpis(survey).online_volume == 500


def test_a_wrong_row_shows_its_errors_and_saves_nothing(client, world, procedures, survey):
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, procedures["a1"])

    htmx = client.post(
        edit_url(answer),
        {"yearly_volume": "10", "online_volume": "20", "status": "planned", "target_fy": ""},
        headers={"HX-Request": "true"},
    )
    plain = client.post(edit_url(answer), {"yearly_volume": "-1"})

    assert htmx.status_code == 200
    assert set(htmx.context["form"].errors) == {"online_volume", "target_fy"}
    assert plain.status_code == 400
    answer.refresh_from_db()
    assert answer.yearly_volume is None


def test_the_round_asks_only_the_fields_the_office_chose(client, world, procedures):
    survey = open_round(world, fields=["yearly_volume"])
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, procedures["a1"])

    form = client.get(edit_url(answer)).context["form"]
    client.post(edit_url(answer), {"yearly_volume": "3", "status": "online"})

    assert list(form.fields) == ["yearly_volume"]
    answer.refresh_from_db()
    assert (answer.yearly_volume, answer.status) == (3, "")


@pytest.mark.parametrize("role", ["editor_a1", "office_b"])
def test_editing_another_departments_answer_by_id_is_not_found(client, world, procedures, survey, role):
    client.force_login(world.users[role])
    answer = answer_of(survey, procedures["a2"])

    get = client.get(edit_url(answer))
    post = client.post(edit_url(answer), {"yearly_volume": "666", "status": "online"})

    assert (get.status_code, post.status_code) == (404, 404)
    answer.refresh_from_db()
    assert (answer.yearly_volume, answer.status) == (None, "")


# --- submitting --------------------------------------------------------------------------------------
def test_a_submitted_answer_is_read_only_for_the_department(client, world, procedures, survey):
    client.force_login(world.users["editor_a1"])

    client.post(reverse("procedures:round_submit", kwargs={"pk": survey.pk}))
    page = client.get(answers_url(survey))

    assert (page.context["may_edit"], page.context["may_submit"]) == (False, False)
    assert page.context["notice"][0] == "success"
    assert edit_url(answer_of(survey, procedures["a1"])) not in page.content.decode()
    assert client.get(edit_url(answer_of(survey, procedures["a1"]))).status_code == 302
    other = RoundParticipation.objects.get(round=survey, department=world.dept_a2)
    assert other.status == ParticipationStatus.NOT_STARTED


def test_an_editor_cannot_submit_for_another_department(client, world, survey):
    client.force_login(world.users["editor_a2"])

    response = client.post(
        reverse("procedures:round_submit", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
    )

    # Refused outright: neither the department named nor the editor's own is submitted by mistake.
    assert response.status_code == 404
    statuses = dict(RoundParticipation.objects.filter(round=survey).values_list("department", "status"))
    assert statuses == {world.dept_a1.pk: "not_started", world.dept_a2.pk: "not_started"}


def test_viewers_and_auditors_cannot_submit(client, world, survey):
    for role in ("viewer_a1", "auditor_a"):
        client.force_login(world.users[role])
        response = client.post(
            reverse("procedures:round_submit", kwargs={"pk": survey.pk}), {"department": world.dept_a1.pk}
        )
        assert response.status_code == 403
    assert not RoundParticipation.objects.filter(round=survey, status="submitted").exists()


# --- the sheet ---------------------------------------------------------------------------------------
def test_the_departments_sheet_holds_only_its_own_procedures(client, world, procedures, survey):
    editor = world.users["editor_a1"]
    services.save_answer(
        answer_of(survey, procedures["a1"]),
        editor,
        yearly_volume=1200,
        online_volume=0,
        status="planned",
        target_fy=2026,
    )
    client.force_login(editor)
    url = reverse("procedures:answers_xlsx", kwargs={"pk": survey.pk})

    rows = sheet(client.get(url))
    forged = sheet(client.get(f"{url}?department={world.dept_a2.pk}"))

    header = list(rows[0])
    assert header == [c.label for c in ProceduresImporter.columns]
    assert [r[header.index("手続ID")] for r in rows[1:]] == ["P-A1-1", "P-A1-2"]
    first = dict(zip(header, rows[1], strict=False))
    assert (first["部局名"], first["所管課"], first["手続名"]) == ("福祉部", "地域福祉課", "生活保護の申請")
    assert (first["年間処理件数"], first["オンライン化予定時期"]) == (1200, "令和8年度")
    assert forged == rows


def test_the_office_downloads_one_departments_sheet(client, world, survey):
    client.force_login(world.users["office_a"])

    rows = sheet(
        client.get(
            reverse("procedures:answers_xlsx", kwargs={"pk": survey.pk}) + f"?department={world.dept_a2.pk}"
        )
    )

    assert [r[0] for r in rows[1:]] == ["P-A2-1"]


def test_a_department_answers_by_editing_its_sheet_and_importing_it_back(client, world, procedures, survey):
    editor = world.users["editor_a1"]
    client.force_login(editor)
    page = client.get(answers_url(survey))
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("procedures:answers_xlsx", kwargs={"pk": survey.pk})).content)
    )
    sheet_ = book.active
    header = [c.value for c in sheet_[1]]
    sheet_.cell(row=2, column=header.index("年間処理件数") + 1, value=4321)
    sheet_.cell(row=2, column=header.index("オンライン化状況") + 1, value="オンライン化済")
    out = io.BytesIO()
    book.save(out)

    job = start_import(
        "procedures", SimpleUploadedFile("answers.xlsx", out.getvalue()), editor, {"round": survey.name}
    )
    job.refresh_from_db()
    assert job.preview["counts"]["errors"] == 0, job.preview["errors"]
    request_apply(job)

    assert page.context["import_url"].endswith("?round=" + quote(survey.name))
    answer = answer_of(survey, procedures["a1"])
    assert (answer.yearly_volume, answer.status) == (4321, "online")
    assert round_kpis(survey, department_id=world.dept_a1.pk).online == 1
    assert answer_of(survey, procedures["a2"]).yearly_volume is None


def test_the_excel_link_opens_the_import_page_with_the_round_chosen(client, world, survey):
    open_round(world, name="令和8年度照会")
    client.force_login(world.users["editor_a1"])

    page = client.get(reverse("core:import_new", kwargs={"kind": "procedures"}), {"round": survey.name})

    assert page.context["form"]["round"].value() == survey.name
