"""The organisation sheet read straight through build_plan / apply_plan, on sheets written here."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
import pytest

from karte.core.importers import OrganisationImporter
from karte.core.importing.base import CHANGED, NEW, UNCHANGED, PlanHasErrors, apply_plan, build_plan
from karte.core.models import OrgUnit

HEADER = [
    "団体コード",
    "団体名",
    "部局コード",
    "部局名",
    "所属コード",
    "所属名",
    "有効開始日",
    "有効終了日",
    "統合先コード",
]
DEMO = Path(__file__).resolve().parents[2] / "demo" / "organisation.xlsx"


def world_rows() -> list[list]:
    """Body A of the test world exactly as it is in the database."""
    return [
        ["270008", "大阪府", "06", "福祉部", "06001", "地域福祉課"],
        ["270008", "大阪府", "07", "健康医療部", "07001", "健康医療総務課"],
        ["270008", "大阪府", "04", "スマートシティ戦略部", "04002", "行政DX推進課"],
    ]


def sheet(tmp_path: Path, rows: list[list], *, above: list[list] = (), name: str = "org.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "組織"
    for row in [*above, HEADER, *rows]:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def actions(plan) -> dict:
    return {p.record.key: p.action for p in plan.records}


def planned(plan, key):
    return next(p for p in plan.records if p.record.key == key)


def test_the_test_world_sheet_is_all_unchanged(world, tmp_path):
    plan = build_plan(OrganisationImporter(None), sheet(tmp_path, world_rows()))

    assert plan.errors == []
    assert set(actions(plan).values()) == {UNCHANGED}
    assert len(plan.records) == 1 + 3 + 3


def test_renaming_a_section_shows_old_and_new_name_and_is_recorded(world, tmp_path):
    rows = world_rows()
    rows[0][5] = "地域福祉推進課"
    importer = OrganisationImporter(None)
    history_before = world.section_a1.history.count()

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    renamed = planned(plan, ("270008", "06001"))
    assert renamed.action == CHANGED
    assert renamed.changes == {"name": ("地域福祉課", "地域福祉推進課")}
    assert plan.count(CHANGED) == 1
    preview = plan.as_dict(importer)
    [item] = preview["sample"]
    assert item["row"] == 2
    assert {"field": "名称", "old": "地域福祉課", "new": "地域福祉推進課"} in item["changes"]

    apply_plan(importer, plan)

    world.section_a1.refresh_from_db()
    assert world.section_a1.name == "地域福祉推進課"
    assert world.section_a1.history.count() == history_before + 1
    latest = world.section_a1.history.order_by("-history_date", "-history_id").first()
    assert latest.name == "地域福祉推進課"
    assert latest.history_type == "~"
    assert OrgUnit.objects.get(pk=world.section_a2.pk).name == "健康医療総務課"


def test_moving_a_section_to_another_department_updates_its_department(world, tmp_path):
    rows = world_rows()
    rows[0][2:4] = ["07", "健康医療部"]
    importer = OrganisationImporter(None)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    assert planned(plan, ("270008", "06001")).changes == {"parent_code": ("06", "07")}
    apply_plan(importer, plan)

    unit = OrgUnit.objects.get(pk=world.section_a1.pk)
    assert unit.parent_id == world.dept_a2.pk
    assert unit.department_id == world.dept_a2.pk
    assert unit.body_id == world.body_a.pk
    # Editors of 健康医療部 now see it as theirs.
    assert OrgUnit.objects.filter(department=world.dept_a2, kind="section").count() == 2


def test_a_merge_row_ends_the_section_and_links_its_successor(world, tmp_path):
    rows = world_rows()
    rows[0] += [None, "2025-03-31", "07001"]
    importer = OrganisationImporter(None)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    changes = planned(plan, ("270008", "06001")).changes
    assert changes["valid_to"] == (None, datetime.date(2025, 3, 31))
    assert changes["successor_code"] == (None, "07001")
    apply_plan(importer, plan)

    unit = OrgUnit.objects.get(pk=world.section_a1.pk)
    assert unit.valid_to == datetime.date(2025, 3, 31)
    assert unit.successor_id == world.section_a2.pk
    assert unit.history.order_by("-history_date", "-history_id").first().successor_id == world.section_a2.pk


def test_an_unknown_successor_code_is_a_row_error_and_blocks_the_import(world, tmp_path):
    rows = world_rows()
    rows[1] += [None, "2025-03-31", "99999"]
    importer = OrganisationImporter(None)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == [{"row": 3, "column": "統合先コード", "message": "統合先「99999」がありません"}]
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert OrgUnit.objects.get(pk=world.section_a2.pk).valid_to is None


def test_one_department_code_with_two_names_is_an_error_naming_both_rows(world, tmp_path):
    rows = [
        *world_rows(),
        ["270008", "大阪府", "06", "福祉局", "06002", "高齢介護課"],
    ]
    importer = OrganisationImporter(None)

    plan = build_plan(importer, sheet(tmp_path, rows))

    [error] = plan.errors
    assert error["row"] == 5
    assert "2 行目" in error["message"]
    assert "06" in error["message"]
    assert "食い違っています" in error["message"]
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert not OrgUnit.objects.filter(code="06002").exists()


def test_an_office_cannot_import_another_body(world, tmp_path):
    rows = [
        *world_rows(),
        ["271004", "大阪市", "06", "福祉局", "06009", "福祉課別室"],
    ]
    importer = OrganisationImporter(world.users["office_a"])

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == [
        {"row": 5, "column": "団体コード", "message": "ご自身の団体（270008）以外の組織は取り込めません"}
    ]
    assert all(p.record.key[0] == "270008" for p in plan.records)
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert not OrgUnit.objects.filter(code="06009").exists()
    assert OrgUnit.objects.get(pk=world.body_b.pk).name == "大阪市SECRET-B"


def test_an_office_imports_new_sections_of_its_own_body(world, tmp_path):
    rows = [*world_rows(), ["270008", "大阪府", "06", "福祉部", "06002", "高齢介護課", "2024-04-01"]]
    office = world.users["office_a"]
    importer = OrganisationImporter(office)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    assert actions(plan)[("270008", "06002")] == NEW
    apply_plan(importer, plan)
    unit = OrgUnit.objects.get(body=world.body_a, code="06002")
    assert (unit.name, unit.department_id, unit.valid_from) == (
        "高齢介護課",
        world.dept_a1.pk,
        datetime.date(2024, 4, 1),
    )
    assert unit.history.get().history_user == office


def test_reimporting_the_same_sheet_changes_nothing(db, tmp_path):
    importer = OrganisationImporter(None)
    apply_plan(importer, build_plan(importer, DEMO))
    units = OrgUnit.objects.count()
    history = OrgUnit.history.count()

    again = build_plan(OrganisationImporter(None), DEMO)

    assert again.errors == []
    assert again.count(NEW) == again.count(CHANGED) == 0
    assert again.count(UNCHANGED) == 71
    apply_plan(OrganisationImporter(None), again)
    assert OrgUnit.objects.count() == units == 71
    assert OrgUnit.history.count() == history


def test_title_rows_above_the_header_are_ignored(world, tmp_path):
    above = [["組織一覧（令和7年4月1日現在）"], ["※ 所属コードは5桁で記入してください"], []]

    plan = build_plan(OrganisationImporter(None), sheet(tmp_path, world_rows(), above=above))

    assert plan.header_row == 4
    assert plan.rows_read == 3
    assert plan.errors == []
    assert set(actions(plan).values()) == {UNCHANGED}


def test_notes_below_the_data_outside_the_table_columns_are_ignored(world, tmp_path):
    rows = [*world_rows(), [], [None] * len(HEADER) + ["※ 令和7年4月1日時点"]]

    plan = build_plan(OrganisationImporter(None), sheet(tmp_path, rows))

    assert plan.rows_read == 3
    assert plan.errors == []


def test_a_note_written_in_the_first_column_below_the_data_is_ignored(world, tmp_path):
    rows = [*world_rows(), [], ["※ 令和7年4月1日時点。所属の新設は別紙のとおり。"]]

    plan = build_plan(OrganisationImporter(None), sheet(tmp_path, rows))

    assert plan.errors == []
    assert plan.rows_read == 3


def test_full_width_digits_in_codes_are_normalised(world, tmp_path):
    rows = world_rows()
    rows[0] = ["２７０００８", "大阪府", "０６", "福祉部", "０６００１", "地域福祉課"]
    rows.append(["２７０００８", "大阪府", "０６", "福祉部", "０６００２", "高齢介護課"])
    importer = OrganisationImporter(None)

    plan = build_plan(importer, sheet(tmp_path, rows))

    assert plan.errors == []
    assert actions(plan)[("270008", "06001")] == UNCHANGED
    assert actions(plan)[("270008", "06002")] == NEW
    apply_plan(importer, plan)
    new = OrgUnit.objects.get(body=world.body_a, code="06002")
    assert new.department_id == world.dept_a1.pk
    assert not OrgUnit.objects.filter(code__contains="０").exists()


def test_moving_a_section_moves_its_groups_to_the_new_department(world, tmp_path):
    from karte.core.services import create_org_unit

    group = create_org_unit(kind="group", code="0600101", name="地域福祉グループ", parent=world.section_a1)
    header_with_group = [
        "団体コード",
        "団体名",
        "部局コード",
        "部局名",
        "所属コード",
        "所属名",
        "グループコード",
        "グループ名",
    ]
    rows = [
        ["270008", "大阪府", "07", "健康医療部", "06001", "地域福祉課", "0600101", "地域福祉グループ"],
        ["270008", "大阪府", "07", "健康医療部", "07001", "健康医療総務課"],
    ]
    wb = openpyxl.Workbook()
    for row in [header_with_group, *rows]:
        wb.active.append(row)
    path = tmp_path / "move.xlsx"
    wb.save(path)
    importer = OrganisationImporter(None)

    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)

    assert OrgUnit.objects.get(pk=world.section_a1.pk).department_id == world.dept_a2.pk
    group.refresh_from_db()
    assert group.department_id == world.dept_a2.pk
