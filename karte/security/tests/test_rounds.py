"""The yearly security measures survey as a round: who sees and changes what, pre-filling from the
profiles, answering, closing into the profiles, and the comparison with last year's round."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.importing.base import build_plan
from karte.core.importing.jobs import request_apply, start_import
from karte.core.models import RoundParticipation, SurveyRound
from karte.security import services_rounds
from karte.security.choices import Exemption
from karte.security.importers import MSG_CLOSED, SecuritySurveyImporter
from karte.security.models import ProtectionAnswer, ProtectionProfile
from karte.security.rounds import SecurityRound
from karte.security.tests.builders import protect
from karte.systems.choices import SystemStatus
from karte.systems.models import System
from tests.test_role_matrix import MEMBERS, ROLES, WRITERS, login_as, may_change, may_view, text_of

ALL_FIELDS = [name for name, _label in SecurityRound.answer_fields]
TAGS = (("section_a1", "A1"), ("section_a2", "A2"), ("section_b1", "B1"))


def open_security_round(user, body, name: str, *, previous=None, fields=ALL_FIELDS) -> SurveyRound:
    return rounds.open_round(
        user=user,
        body=body,
        kind="security",
        name=name,
        fiscal_year=2025,
        deadline=datetime.date(2025, 7, 31),
        fields=fields,
        previous=previous,
    )


def answer_of(survey, system) -> ProtectionAnswer:
    return ProtectionAnswer.objects.get(round=survey, system=system)


def answers_url(survey, department=None) -> str:
    url = reverse("security:round_answers", kwargs={"pk": survey.pk})
    return f"{url}?department={department}" if department else url


def edit_url(answer) -> str:
    return reverse("security:answer_edit", kwargs={"pk": answer.pk})


def compare_url(survey) -> str:
    return reverse("security:round_compare", kwargs={"pk": survey.pk})


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [row.answer.system.code for row in response.context["rows"]]


@pytest.fixture
def surveys(world):
    """In each body, last year's round (every system internet-facing and unprotected: a gap) closed, and
    this year's round open after it with every system enrolled in a service (the gap resolved)."""
    for attr, tag in TAGS:
        System.objects.create(unit=getattr(world, attr), code=f"SR-{tag}", name=f"SEC-ROUND-SYSTEM-{tag}")
    current = {}
    for body, office in (("body_a", "office_a"), ("body_b", "office_b")):
        user = world.users[office]
        last = open_security_round(user, getattr(world, body), f"LAST-YEAR-{body}")
        for answer in ProtectionAnswer.objects.filter(round=last):
            services_rounds.save_answer(answer, user, internet_facing=True)
        rounds.close_round(last, user)
        survey = open_security_round(user, getattr(world, body), f"SEC-ROUND-{body}", previous=last)
        for answer in ProtectionAnswer.objects.filter(round=survey):
            services_rounds.save_answer(answer, user, traffic_enrolled=True)
        current[body] = survey
    return current


@pytest.fixture
def systems(world):
    """Systems of 福祉部 (one protected, one never surveyed, one retired) and of 健康医療部."""
    waf = System.objects.create(
        unit=world.section_a1, code="S-WAF", name="申請受付ポータル", internet_facing=True
    )
    protect(
        waf,
        confirmed_on=datetime.date(2024, 6, 1),
        traffic_enrolled=True,
        traffic_since=datetime.date(2020, 4, 1),
        waf=True,
        measures_description="WAF導入",
    )
    return {
        "waf": waf,
        "bare": System.objects.create(unit=world.section_a1, code="S-BARE", name="内部管理システム"),
        "retired": System.objects.create(
            unit=world.section_a1, code="S-OLD", name="旧システム", status=SystemStatus.RETIRED
        ),
        "a2": System.objects.create(
            unit=world.section_a2, code="S-A2", name="健康医療SECRET-A2", internet_facing=True
        ),
    }


@pytest.fixture
def survey(world, systems):
    return open_security_round(world.users["office_a"], world.body_a, "令和7年度セキュリティ対策状況照会")


