"""The procedure survey sheets into survey rounds: the samples, sheets written here, and the round rules."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from karte.core import rounds
from karte.core.choices import ImportJobStatus, ParticipationStatus, Role, RoundStatus
from karte.core.demo import DEMO_DIR
from karte.core.exporting import write_xlsx
from karte.core.forms import ImportUploadForm
from karte.core.importing import jobs
from karte.core.importing.base import CHANGED, NEW, UNCHANGED, apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.models import OrgUnit, RoundParticipation, SurveyRound
from karte.core.scoping import VIEW
from karte.core.tests.factories import make_user
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.importers import ProceduresImporter, fiscal_year_in, to_status
from karte.procedures.models import Procedure, ProcedureAnswer
from karte.procedures.selectors import round_kpis, year_over_year

R2, R4 = DEMO_DIR / "procedures_R2.xlsx", DEMO_DIR / "procedures_R4.xlsx"
R2_ROUND, R4_ROUND = "令和2年度調査", "令和4年度調査"
EXPECTED = json.loads((DEMO_DIR / "expected-sample.json").read_text(encoding="utf-8"))
HEADER = [
    "手続ID",
    "部局名",
    "所管課",
    "手続名",
    "根拠法令等",
    "手続の種類",
    "手続の主体",
    "年間処理件数",
    "うちオンライン件数",
    "オンライン化状況",
    "オンライン化予定時期",
    "オンライン化できない理由",
    "添付書類の有無",
    "手数料の有無",
    "備考",
]


@pytest.fixture
def organisation(db):
    """The demo prefecture's organisation, without its registries."""
    importer = get_importer("organisation")(None)
    apply_plan(importer, build_plan(importer, DEMO_DIR / "organisation.xlsx"))


@pytest.fixture
def office(organisation):
    return make_user("office", Role.OFFICE_ADMIN, OrgUnit.objects.get(code="04002"))


@pytest.fixture
def fukushi(organisation):
    """An editor of 福祉部."""
    return make_user("fukushi", Role.EDITOR, OrgUnit.objects.get(code="06001"))


@pytest.fixture
def kenko(organisation):
    """An editor of 健康医療部."""
    return make_user("kenko", Role.EDITOR, OrgUnit.objects.get(code="07001"))


@pytest.fixture
def samples(organisation):
    """Both samples loaded from the command line, each into its round, both left open."""
    imported(ProceduresImporter(None, round=R2_ROUND), R2)
    imported(ProceduresImporter(None, round=R4_ROUND), R4)
    return the_round(R2_ROUND), the_round(R4_ROUND)


def imported(importer, path: Path):
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)
    return plan


def the_round(name: str) -> SurveyRound:
    return SurveyRound.objects.get(kind="procedures", name=name)


def sheet(
    tmp_path: Path, rows: list[list], header: list[str] = HEADER, name: str = "procedures.xlsx"
) -> Path:
    wb = openpyxl.Workbook()
    for line in [["行政手続のオンライン化状況調査"], ["※件数は年間処理件数"], header, *rows]:
        wb.active.append(line)
    path = tmp_path / name
    wb.save(path)
    return path


def row(code: str | None, name: str = "テスト手続申請", **values) -> list:
    """A sheet row of a 福祉部 procedure, with `values` by header."""
    base = {
        "手続ID": code,
        "部局名": "福祉部",
        "所管課": "地域福祉推進室地域福祉課",
        "手続名": name,
        "根拠法令等": "社会福祉法第62条",
        "手続の種類": "申請",
        "手続の主体": "府民・事業者",
        "年間処理件数": 1000,
        "うちオンライン件数": 0,
        "オンライン化状況": "令和8年度以降",
        "オンライン化できない理由": "原本確認が必要",
        "添付書類の有無": "有",
        "手数料の有無": "無",
    }
    base.update(values)
    return [base.get(h) for h in HEADER]


def answer(code: str, survey_name: str = R4_ROUND) -> ProcedureAnswer:
    return ProcedureAnswer.objects.get(procedure__code=code, round__name=survey_name)


