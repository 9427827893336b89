"""The procedures pages as users meet them: the inventory and its filters, a procedure's page, adding one
(with its accepting system linked to the system karte), support cases with hearings, form templates and
the office's support overview."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from karte.procedures.choices import OnlineStatus, ProcedureKind, ProposalKind, SupportStatus
from karte.procedures.models import FormTemplate, Hearing, Procedure, SupportCase
from karte.procedures.tests.test_kpis import Row, answer_round, make_round
from karte.systems.models import System

ONLINE, PLANNED, LATER, IMPOSSIBLE = (
    OnlineStatus.ONLINE,
    OnlineStatus.PLANNED,
    OnlineStatus.LATER,
    OnlineStatus.IMPOSSIBLE,
)
GYOSEI_ONLINE = "大阪府行政オンラインシステム"


def make_procedure(unit, code: str, name: str, **fields) -> Procedure:
    return Procedure.objects.create(unit=unit, code=code, name=name, **fields)


def listed(response, column: int = 0) -> list[str]:
    assert response.status_code == 200
    return [row[column].text for row in response.context["table"].rows]


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_a"])
    return client


@pytest.fixture
def inventory(world):
    """Three procedures of the prefecture, answered in R2 and R4, and one of the city."""
    a1, a2 = world.section_a1, world.section_a2
    permit = make_procedure(
        a1,
        "P001",
        "飲食店営業許可申請",
        legal_basis="食品衛生法第55条",
        by_businesses=True,
        has_fee=True,
        payment_method="納付書",
        has_attachments=True,
        accepting_system_name=GYOSEI_ONLINE,
    )
    notice = make_procedure(
        a1,
        "P002",
        "住所変更届",
        kind=ProcedureKind.NOTIFICATION,
        by_residents=True,
        accepting_system_name="窓口",
    )
    grant = make_procedure(a2, "P003", "市町村補助金交付申請", by_municipalities=True)
    make_procedure(world.section_b1, "P001", "SECRET-B の手続")
    r2 = make_round(world.body_a, "令和2年度調査", 2020)
    r4 = make_round(world.body_a, "令和4年度調査", 2022, previous=r2)
    answer_round(
        r2,
        [Row(a1, LATER, 900, 0), Row(a1, ONLINE, 50, 50), Row(a2, IMPOSSIBLE, 30, 0)],
        [permit, notice, grant],
    )
    answer_round(
        r4,
        [Row(a1, PLANNED, 1200, 0, target_fy=2025), Row(a1, ONLINE, 60, 55), Row(a2, IMPOSSIBLE, 20, 0)],
        [permit, notice, grant],
    )
    return {"permit": permit, "notice": notice, "grant": grant, "r2": r2, "r4": r4}


def procedure_list(client, **params):
    return client.get(reverse("procedures:procedure_list"), params)


# --- the inventory ----------------------------------------------------------------------------------
def test_the_inventory_lists_the_body_with_each_status_in_the_latest_round(office, inventory):
    response = procedure_list(office)

    assert listed(response) == ["P001", "P002", "P003"]
    permit = [cell.text for cell in response.context["table"].rows[0]]
    assert "飲食店営業許可申請" in permit
    assert "食品衛生法第55条" in permit
    assert "納付書" in permit
    assert GYOSEI_ONLINE in permit
    assert str(OnlineStatus.PLANNED.label) in permit  # R4, not R2's "later"
    assert "SECRET-B" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "営業"}, ["P001"]),
        ({"q": "食品衛生法"}, ["P001"]),
        ({"kind": ProcedureKind.NOTIFICATION}, ["P002"]),
        ({"applicant": "residents"}, ["P002"]),
        ({"applicant": "businesses"}, ["P001"]),
        ({"applicant": "municipalities"}, ["P003"]),
        ({"has_fee": "yes"}, ["P001"]),
        ({"has_fee": "no"}, ["P002", "P003"]),
        ({"accepting_system": GYOSEI_ONLINE}, ["P001"]),
        ({"status": ONLINE}, ["P002"]),
        ({"status": IMPOSSIBLE}, ["P003"]),
        ({"status": LATER}, []),
    ],
)
def test_filters_narrow_the_inventory(office, inventory, params, expected):
    assert listed(procedure_list(office, **params)) == expected


def test_filtering_the_inventory_by_department(office, world, inventory):
    assert listed(procedure_list(office, department=world.dept_a2.pk)) == ["P003"]


def test_the_inventory_sorts_by_the_latest_status(office, inventory):
    assert listed(procedure_list(office, sort="latest_status")) == ["P003", "P002", "P001"]


def test_the_inventory_costs_the_same_queries_for_40_procedures_as_for_4(
    office, world, inventory, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        procedure_list(office)
    for i in range(40):
        make_procedure(world.section_a1, f"Q{i:03d}", f"追加の手続{i}", accepting_system_name=f"システム{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(listed(procedure_list(office))) == 43


def test_the_inventory_exports_with_the_sheet_columns(office, inventory):
    response = procedure_list(office, export="csv")

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "飲食店営業許可申請" in text and "SECRET-B" not in text


def test_a_procedure_page_shows_its_answers_over_the_rounds_and_its_support(office, world, inventory):
    permit = inventory["permit"]
    case = SupportCase.objects.create(unit=world.section_a1, title="飲食店許可の伴走支援")
    case.procedures.add(permit)

    response = office.get(permit.get_absolute_url())

    assert response.status_code == 200
    answers = [[cell.text for cell in row] for row in response.context["answer_table"].rows]
    assert [row[0] for row in answers] == ["令和2年度調査", "令和4年度調査"]
    assert answers[1][1:3] == ["1,200", "0"]
    assert answers[1][3] == str(OnlineStatus.PLANNED.label)
    assert answers[1][4] in ("令和7年度", "FY2025")
    assert [row[0].text for row in response.context["case_table"].rows] == ["飲食店許可の伴走支援"]
    assert "食品衛生法第55条" in response.content.decode()


def test_an_editor_of_another_department_cannot_open_a_procedure(client, world, inventory):
    client.force_login(world.users["editor_a2"])

    assert client.get(inventory["permit"].get_absolute_url()).status_code == 404
    assert listed(procedure_list(client)) == ["P003"]


def procedure_form(unit, **fields) -> dict:
    data = {"unit": unit.pk, "code": "P100", "name": "新しい手続", "kind": ProcedureKind.APPLICATION}
    return {**data, **fields}


def test_adding_a_procedure_links_its_accepting_system_to_the_system_karte(client, world):
    system = System.objects.create(unit=world.office_section, code="S-GYOSEI", name=GYOSEI_ONLINE)
    client.force_login(world.users["editor_a1"])

    # Written with a full-width space, as sheets often do.
    response = client.post(
        reverse("procedures:procedure_add"),
        procedure_form(world.section_a1, accepting_system_name="大阪府行政　オンラインシステム "),
    )

    assert response.status_code == 302
    procedure = Procedure.objects.get(code="P100")
    assert procedure.accepting_system == system
    assert procedure.body == world.body_a
    # The editor may not open the office's system karte, so the page names it without a link.
    page = client.get(procedure.get_absolute_url()).content.decode()
    assert system.get_absolute_url() not in page


def test_the_office_sees_the_link_to_the_system_karte(office, world):
    system = System.objects.create(unit=world.office_section, code="S-GYOSEI", name=GYOSEI_ONLINE)
    response = office.post(
        reverse("procedures:procedure_add"),
        procedure_form(world.section_a1, accepting_system_name=GYOSEI_ONLINE),
    )
    procedure = Procedure.objects.get(code="P100")

    assert response.status_code == 302
    assert system.get_absolute_url() in office.get(procedure.get_absolute_url()).content.decode()


def test_a_name_no_system_has_links_nothing(office, world):
    System.objects.create(unit=world.section_b1, code="S-B", name=GYOSEI_ONLINE)  # another body's

    office.post(
        reverse("procedures:procedure_add"),
        procedure_form(world.section_a1, accepting_system_name=GYOSEI_ONLINE),
    )

    assert Procedure.objects.get(code="P100").accepting_system is None


def test_the_form_offers_only_systems_and_units_the_user_may_use(client, world):
    mine = System.objects.create(unit=world.section_a1, code="S-MINE", name="福祉システム")
    theirs = System.objects.create(unit=world.section_a2, code="S-THEIRS", name="医療システム")
    client.force_login(world.users["editor_a1"])

    form = client.get(reverse("procedures:procedure_add")).context["form"]
    assert list(form.fields["accepting_system"].queryset) == [mine]
    assert set(form.fields["unit"].queryset) == {world.dept_a1, world.section_a1}

    response = client.post(
        reverse("procedures:procedure_add"), procedure_form(world.section_a1, accepting_system=theirs.pk)
    )
    assert response.status_code == 400
    assert not Procedure.objects.filter(code="P100").exists()


def test_a_procedure_id_is_unique_in_the_body(office, world, inventory):
    response = office.post(reverse("procedures:procedure_add"), procedure_form(world.section_a2, code="P001"))

    assert response.status_code == 400


# --- support cases ----------------------------------------------------------------------------------
def test_a_support_case_from_proposal_with_a_hearing_to_going_online(office, world, inventory):
    permit = inventory["permit"]
    add_url = reverse("procedures:supportcase_add")

    # Started from the procedure's page: the procedure and its unit are filled in.
    form = office.get(add_url, {"procedure": permit.pk}).context["form"]
    assert form.initial["procedures"] == [permit.pk] and form.initial["unit"] == world.section_a1.pk
    response = office.post(
        add_url,
        {
            "unit": world.section_a1.pk,
            "title": "飲食店営業許可のオンライン化",
            "procedures": [permit.pk, inventory["notice"].pk],
            "status": SupportStatus.HEARING,
        },
    )
    assert response.status_code == 302
    case = SupportCase.objects.get(title="飲食店営業許可のオンライン化")

    page = office.get(case.get_absolute_url())
    hearing_url = f"{reverse('procedures:hearing_add')}?case={case.pk}"
    assert hearing_url in page.content.decode()
    assert office.get(hearing_url).context["form"].initial["case"] == case.pk
    response = office.post(
        hearing_url,
        {
            "case": case.pk,
            "held_on": "2024-06-03",
            "attendees": "保健所 営業許可担当、行政DX推進課",
            "current_workflow": "窓口で申請書と図面を受け付け、手数料は証紙で納付。",
            "issues_found": "図面の原本確認、証紙による納付",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#hearings"

    office.post(
        reverse("procedures:supportcase_edit", kwargs={"pk": case.pk}),
        {
            "unit": world.section_a1.pk,
            "title": case.title,
            "procedures": [permit.pk, inventory["notice"].pk],
            "status": SupportStatus.LIVE,
            "proposal": ProposalKind.TEMPLATE_REUSE,
            "proposal_detail": "既存の許可申請テンプレートを流用",
            "next_steps": "令和7年4月に受付開始",
            "went_live_on": "2025-04-01",
        },
    )
    page = office.get(case.get_absolute_url())
    html = page.content.decode()
    assert [row[0].text for row in page.context["hearing_table"].rows] == ["2024-06-03"]
    assert "保健所 営業許可担当" in html
    assert "既存の許可申請テンプレートを流用" in html
    assert [row[0].text for row in page.context["procedure_table"].rows] == ["P001", "P002"]
    case.refresh_from_db()
    assert case.status == SupportStatus.LIVE and case.went_live_on == datetime.date(2025, 4, 1)

    listing = office.get(reverse("procedures:supportcase_list"))
    row = [cell.text for cell in listing.context["table"].rows[0]]
    assert row[0] == "飲食店営業許可のオンライン化"
    assert row[3] == "2" and row[6] == "1"  # two procedures, one hearing
    assert row[7] == "2024-06-03"


def test_going_online_needs_the_date(office, world, inventory):
    response = office.post(
        reverse("procedures:supportcase_add"),
        {
            "unit": world.section_a1.pk,
            "title": "日付のない完了",
            "procedures": [inventory["permit"].pk],
            "status": SupportStatus.LIVE,
        },
    )

    assert response.status_code == 400


def test_an_editor_saving_a_case_keeps_the_procedures_they_may_not_see(client, world, inventory):
    case = SupportCase.objects.create(unit=world.section_a1, title="部局をまたぐ案件")
    case.procedures.add(inventory["permit"], inventory["grant"])
    client.force_login(world.users["editor_a1"])

    form = client.get(reverse("procedures:supportcase_edit", kwargs={"pk": case.pk})).context["form"]
    assert inventory["grant"] not in form.fields["procedures"].queryset
    response = client.post(
        reverse("procedures:supportcase_edit", kwargs={"pk": case.pk}),
        {
            "unit": world.section_a1.pk,
            "title": case.title,
            "procedures": [inventory["permit"].pk, inventory["notice"].pk],
            "status": SupportStatus.PROPOSED,
        },
    )

    assert response.status_code == 302
    assert set(case.procedures.all()) == {inventory["permit"], inventory["notice"], inventory["grant"]}


def test_a_hearing_can_be_deleted_from_its_case(office, world):
    case = SupportCase.objects.create(unit=world.section_a1, title="ヒアリングの取消")
    hearing = Hearing.objects.create(case=case, held_on=datetime.date(2024, 5, 1))

    response = office.post(reverse("procedures:hearing_delete", kwargs={"pk": hearing.pk}))

    assert response.url == f"{case.get_absolute_url()}#hearings"
    assert not Hearing.objects.filter(pk=hearing.pk).exists()


def test_an_editor_adds_hearings_only_to_their_own_department_s_cases(client, world):
    mine = SupportCase.objects.create(unit=world.section_a1, title="自部局の案件")
    theirs = SupportCase.objects.create(unit=world.section_a2, title="他部局の案件")
    client.force_login(world.users["editor_a1"])

    form = client.get(reverse("procedures:hearing_add"), {"case": theirs.pk}).context["form"]
    assert list(form.fields["case"].queryset) == [mine]
    assert "case" not in form.initial
    response = client.post(reverse("procedures:hearing_add"), {"case": theirs.pk, "held_on": "2024-06-03"})
    assert response.status_code == 400
    assert not Hearing.objects.exists()


def test_the_support_case_list_costs_the_same_queries_for_20_cases_as_for_2(
    office, world, inventory, django_assert_max_num_queries
):
    def add_cases(n):
        for i in range(n):
            case = SupportCase.objects.create(unit=world.section_a1, title=f"案件{i}")
            case.procedures.add(inventory["permit"], inventory["notice"])
            Hearing.objects.create(case=case, held_on=datetime.date(2024, 5, 1 + i % 28))

    add_cases(2)
    with django_assert_max_num_queries(12) as few:
        office.get(reverse("procedures:supportcase_list"))
    add_cases(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = office.get(reverse("procedures:supportcase_list"))
    assert len(response.context["table"].rows) == 20


# --- form templates ---------------------------------------------------------------------------------
def test_form_templates_list_how_many_procedures_use_each_and_which(office, world, inventory):
    template = FormTemplate.objects.create(body=world.body_a, name="許可申請テンプレート")
    FormTemplate.objects.create(body=world.body_a, name="未使用テンプレート")
    Procedure.objects.filter(pk__in=[inventory["permit"].pk, inventory["grant"].pk]).update(
        form_template=template
    )

    listing = office.get(reverse("procedures:formtemplate_list"))
    assert [[row[0].text, row[1].text] for row in listing.context["table"].rows] == [
        ["未使用テンプレート", "0"],
        ["許可申請テンプレート", "2"],
    ]
    detail = office.get(template.get_absolute_url())
    assert [row[0].text for row in detail.context["procedure_table"].rows] == ["P001", "P003"]


def test_an_editor_counts_only_their_department_s_procedures_and_cannot_add_templates(
    client, world, inventory
):
    template = FormTemplate.objects.create(body=world.body_a, name="許可申請テンプレート")
    Procedure.objects.filter(pk__in=[inventory["permit"].pk, inventory["grant"].pk]).update(
        form_template=template
    )
    client.force_login(world.users["editor_a2"])

    listing = client.get(reverse("procedures:formtemplate_list"))
    assert [row[1].text for row in listing.context["table"].rows] == ["1"]
    assert listing.context["add_url"] is None
    assert [r[0].text for r in client.get(template.get_absolute_url()).context["procedure_table"].rows] == [
        "P003"
    ]
    assert client.get(reverse("procedures:formtemplate_add")).status_code == 403


def test_the_office_adds_a_template_to_its_own_body(office, world):
    response = office.post(
        reverse("procedures:formtemplate_add"), {"name": "届出テンプレート", "description": ""}
    )

    assert response.status_code == 302
    assert FormTemplate.objects.get(name="届出テンプレート").body == world.body_a


# --- the office's overview --------------------------------------------------------------------------
def test_the_support_overview_shows_departments_stages_and_what_moved(office, world, inventory):
    live = SupportCase.objects.create(
        unit=world.section_a1,
        title="営業許可の電子化",
        status=SupportStatus.LIVE,
        went_live_on=datetime.date(2025, 4, 1),
    )
    live.procedures.add(inventory["permit"])  # later in R2, planned in R4: moved
    hearing = SupportCase.objects.create(unit=world.section_a2, title="補助金申請のヒアリング")
    hearing.procedures.add(inventory["grant"])  # impossible in both: did not move
    SupportCase.objects.create(unit=world.section_b1, title="SECRET-B の案件")

    response = office.get(reverse("procedures:support_overview"))

    assert response.status_code == 200
    departments = {
        row[0].text: [cell.text for cell in row[1:]] for row in response.context["department_table"].rows
    }
    assert set(departments) == {world.dept_a1.name, world.dept_a2.name}
    assert departments[world.dept_a1.name][-1] == "1"
    assert [row[0].text for row in response.context["live_table"].rows] == ["営業許可の電子化"]
    moved = [[cell.text for cell in row] for row in response.context["movement_table"].rows]
    assert moved == [["P001", "飲食店営業許可申請", world.dept_a1.name, str(LATER.label), str(PLANNED.label)]]
    assert "SECRET-B" not in response.content.decode()


def test_only_the_office_reads_the_support_overview(client, world):
    client.force_login(world.users["editor_a1"])

    assert client.get(reverse("procedures:support_overview")).status_code == 403