# --- the role matrix over the round pages ----------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_round_pages_follow_the_roles(client, world, surveys, role):
    """A department's pages show its own systems; the office's and auditor's the department asked for."""
    login_as(client, world, role)
    department_user = role in ("editor_a1", "editor_a2", "viewer_a1")
    listing = text_of(client.get(reverse("core:round_list"))) if role in MEMBERS else ""
    for body, survey in surveys.items():
        may_see_round = role == "superuser" or (
            role in MEMBERS and body == ("body_b" if role == "office_b" else "body_a")
        )
        assert (survey.name in listing) == may_see_round, (role, survey.name)
        in_round = list(ProtectionAnswer.objects.filter(round=survey).select_related("system", "unit"))
        pages = (
            "core:round_detail",
            "security:round_answers",
            "security:answers_xlsx",
            "security:round_compare",
        )
        for name in pages:
            for department in {a.department_id for a in in_round}:
                response = client.get(reverse(name, kwargs={"pk": survey.pk}) + f"?department={department}")
                if role == "anonymous":
                    assert response.status_code == 302, name
                    continue
                if role == "no_role":
                    assert response.status_code == 403, name
                    continue
                if not may_see_round:
                    assert response.status_code == 404, (name, role)
                    continue
                assert response.status_code == 200, (name, role)
                body_text = text_of(response)
                for answer in in_round:
                    if name == "core:round_detail":
                        expected = False
                    elif name == "security:round_compare":
                        # Every system changed (its gap resolved); the comparison is of the whole scope.
                        expected = may_view(world, role, answer)
                    else:
                        expected = may_view(world, role, answer) and (
                            department_user or answer.department_id == department
                        )
                    assert (answer.system.name in body_text) == expected, (name, role, answer.system.name)
        for answer in in_round:
            response = client.get(edit_url(answer))
            if role == "anonymous":
                expected = 302
            elif role not in WRITERS:
                expected = 403
            else:
                expected = 200 if may_change(world, role, answer) else 404
            assert response.status_code == expected, (role, answer.system.name)


def round_state() -> dict:
    return {
        "rounds": [model_to_dict(r) for r in SurveyRound.objects.order_by("pk")],
        "participations": [model_to_dict(p) for p in RoundParticipation.objects.order_by("pk")],
        "answers": [model_to_dict(a) for a in ProtectionAnswer.objects.order_by("pk")],
        "profiles": [model_to_dict(p) for p in ProtectionProfile.objects.order_by("pk")],
        "systems": list(System.objects.order_by("pk").values_list("pk", "internet_facing")),
        "history": ProtectionAnswer.history.count() + ProtectionProfile.history.count(),
    }


@pytest.mark.parametrize("role", ROLES)
def test_forged_round_posts_change_nothing_outside_the_scope(client, world, surveys, role):
    survey = surveys["body_a"]
    # 健康医療部 has submitted, so editor_a2's own changes are refused too and change nothing.
    rounds.submit(survey, world.dept_a2.pk, world.users["editor_a2"])
    answer_a1 = ProtectionAnswer.objects.get(round=survey, department=world.dept_a1)
    answer_a2 = ProtectionAnswer.objects.get(round=survey, department=world.dept_a2)
    answer_b1 = ProtectionAnswer.objects.get(round=surveys["body_b"])
    office = {"office_a", "superuser"}
    edit = {"internet_facing": "no", "services": [], "own_measures": [], "exemption": ""}
    posts = [
        (office, "core:round_close", survey.pk, {}),
        (office | {"editor_a1"}, "security:round_submit", survey.pk, {"department": world.dept_a1.pk}),
        (office, "security:round_submit", survey.pk, {"department": world.dept_a2.pk}),
        (office | {"editor_a1"}, "security:answer_edit", answer_a1.pk, edit),
        (office, "security:answer_edit", answer_a2.pk, edit),
        ({"office_b", "superuser"}, "security:answer_edit", answer_b1.pk, edit),
    ]
    before = round_state()
    login_as(client, world, role)
    for allowed, name, pk, data in posts:
        if role in allowed:
            continue
        response = client.post(reverse(name, kwargs={"pk": pk}), data)
        assert response.status_code in (302, 403, 404), (name, role)
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
    assert round_state() == before, role