def answers_state() -> list[tuple]:
    return list(
        ProcedureAnswer.objects.order_by("pk").values_list(
            "pk",
            "round_id",
            "procedure_id",
            "unit_id",
            "yearly_volume",
            "online_volume",
            "status",
            "target_fy",
        )
    )


def answer_values() -> dict[tuple[str, str], tuple]:
    return {
        (code, survey): rest
        for code, survey, *rest in ProcedureAnswer.objects.values_list(
            "procedure__code",
            "round__name",
            "status",
            "yearly_volume",
            "online_volume",
            "target_fy",
            "reasons",
        )
    }


def state() -> tuple:
    return (
        answers_state(),
        list(Procedure.objects.order_by("pk").values_list("pk", "code", "name", "unit_id")),
        Procedure.history.count(),
        ProcedureAnswer.history.count(),
        SurveyRound.objects.count(),
        list(RoundParticipation.objects.order_by("pk").values_list("pk", "status")),
    )


def subset(figures: dict, expected: dict) -> dict:
    return {key: figures[key] for key in expected}


# --- the samples ----------------------------------------------------------------------------------
def test_the_two_samples_give_the_expected_figures(samples):
    r2, r4 = samples

    assert subset(round_kpis(r4).as_dict(), EXPECTED["procedures_R4"]) == EXPECTED["procedures_R4"]
    assert subset(round_kpis(r2).as_dict(), EXPECTED["procedures_R2"]) == EXPECTED["procedures_R2"]


def test_importing_into_a_new_round_creates_it_open_with_the_year_its_name_gives(samples):
    r2, r4 = samples

    assert (r2.fiscal_year, r2.status, r2.previous) == (2020, RoundStatus.OPEN, None)
    assert (r4.fiscal_year, r4.status, r4.previous) == (2022, RoundStatus.OPEN, r2)
    assert r4.body.code == "270008"
    assert ProcedureAnswer.objects.filter(round=r4).count() == 60
    assert ProcedureAnswer.objects.filter(round=r2).count() == 45
    # Every department with procedures takes part, and has started answering.
    participations = RoundParticipation.objects.filter(round=r4)
    assert participations.count() == len({a.department_id for a in ProcedureAnswer.objects.filter(round=r4)})
    assert set(participations.values_list("status", flat=True)) == {ParticipationStatus.IN_PROGRESS}


def test_the_samples_year_over_year_goes_from_8_9_to_30_0_by_count_and_32_0_to_41_8_by_volume(samples):
    r2, r4 = samples

    change = year_over_year(r4, r2)

    assert change["previous"].online_share_by_count == Decimal("8.9")
    assert change["current"].online_share_by_count == Decimal("30.0")
    assert change["previous"].online_share_by_volume == Decimal("32.0")
    assert change["current"].online_share_by_volume == Decimal("41.8")
    # Procedures are matched by 手続ID: P00001–P00045 are in both sheets, P00046–P00060 new in R4.
    assert (change["matched"], change["added"], change["dropped"]) == (45, 15, 0)
    newly_online = {c.code for c in change["newly_online"]}
    assert "P00001" in newly_online and "P00002" not in newly_online
    # R2's P00002 was online; R4's P00002 too. R2's P00006 was online; R4's P00006 still is.
    assert all(c.status_after == OnlineStatus.ONLINE for c in change["newly_online"])
    assert change["newly_online"] == sorted(change["newly_online"], key=lambda c: -(c.volume_after or 0))


