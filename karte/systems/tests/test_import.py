"""The system karte list through build_plan / apply_plan: the sample sheet and sheets written here."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from karte.core.choices import Role
from karte.core.demo import DEMO_DIR, load_demo
from karte.core.exporting import write_xlsx
from karte.core.importing.base import CHANGED, NEW, UNCHANGED, PlanHasErrors, apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.models import OrgUnit
from karte.core.tests.factories import make_user
from karte.systems.choices import ContractKind, Hosting, StandardBusiness
from karte.systems.importers import SystemsImporter
from karte.systems.models import Contract, Cost, MaintenanceRun, System, Vendor
from karte.systems.selectors import lock_in_at, portfolio_figures, portfolio_figures_for

SAMPLE = DEMO_DIR / "systems_karte_R4.xlsx"
HEADER = [
    "システムID",
    "システム名",
    "部局名",
    "所管課",
    "運用保守事業者",
    "同一事業者による運用保守開始年度",
    "稼働開始年度",
    "次期更新予定年度",
    "設置場所",
    "ネットワーク区分",
    "年間運用経費（千円）",
    "標準化対象",
    "課題",
]


@pytest.fixture
def organisation(db):
    """The demo prefecture's organisation, without its systems."""
    importer = get_importer("organisation")(None)
    apply_plan(importer, build_plan(importer, DEMO_DIR / "organisation.xlsx"))


@pytest.fixture
def office(organisation):
    return make_user("office", Role.OFFICE_ADMIN, OrgUnit.objects.get(code="04002"))


@pytest.fixture
def fukushi(organisation):
    """An editor of 福祉部."""
    return make_user("fukushi", Role.EDITOR, OrgUnit.objects.get(code="06001"))


def sample_rows() -> list[list]:
    ws = openpyxl.load_workbook(SAMPLE).active
    return [list(row) for row in ws.iter_rows(min_row=4, values_only=True)]


def sheet(tmp_path: Path, rows: list[list], header: list[str] = HEADER, name: str = "karte.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["情報システムカルテ一覧（令和5年度）"], ["※経費は令和5年度予算額"], header, *rows]:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def row(code: str, name: str = "テストシステム", **values) -> list:
    """A sheet row of a 福祉部 system, with `values` by header."""
    base = {
        "システムID": code,
        "システム名": name,
        "部局名": "福祉部",
        "所管課": "地域福祉推進室地域福祉課",
        "運用保守事業者": "関西ソリューションズ株式会社",
        "同一事業者による運用保守開始年度": "H24",
        "稼働開始年度": 2010,
        "次期更新予定年度": 2027,
        "設置場所": "データセンター",
        "ネットワーク区分": "LGWAN接続系",
        "年間運用経費（千円）": 1000,
    }
    # A keyword cannot hold full-width parentheses.
    if "cost" in values:
        values["年間運用経費（千円）"] = values.pop("cost")
    base.update(values)
    return [base.get(h) for h in HEADER]


def imported(importer, path: Path):
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)
    return plan


def actions(plan) -> dict:
    return {p.record.key[1]: p.action for p in plan.records}


def planned(plan, code: str):
    return next(p for p in plan.records if p.record.key[1] == code)


def system(code: str) -> System:
    return System.objects.get(code=code)


# --- the sample -----------------------------------------------------------------------------------
def test_the_sample_gives_30_systems_7_on_the_common_platform_and_5_locked_in(organisation):
    importer = SystemsImporter(None, fiscal_year=2022)

    plan = build_plan(importer, SAMPLE)

    assert plan.errors == []
    assert (plan.header_row, plan.rows_read, plan.count(NEW)) == (3, 30, 30)
    apply_plan(importer, plan)
    figures = portfolio_figures_for(System.objects.all(), 2022, 10)
    assert (figures["systems"], figures["common_platform"], figures["locked_in"]) == (30, 7, 5)
    assert System.objects.filter(hosting=Hosting.COMMON_PLATFORM).count() == 7
    assert Vendor.objects.count() == 12
    assert Contract.objects.filter(kind=ContractKind.MAINTENANCE, fy_to=None).count() == 30