# --- opening: answers pre-filled from the profiles ---------------------------------------------------
def test_prefill_copies_each_systems_profile(world, systems, survey):
    waf = answer_of(survey, systems["waf"])
    bare = answer_of(survey, systems["bare"])

    assert ProtectionAnswer.objects.filter(round=survey).count() == 3  # the retired system is not asked
    assert not ProtectionAnswer.objects.filter(system=systems["retired"]).exists()
    assert (waf.internet_facing, waf.traffic_enrolled, waf.traffic_since) == (
        True,
        True,
        datetime.date(2020, 4, 1),
    )
    assert (waf.waf, waf.measures_description) == (True, "WAF導入")
    assert (waf.unit, waf.department, waf.answered_by, waf.answered_on) == (
        world.section_a1,
        world.dept_a1,
        None,
        None,
    )
    assert (bare.internet_facing, bare.enrolled_services, bare.own_measures, bare.exemption) == (
        False,
        [],
        [],
        "",
    )
    departments = set(RoundParticipation.objects.filter(round=survey).values_list("department", flat=True))
    assert departments == {world.dept_a1.pk, world.dept_a2.pk}


def test_the_round_detail_counts_each_departments_systems(client, world, systems, survey):
    client.force_login(world.users["office_a"])

    response = client.get(reverse("core:round_detail", kwargs={"pk": survey.pk}))

    counts = {row["participation"].department_id: row["answers"] for row in response.context["rows"]}
    assert counts == {world.dept_a1.pk: 2, world.dept_a2.pk: 1}
    assert response.context["rows"][0]["answers_url"].startswith(answers_url(survey))


# --- answering ---------------------------------------------------------------------------------------
def test_an_editor_sees_only_their_departments_systems(client, world, systems, survey):
    client.force_login(world.users["editor_a1"])

    response = client.get(answers_url(survey))
    forged = client.get(answers_url(survey, world.dept_a2.pk))

    assert listed(response) == ["S-BARE", "S-WAF"]
    assert listed(forged) == ["S-BARE", "S-WAF"]
    assert "SECRET-A2" not in response.content.decode() + forged.content.decode()
    assert (response.context["may_edit"], response.context["may_submit"]) == (True, True)


def test_an_unprotected_internet_facing_answer_shows_as_a_gap(client, world, systems, survey):
    client.force_login(world.users["office_a"])

    response = client.get(answers_url(survey, world.dept_a2.pk))

    (row,) = response.context["rows"]
    assert row.verdict.is_gap
    assert 'class="k-row--danger"' in response.content.decode()


def test_editing_a_row_saves_the_answer_with_who_and_when(client, world, systems, survey):
    editor = world.users["editor_a1"]
    client.force_login(editor)
    answer = answer_of(survey, systems["bare"])

    form = client.get(edit_url(answer), headers={"HX-Request": "true"})
    saved = client.post(
        edit_url(answer),
        {
            "internet_facing": "yes",
            "own_measures": ["edr", "soc_24h"],
            "measures_description": "EDR導入、委託事業者による常時監視",
            "exemption": "",
        },
        headers={"HX-Request": "true"},
    )

    assert form.status_code == 200 and 'form="answer-form-' in form.content.decode()
    assert saved.status_code == 200
    assert "k-badge--ok" in saved.content.decode()
    answer.refresh_from_db()
    assert (answer.internet_facing, answer.own_measures) == (True, ["edr", "soc_24h"])
    assert (answer.answered_by, answer.answered_on) == (editor, timezone.localdate())
    assert answer.history.first().history_user == editor
    assert RoundParticipation.objects.get(round=survey, department=world.dept_a1).status == (
        ParticipationStatus.IN_PROGRESS
    )
    # The profile itself changes only when the round closes.
    assert not ProtectionProfile.objects.filter(system=systems["bare"]).exists()