def test_the_sample_cells_are_read_as_the_survey_meant_them(samples):
    # '921件' and full-width '３９２' are numbers.
    assert answer("P00043").yearly_volume == 921
    assert answer("P00046").yearly_volume == 392
    # '令和7年度末までに予定' with '令和7年度中', 'R7', '2024年度' or '令和5年度' as the planned time.
    planned = dict(
        ProcedureAnswer.objects.filter(round__name=R4_ROUND, status=OnlineStatus.PLANNED).values_list(
            "procedure__code", "target_fy"
        )
    )
    assert planned == {
        "P00017": 2023,
        "P00022": 2025,
        "P00023": 2024,
        "P00033": 2025,
        "P00036": 2023,
        "P00042": 2023,
        "P00046": 2024,
        "P00050": 2025,
        "P00058": 2023,
    }
    assert answer("P00015").reasons == [Reason.STATUTORY_FORM, Reason.ORIGINAL_DOCUMENT]
    assert answer("P00031").reasons == [Reason.FEW_CASES, Reason.SITE_INSPECTION]
    assert answer("P00001").reasons == []
    p1 = Procedure.objects.get(code="P00001")
    assert (p1.by_residents, p1.by_businesses, p1.by_municipalities) == (True, True, False)
    assert (p1.has_attachments, p1.has_fee, p1.legal_basis) == (True, True, "河川法第24条")
    assert Procedure.objects.get(code="P00002").by_municipalities


def test_importing_the_same_sheet_again_changes_nothing(samples):
    before = state()

    importer = ProceduresImporter(None, round=R4_ROUND)
    plan = build_plan(importer, R4)

    assert (plan.count(NEW), plan.count(CHANGED), plan.count(UNCHANGED)) == (0, 0, 60)
    apply_plan(importer, plan)
    assert state() == before


def test_the_r2_round_keeps_its_figures_when_r4_renames_its_procedures(samples):
    r2, _r4 = samples

    # P00001 is another procedure in each sample; matched by ID, the inventory takes R4's name …
    assert Procedure.objects.get(code="P00001").name == "難病医療費助成実績報告"
    # … while the R2 answer keeps what R2 said, so R2's figures do not move.
    assert (answer("P00001", R2_ROUND).yearly_volume, answer("P00001", R2_ROUND).status) == (
        1753,
        OnlineStatus.LATER,
    )
    assert subset(round_kpis(r2).as_dict(), EXPECTED["procedures_R2"]) == EXPECTED["procedures_R2"]


def test_a_change_to_the_inventory_alone_leaves_the_answer_as_it_is(samples, tmp_path):
    rows = [
        row(
            "P00041",
            "漁業免許申請（改称）",
            **{
                "根拠法令等": "漁業法第60条",
                "年間処理件数": 1004,
                "うちオンライン件数": 488,
                "オンライン化状況": "済",
            },
        )
    ]
    versions = ProcedureAnswer.history.count()
    importer = ProceduresImporter(None, round=R4_ROUND)

    plan = imported(importer, sheet(tmp_path, rows))

    assert plan.records[0].action == CHANGED
    assert set(plan.records[0].changes) == {"name", "legal_basis", "applicants"}
    assert Procedure.objects.get(code="P00041").legal_basis == "漁業法第60条"
    assert ProcedureAnswer.history.count() == versions


def test_an_office_creates_a_round_and_an_over_long_name_is_refused(organisation, office, tmp_path):
    path = sheet(tmp_path, [row("T001")])

    imported(ProceduresImporter(office, round="令和7年度調査"), path)
    plan = build_plan(ProceduresImporter(office, round="長" * 101), path)

    created = the_round("令和7年度調査")
    assert (created.fiscal_year, created.status, created.body.code) == (2025, RoundStatus.OPEN, "270008")
    assert created.history.first().history_user == office
    assert [e["message"] for e in plan.errors] == ["照会名が長すぎます（100文字まで）。"]


# --- cells ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("オンライン化済", (OnlineStatus.ONLINE, None)),
        ("済", (OnlineStatus.ONLINE, None)),
        ("令和7年度末までに予定", (OnlineStatus.PLANNED, 2025)),
        ("R7年度までに予定", (OnlineStatus.PLANNED, 2025)),
        ("予定", (OnlineStatus.PLANNED, None)),
        ("令和8年度以降", (OnlineStatus.LATER, None)),
        ("令和9年度以降", (OnlineStatus.LATER, None)),
        ("オンライン化不可", (OnlineStatus.IMPOSSIBLE, None)),
        ("　オンライン化 済 ", (OnlineStatus.ONLINE, None)),
        (None, None),
    ],
)
def test_status_cells(cell, expected):
    assert to_status(cell) == expected


