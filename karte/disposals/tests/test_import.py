"""The disposal register sheet: 和暦 dates, all or nothing, matching by 資産番号, and the export that
comes back unchanged."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from karte.core.choices import ImportJobStatus
from karte.core.exporting import write_csv
from karte.core.importing.base import CHANGED, NEW, UNCHANGED, PlanHasErrors, apply_plan, build_plan
from karte.core.models import ImportJob
from karte.disposals.importers import DisposalsImporter
from karte.disposals.models import StorageDisposal
from karte.disposals.tests.helpers import make_disposal

HEADER = [
    "所属コード",
    "所属名",
    "機器種別",
    "品名",
    "資産番号",
    "数量",
    "廃棄予定日",
    "廃棄日",
    "廃棄業者",
    "証明書受領日",
    "備考",
]


def row(**values) -> list:
    base = {
        "所属コード": "06001",
        "機器種別": "パソコン",
        "品名": "業務用PC",
        "数量": 1,
        "廃棄予定日": "令和6年5月1日",
    }
    base.update(values)
    return [base.get(h) for h in HEADER]


def sheet(tmp_path: Path, rows: list[list], name: str = "disposals.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for line in [["記憶媒体廃棄台帳（令和6年度）"], HEADER, *rows]:
        ws.append(line)
    path = tmp_path / name
    wb.save(path)
    return path


def test_a_sheet_with_era_dates_adds_the_disposals(world, tmp_path):
    path = sheet(
        tmp_path,
        [
            row(
                品名="庁内サーバ",
                機器種別="サーバー",
                資産番号="K-001",
                数量="2台",
                廃棄日="R6.6.3",
                証明書受領日="令和6年6月20日",
                廃棄業者="関西リサイクル株式会社",
            ),
            row(
                所属コード=None, 所属名="地域福祉課", 機器種別="USB", 品名="USBメモリ", 廃棄予定日="2030/4/1"
            ),
        ],
    )
    importer = DisposalsImporter(world.users["editor_a1"])
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)
    server = StorageDisposal.objects.get(asset_number="K-001")
    assert server.unit == world.section_a1
    assert server.device_kind == "server" and server.quantity == 2
    assert server.disposed_on == datetime.date(2024, 6, 3)
    assert server.certificate_received_on == datetime.date(2024, 6, 20)
    assert server.planned_on == datetime.date(2024, 5, 1)
    assert server.contractor == "関西リサイクル株式会社"
    assert server.history.get().history_user == world.users["editor_a1"]
    usb = StorageDisposal.objects.get(description="USBメモリ")
    assert usb.device_kind == "usb_memory" and usb.planned_on == datetime.date(2030, 4, 1)


def test_one_bad_row_stops_the_whole_sheet(world, tmp_path):
    path = sheet(
        tmp_path,
        [
            row(品名="正しいPC", 資産番号="OK-1"),
            row(品名="種別が変", 機器種別="冷蔵庫"),
            row(品名="日付が変", 廃棄日="令和6年13月1日"),
            row(品名="他部局", 所属コード="07001"),
            row(品名="受領が先", 廃棄日="R6.6.3", 証明書受領日="R6.6.1"),
        ],
    )
    importer = DisposalsImporter(world.users["editor_a1"])
    plan = build_plan(importer, path)
    assert sorted({e["row"] for e in plan.errors}) == [4, 5, 6, 7]
    columns = {e["row"]: e["column"] for e in plan.errors}
    assert columns[4] == "機器種別" and columns[5] == "廃棄日" and columns[7] == "証明書受領日"
    assert "パソコン" in next(e["message"] for e in plan.errors if e["row"] == 4), (
        "the accepted words are named"
    )
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert not StorageDisposal.objects.exists()


def test_the_import_pages_refuse_a_sheet_with_errors(client_for, world, tmp_path):
    content = write_csv(HEADER, [row(品名="正しいPC"), row(品名="数量が変", 数量="たくさん")])
    client = client_for(world.users["editor_a1"])
    response = client.post(
        reverse("core:import_new", kwargs={"kind": "disposals"}),
        {"file": SimpleUploadedFile("disposals.csv", content)},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.preview["counts"]["errors"] == 1
    client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status != ImportJobStatus.APPLIED
    assert not StorageDisposal.objects.exists()


def test_a_row_finds_its_disposal_by_asset_number_and_records_the_disposal(world, tmp_path):
    existing = make_disposal(
        world.section_a1, "業務用PC", asset_number="K-9", planned_on=datetime.date(2024, 5, 1)
    )
    path = sheet(tmp_path, [row(資産番号="K-9", 廃棄日="令和6年5月8日", 廃棄業者="関西リサイクル")])
    importer = DisposalsImporter(world.users["editor_a1"])
    plan = build_plan(importer, path)
    assert [p.action for p in plan.records] == [CHANGED]
    apply_plan(importer, plan)
    existing.refresh_from_db()
    assert existing.disposed_on == datetime.date(2024, 5, 8)
    assert existing.contractor == "関西リサイクル"
    assert StorageDisposal.objects.count() == 1
    assert existing.history.count() == 2


def test_an_asset_number_of_another_department_is_not_taken_over(world, tmp_path):
    theirs = make_disposal(world.section_a2, "健康医療部のPC", asset_number="K-9")
    path = sheet(tmp_path, [row(資産番号="K-9", 廃棄日="令和6年5月8日")])
    plan = build_plan(DisposalsImporter(world.users["editor_a1"]), path)
    assert [e["column"] for e in plan.errors] == ["資産番号"]
    theirs.refresh_from_db()
    assert theirs.unit == world.section_a2 and theirs.disposed_on is None


def test_an_exported_sheet_comes_back_unchanged(client_for, world, tmp_path):
    make_disposal(world.section_a1, "番号つきPC", asset_number="K-1", disposed_on=datetime.date(2024, 6, 3))
    make_disposal(world.section_a1, "番号なし複合機", device_kind="mfp", planned_on=datetime.date(2030, 4, 1))
    make_disposal(world.section_a2, "他部局のPC", disposed_on=datetime.date(2024, 6, 3))
    client = client_for(world.users["editor_a1"])
    response = client.get(reverse("disposals:storagedisposal_list") + "?export=xlsx")
    path = tmp_path / "exported.xlsx"
    path.write_bytes(response.content)
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3, "the header and the department's two disposals"
    plan = build_plan(DisposalsImporter(world.users["editor_a1"]), path)
    assert plan.errors == []
    assert sorted(p.action for p in plan.records) == [UNCHANGED, UNCHANGED]


def test_a_sheet_without_asset_numbers_adds_then_matches(world, tmp_path):
    path = sheet(tmp_path, [row(品名="番号なしPC")])
    importer = DisposalsImporter(world.users["editor_a1"])
    first = build_plan(importer, path)
    assert [p.action for p in first.records] == [NEW]
    apply_plan(importer, first)
    again = build_plan(DisposalsImporter(world.users["editor_a1"]), path)
    assert [p.action for p in again.records] == [UNCHANGED]
    assert StorageDisposal.objects.count() == 1


def test_a_viewer_may_not_import(client_for, world, tmp_path):
    content = write_csv(HEADER, [row()])
    response = client_for(world.users["viewer_a1"]).post(
        reverse("core:import_new", kwargs={"kind": "disposals"}),
        {"file": SimpleUploadedFile("disposals.csv", content)},
    )
    assert response.status_code == 403
    assert not StorageDisposal.objects.exists()


def test_overlong_text_and_huge_quantities_are_row_errors_not_a_failed_import(world, tmp_path):
    path = sheet(
        tmp_path,
        [
            row(品名="品" * 201),
            row(品名="長い資産番号", 資産番号="A" * 101),
            row(品名="長い業者名", 廃棄業者="業" * 201),
            row(品名="桁あふれの数量", 数量=10**20),
            row(品名="ちょうど", 資産番号="A" * 100, 廃棄業者="業" * 200),
        ],
    )
    importer = DisposalsImporter(world.users["editor_a1"])
    plan = build_plan(importer, path)
    assert [(e["row"], e["column"]) for e in plan.errors] == [
        (3, "品名"),
        (4, "資産番号"),
        (5, "廃棄業者"),
        (6, "数量"),
    ]
    assert plan.errors[0]["message"] == "200文字以内で入力してください（201文字あります）"
    assert plan.count(NEW) == 1
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert not StorageDisposal.objects.exists()