def test_the_office_sees_the_sample_figures_on_its_portfolio(organisation, office):
    imported(SystemsImporter(office, fiscal_year=2022), SAMPLE)

    figures = portfolio_figures(office, 2022, 10)

    assert (figures["systems"], figures["locked_in"], figures["common_platform"]) == (30, 5, 7)


def test_the_demo_loads_the_sample_systems_with_their_R4_budgets(db):
    load_demo()

    # The karte sheet's 30 systems with costs, and 5 that only the security survey lists, without.
    assert System.objects.count() == 35
    assert System.objects.filter(costs__fiscal_year=2022).distinct().count() == 30
    cost = Cost.objects.get(system__code="S0001")
    assert (cost.fiscal_year, cost.budget_thousand_yen) == (2022, 14106)


def test_years_in_every_notation_are_read(organisation):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)

    starts = dict(MaintenanceRun.objects.values_list("system__code", "fy_from"))
    # 平成21年度, H29, 2015 (a number), 令和1年度, R2, 令和4年度
    assert [starts[c] for c in ("S0001", "S0003", "S0006", "S0011", "S0018", "S0007")] == [
        2009,
        2017,
        2015,
        2019,
        2020,
        2022,
    ]
    lock_in = lock_in_at(System.objects.all(), 2022)
    # Completed years: maintained since FY2009, at FY2022 that is 13.
    assert lock_in[system("S0001").pk].years == 13
    assert lock_in[system("S0007").pk].years == 0
    s0003 = system("S0003")
    assert (s0003.go_live_fy, s0003.next_renewal_fy) == (2006, 2026)


def test_a_sheet_with_H24_R3_平成24年度_and_2015_reads_each_year(organisation, tmp_path):
    rows = [
        row("T1", 同一事業者による運用保守開始年度="H24"),
        row("T2", 同一事業者による運用保守開始年度="R3"),
        row("T3", 同一事業者による運用保守開始年度="平成24年度"),
        row("T4", 同一事業者による運用保守開始年度=2015),
        row("T5", 同一事業者による運用保守開始年度="２０１５年度"),
    ]

    imported(SystemsImporter(None), sheet(tmp_path, rows))

    starts = dict(MaintenanceRun.objects.values_list("system__code", "fy_from"))
    assert starts == {"T1": 2012, "T2": 2021, "T3": 2012, "T4": 2015, "T5": 2015}


def test_costs_typed_as_text_are_read_as_the_budget_of_the_importers_year(organisation, tmp_path):
    rows = [
        row("T1", cost="1,234"),
        row("T2", cost="１２，３４５"),
        row("T3", cost="2,000千円"),
        row("T4", cost=None),
    ]

    imported(SystemsImporter(None, fiscal_year=2023), sheet(tmp_path, rows))

    budgets = dict(Cost.objects.values_list("system__code", "budget_thousand_yen"))
    assert budgets == {"T1": 1234, "T2": 12345, "T3": 2000}
    assert set(Cost.objects.values_list("fiscal_year", flat=True)) == {2023}


def test_the_cost_year_column_overrides_the_importers_year(organisation, tmp_path):
    header = [*HEADER, "経費年度"]
    rows = [row("T1") + ["令和3年度"], row("T2") + [None]]

    imported(SystemsImporter(None, fiscal_year=2024), sheet(tmp_path, rows, header))

    years = dict(Cost.objects.values_list("system__code", "fiscal_year"))
    assert years == {"T1": 2021, "T2": 2024}


def test_an_unreadable_cost_is_a_row_error_naming_the_column(organisation, tmp_path):
    plan = build_plan(SystemsImporter(None), sheet(tmp_path, [row("T1", cost="未定")]))

    [error] = plan.errors
    assert (error["row"], error["column"]) == (4, "年間運用経費（千円）")
    assert "未定" in error["message"]