@pytest.mark.parametrize("cell", ["未定", "予定なし", "検討中"])
def test_a_status_the_survey_does_not_know_is_refused(cell):
    with pytest.raises(ValueError, match="オンライン化状況は"):
        to_status(cell)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("令和4年度調査", 2022),
        ("R2 棚卸", 2020),
        ("2024年度 手続調査", 2024),
        ("FY2023 survey", 2023),
        ("棚卸", None),
    ],
)
def test_a_round_name_gives_its_fiscal_year(text, year):
    assert fiscal_year_in(text) == year


def test_volumes_written_as_text_are_numbers(organisation, tmp_path):
    rows = [
        row("T001", "一", **{"年間処理件数": "1,234", "うちオンライン件数": "１２３件"}),
        row("T002", "二", **{"年間処理件数": "５６７件", "うちオンライン件数": "-"}),
    ]

    imported(ProceduresImporter(None, round="R5調査"), sheet(tmp_path, rows))

    assert (answer("T001", "R5調査").yearly_volume, answer("T001", "R5調査").online_volume) == (1234, 123)
    assert (answer("T002", "R5調査").yearly_volume, answer("T002", "R5調査").online_volume) == (567, None)
    assert the_round("R5調査").fiscal_year == 2023


def test_reasons_are_mapped_and_unknown_phrases_are_other(organisation, tmp_path):
    reasons = "原本確認が必要、手数料の納付方法・件数が少ない,独自システムの改修待ち、原本の提出"
    path = sheet(tmp_path, [row("T001", **{"オンライン化できない理由": reasons})])

    imported(ProceduresImporter(None, round="R5調査"), path)

    assert answer("T001", "R5調査").reasons == [
        Reason.ORIGINAL_DOCUMENT,
        Reason.FEE,
        Reason.FEW_CASES,
        Reason.OTHER,
    ]


def test_an_online_procedure_keeps_no_reasons_and_only_a_planned_one_a_year(organisation, tmp_path):
    rows = [
        row("T001", "一", **{"オンライン化状況": "オンライン化済", "うちオンライン件数": 10}),
        row("T002", "二", **{"オンライン化予定時期": "R9"}),
        row("T003", "三", **{"オンライン化状況": "予定", "オンライン化予定時期": "令和7年度中"}),
    ]

    imported(ProceduresImporter(None, round="R5調査"), sheet(tmp_path, rows))

    assert (answer("T001", "R5調査").reasons, answer("T001", "R5調査").target_fy) == ([], None)
    assert answer("T002", "R5調査").target_fy is None
    assert answer("T003", "R5調査").target_fy == 2025


def test_more_online_cases_than_cases_is_a_row_error(organisation, tmp_path):
    path = sheet(tmp_path, [row("T001", **{"年間処理件数": 100, "うちオンライン件数": "1,000"})])

    plan = build_plan(ProceduresImporter(None, round="R5調査"), path)

    assert plan.errors == [
        {
            "row": 4,
            "column": "うちオンライン件数",
            "message": "オンライン件数（1,000）が年間処理件数（100）を超えています",
        }
    ]


def test_more_online_cases_than_the_stored_cases_is_an_error_too(samples, tmp_path):
    # P00045 has 228 cases a year; the sheet gives only the online cases.
    path = sheet(
        tmp_path,
        [
            row(
                "P00045",
                "採石業免許申請",
                **{"所管課": "子ども家庭局子育て支援課", "年間処理件数": None, "うちオンライン件数": 300},
            )
        ],
    )

    plan = build_plan(ProceduresImporter(None, round=R4_ROUND), path)

    assert [e["column"] for e in plan.errors] == ["うちオンライン件数"]


def test_unknown_applicants_and_units_are_row_errors(organisation, tmp_path):
    rows = [row("T001", **{"手続の主体": "府民・宇宙人"}), row("T002", **{"所管課": "存在しない課"})]

    plan = build_plan(ProceduresImporter(None, round="R5調査"), sheet(tmp_path, rows))

    assert [(e["row"], e["column"]) for e in plan.errors] == [(4, "手続の主体"), (5, "所管課")]