def test_a_wrong_answer_shows_its_errors_and_saves_nothing(client, world, systems, survey):
    client.force_login(world.users["editor_a1"])
    answer = answer_of(survey, systems["bare"])

    response = client.post(
        edit_url(answer),
        {"internet_facing": "maybe", "measures_description": "独自の監視", "exemption_note": "国の責任"},
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"internet_facing", "own_measures", "exemption"}
    answer.refresh_from_db()
    assert (answer.measures_description, answer.answered_on) == ("", None)


def test_a_submitted_answer_is_locked_for_the_department_until_sent_back(client, world, systems, survey):
    editor = world.users["editor_a1"]
    rounds.submit(survey, world.dept_a1.pk, editor)
    answer = answer_of(survey, systems["bare"])
    client.force_login(editor)

    page = client.get(answers_url(survey))
    refused = client.post(edit_url(answer), {"internet_facing": "yes", "exemption": ""}, follow=True)
    answer.refresh_from_db()
    assert answer.internet_facing is False
    assert (page.context["may_edit"], page.context["notice"][0]) == (False, "success")
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]

    rounds.send_back(survey, world.dept_a1.pk, world.users["office_a"])
    client.post(edit_url(answer), {"internet_facing": "yes", "exemption": ""})
    answer.refresh_from_db()
    assert answer.internet_facing is True


def test_a_department_submits_its_answer(client, world, systems, survey):
    client.force_login(world.users["editor_a1"])

    response = client.post(reverse("security:round_submit", kwargs={"pk": survey.pk}))

    assert response.status_code == 302
    participation = RoundParticipation.objects.get(round=survey, department=world.dept_a1)
    assert (participation.status, participation.submitted_by) == (
        ParticipationStatus.SUBMITTED,
        world.users["editor_a1"],
    )


def test_the_departments_sheet_imports_back_into_the_round(client, world, systems, survey):
    editor = world.users["editor_a1"]
    client.force_login(editor)
    page = client.get(answers_url(survey))
    download = client.get(reverse("security:answers_xlsx", kwargs={"pk": survey.pk}))
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    codes = [row[0].value for row in sheet.iter_rows(min_row=2)]
    bare_row = codes.index("S-BARE") + 2
    sheet.cell(row=bare_row, column=header.index("外部公開") + 1, value="有")
    sheet.cell(row=bare_row, column=header.index("申込みが不要な理由") + 1, value="民間事業者のSNSサービス")
    out = io.BytesIO()
    book.save(out)

    job = start_import(
        "security-survey", SimpleUploadedFile("answers.xlsx", out.getvalue()), editor, {"round": survey.name}
    )
    job.refresh_from_db()
    assert job.preview["counts"] == {"new": 0, "changed": 1, "unchanged": 1, "errors": 0}
    request_apply(job)

    assert sorted(codes) == ["S-BARE", "S-WAF"]
    assert header[:3] == ["システムID", "システム名", "所管課"]
    assert page.context["import_url"].startswith(
        reverse("core:import_new", kwargs={"kind": "security-survey"})
    )
    bare = answer_of(survey, systems["bare"])
    assert (bare.internet_facing, bare.exemption, bare.exemption_note) == (
        True,
        Exemption.PRIVATE_SERVICE,
        "民間事業者のSNSサービス",
    )
    assert (bare.answered_by, bare.answered_on) == (editor, timezone.localdate())
    waf = answer_of(survey, systems["waf"])
    assert (waf.waf, waf.traffic_enrolled, waf.answered_on) == (True, True, None)
    # The profile is untouched until the round closes.
    assert ProtectionProfile.objects.get(system=systems["waf"]).confirmed_on == datetime.date(2024, 6, 1)