# --- vendors --------------------------------------------------------------------------------------
def test_vendors_typed_differently_become_one(organisation, tmp_path):
    rows = [
        row("T1", 運用保守事業者="株式会社Ｘシステム"),
        row("T2", 運用保守事業者="Xシステム株式会社"),
        row("T3", 運用保守事業者="(株)X システム"),
        row("T4", 運用保守事業者="㈱Ｘシステム"),
    ]

    imported(SystemsImporter(None), sheet(tmp_path, rows))

    vendor = Vendor.objects.get()
    assert vendor.name == "株式会社Ｘシステム"
    assert set(Contract.objects.values_list("vendor_id", flat=True)) == {vendor.pk}


def test_a_known_vendor_typed_another_way_is_unchanged(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][4] = "(株)河内エンジニアリング"

    plan = build_plan(SystemsImporter(None, fiscal_year=2022), sheet(tmp_path, rows))

    assert planned(plan, "S0001").action == UNCHANGED
    assert Vendor.objects.count() == 12


def test_a_vendor_without_a_start_year_is_a_row_error(organisation, tmp_path):
    rows = [row("T1", 同一事業者による運用保守開始年度=None), row("T2", 運用保守事業者=None)]

    plan = build_plan(SystemsImporter(None), sheet(tmp_path, rows))

    assert [(e["row"], e["column"]) for e in plan.errors] == [
        (4, "同一事業者による運用保守開始年度"),
        (5, "運用保守事業者"),
    ]


# --- re-import and export -------------------------------------------------------------------------
def test_reimporting_the_sample_is_all_unchanged_and_writes_nothing(organisation):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    history = (System.history.count(), Contract.history.count(), Cost.history.count(), Vendor.history.count())

    plan = imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)

    assert set(actions(plan).values()) == {UNCHANGED}
    assert (
        System.history.count(),
        Contract.history.count(),
        Cost.history.count(),
        Vendor.history.count(),
    ) == (history)