def test_rows_without_an_id_match_by_owner_and_name_across_rounds(organisation, tmp_path):
    first = sheet(tmp_path, [row(None, "一"), row(None, "二")], name="r5.xlsx")
    imported(ProceduresImporter(None, round="令和5年度調査"), first)
    online = {"オンライン化状況": "オンライン化済", "うちオンライン件数": 500}
    second = sheet(tmp_path, [row(None, "一", **online), row(None, "二")], name="r6.xlsx")

    imported(ProceduresImporter(None, round="令和6年度調査"), second)

    assert Procedure.objects.count() == 2
    change = year_over_year(the_round("令和6年度調査"), the_round("令和5年度調査"))
    assert (change["matched"], change["added"]) == (2, 0)
    assert [c.name for c in change["newly_online"]] == ["一"]
    # A later sheet with IDs gives them to the procedures it finds by owner and name.
    third = sheet(tmp_path, [row("T001", "一"), row("T002", "二")], name="r7.xlsx")
    imported(ProceduresImporter(None, round="令和7年度調査"), third)
    assert sorted(Procedure.objects.values_list("code", "name")) == [("T001", "一"), ("T002", "二")]


# --- who may import what --------------------------------------------------------------------------
def test_an_editor_imports_only_rows_of_their_own_department(samples, fukushi, tmp_path):
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        ),
        row("P00011", "府営住宅入居届出", **{"部局名": "健康医療部", "所管課": "生活衛生室食の安全推進課"}),
    ]
    before = state()

    plan = build_plan(ProceduresImporter(fukushi, round=R4_ROUND), sheet(tmp_path, rows))

    assert [(e["row"], e["column"]) for e in plan.errors] == [(5, "所管課")]
    assert "登録できる範囲の所属ではありません" in plan.errors[0]["message"]
    assert state() == before


def test_an_editor_cannot_take_another_departments_procedure_id(samples, fukushi, tmp_path):
    # P00011 belongs to 健康医療部: a 福祉部 row with its ID must not take it over.
    plan = build_plan(ProceduresImporter(fukushi, round=R4_ROUND), sheet(tmp_path, [row("P00011")]))

    assert [e["message"] for e in plan.errors] == [
        "手続ID「P00011」は、登録できる範囲の外の手続で使われています"
    ]


def test_an_editor_updates_their_departments_answers(samples, fukushi, tmp_path):
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        )
    ]

    imported(ProceduresImporter(fukushi, round=R4_ROUND), sheet(tmp_path, rows))

    updated = answer("P00041")
    assert (updated.yearly_volume, updated.online_volume) == (1100, 600)
    assert updated.history.first().history_user == fukushi
    assert round_kpis(the_round(R4_ROUND)).volume == EXPECTED["procedures_R4"]["volume"] + 96


def test_an_editor_cannot_create_a_round(organisation, fukushi, tmp_path):
    plan = build_plan(ProceduresImporter(fukushi, round="令和9年度調査"), sheet(tmp_path, [row("T001")]))

    assert [e["message"] for e in plan.errors] == ["照会「令和9年度調査」はありません。"]


def test_without_a_round_the_newest_open_round_is_meant(samples, fukushi, tmp_path):
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        )
    ]

    imported(ProceduresImporter(fukushi), sheet(tmp_path, rows))

    assert answer("P00041").yearly_volume == 1100
    assert answer("P00041", R2_ROUND).yearly_volume == 505


def test_a_submitted_department_is_locked_until_sent_back(samples, office, fukushi, tmp_path):
    r4 = the_round(R4_ROUND)
    department = OrgUnit.objects.get(code="06")
    rounds.submit(r4, department.pk, fukushi)
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        )
    ]
    path = sheet(tmp_path, rows)

    plan = build_plan(ProceduresImporter(fukushi, round=R4_ROUND), path)

    assert [e["message"] for e in plan.errors] == [
        "福祉部: 提出済みの回答です。変更するには推進課に差し戻しを依頼してください。"
    ]
    # The office may still correct it.
    imported(ProceduresImporter(office, round=R4_ROUND), path)
    assert answer("P00041").yearly_volume == 1100