# --- closing -----------------------------------------------------------------------------------------
def test_closing_writes_every_answer_back_into_the_profiles(client, world, systems, survey):
    editor, office = world.users["editor_a1"], world.users["office_a"]
    services_rounds.save_answer(
        answer_of(survey, systems["bare"]),
        editor,
        internet_facing=True,
        web_malware_enrolled=True,
        waf=False,
    )
    client.force_login(office)

    response = client.post(reverse("core:round_close", kwargs={"pk": survey.pk}))

    assert response.status_code == 302
    closed_on = timezone.localdate()
    bare = ProtectionProfile.objects.get(system=systems["bare"])
    assert (bare.web_malware_enrolled, bare.confirmed_by, bare.confirmed_on) == (True, editor, closed_on)
    assert System.objects.get(pk=systems["bare"].pk).internet_facing is True
    waf = ProtectionProfile.objects.get(system=systems["waf"])
    # Not answered in the round: confirmed by the office that closed it, on the day it closed.
    assert (waf.confirmed_by, waf.confirmed_on) == (office, closed_on)
    assert (waf.traffic_since, waf.waf) == (datetime.date(2020, 4, 1), True)
    a2 = ProtectionProfile.objects.get(system=systems["a2"])
    assert (a2.confirmed_on, a2.enrolled_services, a2.exemption) == (closed_on, [], "")
    assert not ProtectionProfile.objects.filter(system=systems["retired"]).exists()
    # All of it in the audit trail, by the closing user.
    assert bare.history.first().history_type == "+" and bare.history.first().history_user == office
    assert [h.confirmed_on for h in waf.history.order_by("history_date")] == [
        datetime.date(2024, 6, 1),
        closed_on,
    ]
    assert systems["bare"].history.first().internet_facing is True
    assert systems["bare"].history.first().history_user == office


def test_a_closed_round_refuses_edits_and_imports(client, world, systems, survey, tmp_path):
    editor, office = world.users["editor_a1"], world.users["office_a"]
    rounds.close_round(survey, office)
    answer = answer_of(survey, systems["bare"])
    before = round_state()

    client.force_login(editor)
    page = client.get(answers_url(survey))
    post = client.post(edit_url(answer), {"internet_facing": "yes", "exemption": ""}, follow=True)
    client.force_login(office)
    office_post = client.post(edit_url(answer), {"internet_facing": "yes", "exemption": ""})
    with pytest.raises(rounds.RoundRefused):
        services_rounds.save_answer(answer, office, internet_facing=True)
    book = openpyxl.Workbook()
    for line in [
        ["照会"],
        [
            "システムID",
            "システム名",
            "所管課",
            "外部公開",
            "サイバー攻撃検知通報事業",
            "ウェブ感染型マルウェア検知事業",
            "ホームページレスポンス観測事業",
        ],
        ["S-BARE", "内部管理システム", "地域福祉課", "有", "無", "無", "申込済"],
    ]:
        book.active.append(line)
    path = tmp_path / "closed.xlsx"
    book.save(path)
    job = start_import(
        "security-survey",
        SimpleUploadedFile("closed.xlsx", path.read_bytes()),
        editor,
        {"round": survey.name},
    )
    job.refresh_from_db()

    assert (page.context["may_edit"], page.context["may_submit"], page.context["import_url"]) == (
        False,
        False,
        None,
    )
    assert [m.level_tag for m in post.context["messages"]] == ["error"]
    assert office_post.status_code == 302
    assert [e["message"] for e in job.preview["errors"]] == [MSG_CLOSED.format(name=survey.name)]
    assert round_state() == before


def test_the_import_writes_only_the_importing_departments_answers(world, systems, survey, tmp_path):
    book = openpyxl.Workbook()
    for line in [
        [
            "システムID",
            "システム名",
            "所管課",
            "外部公開",
            "サイバー攻撃検知通報事業",
            "ウェブ感染型マルウェア検知事業",
            "ホームページレスポンス観測事業",
        ],
        ["S-BARE", "内部管理システム", "地域福祉課", "有", "無", "無", "申込済"],
        ["S-A2", "健康医療SECRET-A2", "健康医療総務課", "有", "申込済", "無", "無"],
    ]:
        book.active.append(line)
    path = tmp_path / "mixed.xlsx"
    book.save(path)
    before = round_state()

    importer = SecuritySurveyImporter(world.users["editor_a1"], round=survey.name)
    plan = build_plan(importer, path)

    assert [(e["row"], e["column"]) for e in plan.errors] == [(3, "システムID")]
    assert round_state() == before