def test_an_export_imports_back_as_all_unchanged(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    System.objects.filter(code="S0002").update(
        purpose="医師の届出を管理する",
        users="医療対策課",
        internet_facing=True,
        handles_personal_data=True,
        standard_business=StandardBusiness.HEALTH_MANAGEMENT,
        migration_destination="ガバメントクラウド",
    )
    importer = SystemsImporter(None)
    path = tmp_path / "systems.xlsx"
    headers = [c.label for c in importer.columns]
    path.write_bytes(write_xlsx(headers, importer.export_rows(System.objects.all()), title="システム"))

    plan = build_plan(importer, path)

    assert plan.errors == []
    assert plan.rows_read == 30
    assert set(actions(plan).values()) == {UNCHANGED}


def test_a_changed_field_shows_old_and_new_in_the_preview(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][8] = "ガバメントクラウド"
    rows[0][10] = 15000
    importer = SystemsImporter(None, fiscal_year=2022)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert actions(plan)["S0001"] == CHANGED
    assert plan.count(CHANGED) == 1
    [item] = plan.as_dict(importer)["sample"]
    assert {"field": "設置場所", "old": "共通プラットフォーム", "new": "ガバメントクラウド"} in item[
        "changes"
    ]
    assert {"field": "令和4年度 年間運用経費（千円）", "old": "14106", "new": "15000"} in item["changes"]


# --- 時点修正: next year's sheet --------------------------------------------------------------------
def test_a_new_maintainer_in_next_years_sheet_shows_as_changed_and_restarts_lock_in(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][4:6] = ["株式会社なにわテクノ", "令和5年度"]
    importer = SystemsImporter(None, fiscal_year=2023)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    changes = planned(plan, "S0001").changes
    assert changes["vendor"] == ("河内エンジニアリング株式会社", "株式会社なにわテクノ")
    assert changes["maintenance_from"] == ("平成21年度", "令和5年度")
    assert "vendor" not in planned(plan, "S0004").changes
    apply_plan(importer, plan)

    s0001 = system("S0001")
    contracts = list(Contract.objects.filter(system=s0001).values_list("vendor__name", "fy_from", "fy_to"))
    assert contracts == [("河内エンジニアリング株式会社", 2009, 2022), ("株式会社なにわテクノ", 2023, None)]
    assert lock_in_at(System.objects.all(), 2023)[s0001.pk].years == 0
    # What was true in FY2022 stays true.
    assert lock_in_at(System.objects.all(), 2022)[s0001.pk].years == 13
    assert Vendor.objects.count() == 12
    again = build_plan(SystemsImporter(None, fiscal_year=2023), sheet(tmp_path, rows, name="again.xlsx"))
    assert set(actions(again).values()) == {UNCHANGED}


def test_a_corrected_start_year_of_the_same_maintainer_moves_its_contract(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][5] = "H19"

    imported(SystemsImporter(None, fiscal_year=2022), sheet(tmp_path, rows))

    assert list(Contract.objects.filter(system__code="S0001").values_list("fy_from", "fy_to")) == [
        (2007, None)
    ]
    assert lock_in_at(System.objects.filter(code="S0001"), 2022).popitem()[1].years == 15


def test_a_start_year_that_contradicts_another_vendors_contract_is_a_row_error(organisation, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][4:6] = ["株式会社なにわテクノ", "平成20年度"]  # before 河内エンジニアリング's contract from H21

    plan = build_plan(SystemsImporter(None, fiscal_year=2022), sheet(tmp_path, rows))

    [error] = plan.errors
    assert (error["row"], error["column"]) == (4, "同一事業者による運用保守開始年度")
    assert "河内エンジニアリング株式会社の運用保守契約（平成21年度〜）" in error["message"]


# --- who may import what --------------------------------------------------------------------------
def test_an_editor_importing_another_departments_row_gets_a_row_error_and_nothing_changes(fukushi, tmp_path):
    rows = [row("T1"), row("T2", 部局名="健康医療部", 所管課="健康医療総務課")]
    importer = SystemsImporter(fukushi)

    plan = build_plan(importer, sheet(tmp_path, rows))

    [error] = plan.errors
    assert (error["row"], error["column"]) == (5, "所管課")
    assert "健康医療総務課" in error["message"]
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert System.objects.count() == 0
    assert Vendor.objects.count() == 0


def test_an_editor_cannot_take_over_another_departments_system_by_its_code(organisation, fukushi, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    # S0009 belongs to 健康医療部; the editor of 福祉部 neither sees nor changes it.
    plan = build_plan(SystemsImporter(fukushi), sheet(tmp_path, [row("S0009")]))

    [error] = plan.errors
    assert error["column"] == "システムID"
    assert system("S0009").unit.department.name == "健康医療部"


def test_an_editor_updates_their_departments_systems(organisation, fukushi, tmp_path):
    imported(SystemsImporter(None, fiscal_year=2022), SAMPLE)
    rows = [r for r in sample_rows() if r[2] == "福祉部"]
    rows[0][12] = "機器の更新"

    plan = imported(SystemsImporter(fukushi, fiscal_year=2022), sheet(tmp_path, rows))

    assert sorted(actions(plan).values()) == [CHANGED, UNCHANGED, UNCHANGED]
    assert system("S0003").issues == "機器の更新"


def test_a_unit_may_be_given_by_its_code(organisation, tmp_path):
    header = [*HEADER, "所属コード"]
    rows = [row("T1", 所管課=None) + ["06002"]]

    imported(SystemsImporter(None), sheet(tmp_path, rows, header))

    assert system("T1").unit.name == "高齢介護室介護事業者課"


def test_viewers_and_auditors_may_not_import(organisation):
    unit = OrgUnit.objects.get(code="06002")
    assert not SystemsImporter(make_user("viewer", Role.VIEWER, unit)).permitted()
    assert not SystemsImporter(make_user("auditor", Role.AUDITOR, unit)).permitted()
    assert SystemsImporter(make_user("editor", Role.EDITOR, unit)).permitted()
    assert SystemsImporter(None).permitted()


def test_the_history_names_the_importing_user(office, tmp_path):
    imported(SystemsImporter(office, fiscal_year=2022), SAMPLE)
    rows = sample_rows()
    rows[0][4:6] = ["株式会社新事業者", "R5"]
    imported(SystemsImporter(office, fiscal_year=2023), sheet(tmp_path, rows))

    for model in (System, Vendor, Contract, Cost):
        users = set(model.history.values_list("history_user__username", flat=True))
        assert users == {"office"}, model
    assert Contract.history.filter(history_type="~", fy_to=2022).count() == 1


# --- other columns --------------------------------------------------------------------------------
def test_a_circle_marks_a_target_and_a_name_sets_the_business(organisation, tmp_path):
    imported(
        SystemsImporter(None), sheet(tmp_path, [row("T1", 標準化対象="○"), row("T2", 標準化対象="介護保険")])
    )

    assert system("T1").standard_business == StandardBusiness.UNSPECIFIED
    assert system("T2").standard_business == StandardBusiness.LONG_TERM_CARE


def test_a_circle_over_a_named_business_keeps_the_business(organisation, tmp_path):
    imported(SystemsImporter(None), sheet(tmp_path, [row("T2", 標準化対象="介護保険")]))

    plan = imported(SystemsImporter(None), sheet(tmp_path, [row("T2", 標準化対象="○")], name="2.xlsx"))

    assert actions(plan) == {"T2": UNCHANGED}
    assert system("T2").standard_business == StandardBusiness.LONG_TERM_CARE


def test_an_empty_cell_keeps_what_was_written_on_screen(organisation, tmp_path):
    imported(SystemsImporter(None), sheet(tmp_path, [row("T1", 課題="保守期限切れ")]))
    System.objects.filter(code="T1").update(purpose="地域福祉の台帳")

    plan = imported(SystemsImporter(None), sheet(tmp_path, [row("T1", 課題=None)], name="2.xlsx"))

    assert actions(plan) == {"T1": UNCHANGED}
    assert (system("T1").issues, system("T1").purpose) == ("保守期限切れ", "地域福祉の台帳")


def test_preview_and_apply_read_a_fixed_number_of_times_and_write_in_bulk(organisation, tmp_path):
    rows = [row(f"T{n:04d}", 運用保守事業者=f"事業者{n % 50}") for n in range(300)]
    path = sheet(tmp_path, rows)
    importer = SystemsImporter(None)

    with CaptureQueriesContext(connection) as queries:
        apply_plan(importer, build_plan(importer, path))

    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements.count("SELECT") <= 8
    # SQLite splits a bulk insert by its parameter limit; nothing is written row by row.
    assert len(statements) < len(rows) / 5
    assert System.objects.count() == 300
    assert Vendor.objects.count() == 50
    assert MaintenanceRun.objects.count() == 300


def test_the_fiscal_year_of_the_costs_is_chosen_on_upload_and_on_the_command_line(client, world):
    from django.core.management import call_command
    from django.urls import reverse

    from karte.core.demo import DEMO_DIR
    from karte.core.importers import OrganisationImporter
    from karte.systems.models import Cost

    apply_plan(
        OrganisationImporter(None), build_plan(OrganisationImporter(None), DEMO_DIR / "organisation.xlsx")
    )
    client.force_login(world.users["office_a"])
    with open(DEMO_DIR / "systems_karte_R4.xlsx", "rb") as sheet_file:
        response = client.post(
            reverse("core:import_new", kwargs={"kind": "systems"}),
            {"file": sheet_file, "fiscal_year": "令和4年度"},
        )
    client.post(reverse("core:import_apply", kwargs={"pk": int(response.url.rstrip("/").split("/")[-1])}))

    assert set(Cost.objects.values_list("fiscal_year", flat=True)) == {2022}
    out = io.StringIO()
    call_command(
        "import", "systems", str(DEMO_DIR / "systems_karte_R4.xlsx"), "--fiscal-year", "R4", stdout=out
    )
    assert "新規: 0  変更: 0  変更なし: 30" in out.getvalue()