@pytest.mark.parametrize("who", ["command line", "office", "editor"])
def test_importing_into_a_closed_round_is_refused_and_changes_nothing(
    samples, office, fukushi, tmp_path, who
):
    r4 = the_round(R4_ROUND)
    rounds.close_round(r4, office)
    user = {"command line": None, "office": office, "editor": fukushi}[who]
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        )
    ]
    before = state()

    plan = build_plan(ProceduresImporter(user, round=R4_ROUND), sheet(tmp_path, rows))

    assert plan.errors == [
        {
            "row": 0,
            "column": "",
            "message": "照会「令和4年度調査」は締め切られています。"
            "締め切った照会は確定した記録のため、取り込みでは変更できません。",
        }
    ]
    assert state() == before
    assert subset(round_kpis(r4).as_dict(), EXPECTED["procedures_R4"]) == EXPECTED["procedures_R4"]


def test_the_import_command_refuses_a_closed_round(samples, office):
    rounds.close_round(the_round(R4_ROUND), office)
    before = state()
    out = io.StringIO()

    with pytest.raises(CommandError, match="エラーがあるため取り込みません"):
        call_command("import", "procedures", str(R4), "--round", R4_ROUND, apply=True, stdout=out)

    assert "! 0行目 : 照会「令和4年度調査」は締め切られています" in out.getvalue()
    assert state() == before


# --- the department's Excel sheet -----------------------------------------------------------------
def test_a_department_exports_its_answers_edits_one_and_imports_it_back(samples, fukushi, tmp_path):
    r4 = the_round(R4_ROUND)
    importer = ProceduresImporter(fukushi, round=R4_ROUND)
    own = ProcedureAnswer.objects.restrict(fukushi, VIEW).filter(round=r4)
    exported = list(importer.export_rows(own))
    assert len(exported) == 5
    headers = [c.label for c in importer.columns]
    status, online = headers.index("オンライン化状況"), headers.index("うちオンライン件数")
    edited = next(line for line in exported if line[0] == "P00045")
    edited[status], edited[online] = "オンライン化済", 100
    path = tmp_path / "fukushi.xlsx"
    path.write_bytes(write_xlsx(headers, exported, title="令和4年度調査 福祉部"))
    before = answer_values()

    again = ProceduresImporter(fukushi, round=R4_ROUND)
    plan = build_plan(again, path)

    assert plan.errors == []
    assert (plan.count(CHANGED), plan.count(UNCHANGED), plan.count(NEW)) == (1, 4, 0)
    apply_plan(again, plan)
    after = answer_values()
    assert [code for code in after if after[code] != before[code]] == [("P00045", R4_ROUND)]
    assert (answer("P00045").status, answer("P00045").reasons) == (OnlineStatus.ONLINE, [])
    kpis = round_kpis(r4)
    assert (kpis.online, kpis.online_volume, kpis.later_or_impossible) == (19, 25700, 32)
    assert round_kpis(the_round(R2_ROUND)).as_dict()["online"] == 4


def test_the_whole_sample_round_trips_through_export(samples, office, tmp_path):
    r4 = the_round(R4_ROUND)
    importer = ProceduresImporter(office, round=R4_ROUND)
    path = tmp_path / "all.xlsx"
    rows = importer.export_rows(ProcedureAnswer.objects.filter(round=r4))
    path.write_bytes(write_xlsx([c.label for c in importer.columns], rows))

    plan = build_plan(ProceduresImporter(office, round=R4_ROUND), path)

    assert plan.errors == []
    assert (plan.count(CHANGED), plan.count(UNCHANGED)) == (0, 60)