def test_a_system_moved_during_the_round_keeps_its_answer_with_the_old_department(
    client, world, systems, survey, tmp_path
):
    """The answer stays 福祉部's when the system moves to 健康医療部 mid-round: 健康医療部 cannot change it
    by sheet, just as it cannot on the answers page."""
    moved = systems["bare"]
    moved.unit = world.section_a2
    moved.save()
    book = openpyxl.Workbook()
    for line in [
        [
            "システムID",
            "システム名",
            "所管課",
            "外部公開",
            "サイバー攻撃検知通報事業",
            "ウェブ感染型マルウェア検知事業",
            "ホームページレスポンス観測事業",
        ],
        ["S-BARE", "内部管理システム", "健康医療総務課", "有", "申込済", "無", "無"],
    ]:
        book.active.append(line)
    path = tmp_path / "moved.xlsx"
    book.save(path)
    before = round_state()
    client.force_login(world.users["editor_a2"])
    assert client.get(edit_url(answer_of(survey, moved))).status_code == 404

    importer = SecuritySurveyImporter(world.users["editor_a2"], round=survey.name)
    plan = build_plan(importer, path)
    if not plan.errors:
        importer.apply(plan)

    assert [(e["row"], e["column"]) for e in plan.errors] == [(2, "システムID")]
    assert round_state() == before


# --- last year --------------------------------------------------------------------------------------
def test_the_comparison_shows_the_systems_whose_coverage_changed(client, world, systems, survey):
    office = world.users["office_a"]
    services_rounds.save_answer(answer_of(survey, systems["a2"]), office, exemption=Exemption.NATIONAL)
    rounds.close_round(survey, office)
    this_year = open_security_round(office, world.body_a, "令和8年度照会")
    services_rounds.save_answer(answer_of(this_year, systems["waf"]), office, traffic_enrolled=False)
    services_rounds.save_answer(answer_of(this_year, systems["bare"]), office, internet_facing=True)
    client.force_login(office)

    response = client.get(compare_url(this_year))
    editor_view = client_for_editor(client, world, this_year)

    figures = {f["key"]: (f["now"], f["then"]) for f in response.context["figures"]}
    assert response.context["previous"] == survey
    assert figures["systems"] == (3, 3)
    assert figures["internet_exposed"] == (3, 2)
    assert figures["exempt_national"] == (1, 1)
    assert figures["unaccounted_gap"] == (1, 0)
    changes = {c.code: c for c in response.context["changes"]}
    assert set(changes) == {"S-WAF", "S-BARE"}
    assert changes["S-BARE"].is_gap and not changes["S-WAF"].is_gap
    assert (changes["S-WAF"].left, changes["S-WAF"].joined) == (("traffic",), ())
    assert reverse("systems:system_detail", kwargs={"pk": systems["bare"].pk}) in response.content.decode()
    assert {c.code for c in editor_view.context["changes"]} == {"S-WAF", "S-BARE"}
    assert "SECRET-A2" not in editor_view.content.decode()


def client_for_editor(client, world, survey):
    client.force_login(world.users["editor_a2"])
    own = client.get(compare_url(survey))
    assert own.context["changes"] == []
    assert {f["key"]: f["now"] for f in own.context["figures"]}["systems"] == 1
    client.force_login(world.users["editor_a1"])
    return client.get(compare_url(survey))


def test_a_first_round_has_nothing_to_compare_with(client, world, systems, survey):
    client.force_login(world.users["office_a"])

    response = client.get(compare_url(survey))

    assert response.status_code == 200
    assert response.context["previous"] is None and response.context["changes"] == []
    assert {f["key"]: f["now"] for f in response.context["figures"]}["unaccounted_gap"] == 1