def test_the_inventory_exports_each_procedure_with_its_latest_answer(samples, office):
    rows = list(ProceduresImporter(office).export_rows(Procedure.objects.order_by("code")))

    assert len(rows) == 60
    first = rows[0]
    assert first[:5] == ["P00001", "政策企画部", "企画室政策課", "01001", "難病医療費助成実績報告"]
    assert first[HEADER.index("オンライン化状況") + 1] == "オンライン化済"


# --- the round option on every surface ------------------------------------------------------------
def test_the_upload_form_offers_the_open_rounds_of_the_users_body(samples, office, fukushi):
    rounds.close_round(the_round(R2_ROUND), office)

    form = ImportUploadForm(importer=ProceduresImporter(fukushi))

    assert [value for value, _label in form.fields["round"].choices] == [R4_ROUND]
    assert "round" not in ImportUploadForm(importer=get_importer("organisation")(office)).fields
    upload = SimpleUploadedFile("p.xlsx", R4.read_bytes())
    form = ImportUploadForm({"round": R4_ROUND}, {"file": upload}, importer=ProceduresImporter(fukushi))
    assert form.is_valid(), form.errors
    assert form.importer_options() == {"round": R4_ROUND}
    closed = ImportUploadForm({"round": R2_ROUND}, {"file": upload}, importer=ProceduresImporter(fukushi))
    assert not closed.is_valid()


def test_an_import_job_keeps_the_round_and_applies_into_it(samples, fukushi, tmp_path):
    rows = [
        row(
            "P00041",
            "漁業免許申請",
            **{"年間処理件数": 1100, "うちオンライン件数": 600, "オンライン化状況": "済"},
        )
    ]
    upload = SimpleUploadedFile("fukushi.xlsx", sheet(tmp_path, rows).read_bytes())

    job = jobs.start_import("procedures", upload, fukushi, {"round": R4_ROUND})
    jobs.request_apply(job)

    job.refresh_from_db()
    assert (job.status, job.options) == (ImportJobStatus.APPLIED, {"round": R4_ROUND})
    assert answer("P00041").yearly_volume == 1100


def test_the_import_command_takes_a_round(organisation):
    out = io.StringIO()

    call_command("import", "procedures", str(R4), "--round", R4_ROUND, apply=True, stdout=out)

    assert "新規: 60" in out.getvalue()
    assert (
        subset(round_kpis(the_round(R4_ROUND)).as_dict(), EXPECTED["procedures_R4"])
        == EXPECTED["procedures_R4"]
    )


def test_the_import_command_refuses_a_round_for_importers_without_rounds(organisation):
    with pytest.raises(CommandError, match="「organisation」の取り込みには照会を指定できません"):
        call_command("import", "organisation", str(DEMO_DIR / "organisation.xlsx"), "--round", R4_ROUND)


# --- a whole prefecture ---------------------------------------------------------------------------
def prefecture_rows(sample: Path, count: int, online: int, planned: int, volume: int, online_volume: int):
    """Rows in the sample's shape: `count` procedures, the first `online` online, the next `planned`
    planned, the rest later or impossible; the cases split so that the totals are exact."""
    header = list(
        next(openpyxl.load_workbook(sample).active.iter_rows(min_row=3, max_row=3, values_only=True))
    )
    # The procedures themselves (owner, name …) come from the R4 sample whatever the shape, so that the
    # same ID is the same procedure in every sheet.
    ws = openpyxl.load_workbook(R4).active
    full = list(next(ws.iter_rows(min_row=3, max_row=3, values_only=True)))
    shapes = [list(r) for r in ws.iter_rows(min_row=4, values_only=True) if r[3]]
    others = count - online
    other_volume = 500 * others
    online_each, online_rest = divmod(volume - other_volume, online)
    share_each, share_rest = divmod(online_volume, online)
    planned_forms = ["令和7年度", "R7", "2025年度", "令和7年度中", None]
    number_forms = [lambda n: n, lambda n: f"{n:,}", lambda n: f"{n}件", str]
    rows = []
    for n in range(count):
        line = dict(zip(full, shapes[n % len(shapes)], strict=True))
        line["手続ID"] = f"F{n:05d}"
        line["手続名"] = f"{line['手続名']}{n}"
        if n < online:
            yearly = online_each + (online_rest if n == 0 else 0)
            share = share_each + (share_rest if n == 0 else 0)
            status, reasons = "オンライン化済", None
        else:
            yearly, share = 500, 0
            status = (
                "令和7年度末までに予定"
                if n < online + planned
                else ("令和8年度以降", "オンライン化不可")[n % 2]
            )
            reasons = None if n < online + planned else "原本確認が必要、件数が少なく費用対効果が低い"
        line["年間処理件数"] = number_forms[n % 4](yearly)
        line["うちオンライン件数"] = share
        line["オンライン化状況"] = status
        if "オンライン化予定時期" in header:
            line["オンライン化予定時期"] = planned_forms[n % 5] if status.endswith("予定") else None
            line["オンライン化できない理由"] = reasons
        rows.append([line.get(h) for h in header])
    return header, rows


def test_a_whole_prefecture_in_the_r4_shape_gives_30_7_41_8_and_13_9(organisation, tmp_path):
    """The seeds: R4, 4,950 procedures and 5,350,437 cases; 1,520 online with 2,236,706 cases, 690 planned
    by the end of R7, 2,740 later or impossible."""
    header, rows = prefecture_rows(R4, 4950, 1520, 690, 5_350_437, 2_236_706)
    path = sheet(tmp_path, rows, header)
    importer = ProceduresImporter(None, round=R4_ROUND)
    plan = build_plan(importer, path)
    assert plan.errors == []

    with CaptureQueriesContext(connection) as queries:
        apply_plan(importer, plan)

    kpis = round_kpis(the_round(R4_ROUND))
    assert (kpis.procedures, kpis.online, kpis.planned, kpis.later_or_impossible) == (4950, 1520, 690, 2740)
    assert (kpis.volume, kpis.online_volume) == (5_350_437, 2_236_706)
    shares = (kpis.online_share_by_count, kpis.online_share_by_volume, kpis.planned_share, kpis.later_share)
    assert shares == (Decimal("30.7"), Decimal("41.8"), Decimal("13.9"), Decimal("55.4"))
    assert sum(kpis.planned_by_fy.values()) == 690 and set(kpis.planned_by_fy) == {2025}
    # Bulk writes: far fewer queries than rows (SQLite splits a bulk insert every 999 parameters).
    assert len(queries) < len(rows) // 10


def test_the_whole_prefecture_goes_from_8_2_to_30_7_by_count_and_32_0_to_41_8_by_volume(
    organisation, tmp_path
):
    """The seeds: R2, 292 of 3,561 procedures online, about 32% of the cases; R4 as above. The same IDs
    run through both sheets, so the first 3,561 procedures are matched across the rounds."""
    for name, sample, shape in (
        (R2_ROUND, R2, (3561, 292, 0, 4_800_000, 1_536_000)),
        (R4_ROUND, R4, (4950, 1520, 690, 5_350_437, 2_236_706)),
    ):
        header, rows = prefecture_rows(sample, *shape)
        imported(ProceduresImporter(None, round=name), sheet(tmp_path, rows, header, name=f"{name}.xlsx"))

    change = year_over_year(the_round(R4_ROUND), the_round(R2_ROUND))

    before, after = change["previous"], change["current"]
    assert (before.online_share_by_count, after.online_share_by_count) == (Decimal("8.2"), Decimal("30.7"))
    assert (before.online_share_by_volume, after.online_share_by_volume) == (Decimal("32.0"), Decimal("41.8"))
    assert (change["matched"], change["added"], change["dropped"]) == (3561, 1389, 0)
    # The first 292 were online in both; 1,228 more came online.
    assert len(change["newly_online"]) == 1520 - 292
    out = io.StringIO()
    call_command("report", "procedures", "--round", R4_ROUND, stdout=out)
    assert "オンライン化率（手続数）: 8.2% → 30.7%" in out.getvalue()
    assert "オンライン化率（件数）: 32.0% → 41.8%" in out.getvalue()
