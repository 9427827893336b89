"""Importing sheets through the web pages: upload, preview, apply, and every way a file can be wrong."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from karte.core.choices import ImportJobStatus
from karte.core.importing import jobs, tabular
from karte.core.models import ImportJob, OrgUnit
from karte.core.tests.factories import make_user
from tests.ledger.models import Ledger

DEMO = Path(__file__).resolve().parents[2] / "demo" / "organisation.xlsx"
MB = 1024 * 1024
ORG_HEADER = "団体コード,団体名,部局コード,部局名,所属コード,所属名,有効開始日"
WORLD_A_ROWS = [
    "270008,大阪府,06,福祉部,06001,地域福祉課,",
    "270008,大阪府,07,健康医療部,07001,健康医療総務課,",
]


def upload(client, kind: str, name: str, content: bytes, **extra):
    url = reverse("core:import_new", kwargs={"kind": kind})
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, **extra)


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("core:import_job", kwargs={"pk": job.pk})
    return job


def text(response) -> str:
    return response.content.decode("utf-8")


def snapshot() -> tuple[int, int, int]:
    return OrgUnit.objects.count(), OrgUnit.history.count(), Ledger.objects.count()


# --- the demo sheet, from upload to apply ------------------------------------------------------------
def test_uploading_the_demo_sheet_previews_71_new_units_and_applying_creates_them(client, db):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)

    job = job_of(upload(client, "organisation", "organisation.xlsx", DEMO.read_bytes()))

    assert job.status == ImportJobStatus.PREVIEWED
    assert job.preview["header_row"] == 2
    assert job.preview["counts"] == {"new": 71, "changed": 0, "unchanged": 0, "errors": 0}
    assert OrgUnit.objects.count() == 0
    page = client.get(reverse("core:import_job", kwargs={"pk": job.pk}))
    assert page.status_code == 200
    assert page.context["counts"]["new"] == 71
    assert page.context["can_apply"] is True
    assert "政策企画部" in text(page)

    response = client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJobStatus.APPLIED
    assert OrgUnit.objects.count() == 71
    assert OrgUnit.objects.filter(kind="body").count() == 1
    assert OrgUnit.objects.filter(kind="department").count() == 16
    assert OrgUnit.objects.filter(kind="section").count() == 54
    section = OrgUnit.objects.get(code="06002")
    assert section.department.name == "福祉部"
    assert section.body.code == "270008"
    for unit in OrgUnit.objects.all():
        rows = list(unit.history.all())
        assert len(rows) >= 1, unit
        assert {row.history_user_id for row in rows} == {root.pk}, unit


@override_settings(KARTE_IMPORT_INLINE_MAX_BYTES=0)
def test_large_files_are_previewed_and_applied_by_the_worker_with_the_same_result(client, db):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)

    job = job_of(upload(client, "organisation", "organisation.xlsx", DEMO.read_bytes()))

    job.refresh_from_db()
    assert job.status == ImportJobStatus.PREVIEWED
    assert job.preview["counts"] == {"new": 71, "changed": 0, "unchanged": 0, "errors": 0}
    assert job.rows_total == 54
    assert OrgUnit.objects.count() == 0
    done = client.get(reverse("core:import_job", kwargs={"pk": job.pk}), HTTP_HX_REQUEST="true")
    assert done.status_code == 204
    assert done["HX-Refresh"] == "true"

    client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))

    job.refresh_from_db()
    assert job.status == ImportJobStatus.APPLIED
    assert OrgUnit.objects.count() == 71
    assert OrgUnit.objects.filter(kind="section").count() == 54


@override_settings(KARTE_IMPORT_INLINE_MAX_BYTES=0)
def test_units_applied_on_the_worker_name_the_uploader_in_their_history(client, db):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    job = job_of(upload(client, "organisation", "organisation.xlsx", DEMO.read_bytes()))
    job.refresh_from_db()

    # What the Huey consumer does: the apply runs outside any request.
    jobs.request_apply(job)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.APPLIED
    assert OrgUnit.objects.count() == 71
    without_user = sorted(
        OrgUnit.history.filter(history_user__isnull=True).values_list("code", flat=True).distinct()
    )
    assert without_user == []


def test_the_job_page_polled_by_htmx_returns_the_progress_while_running(client, world):
    client.force_login(world.users["office_a"])
    job = job_of(upload(client, "organisation", "org.csv", csv_bytes([ORG_HEADER, *WORLD_A_ROWS])))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.APPLYING, rows_done=50, rows_total=200)

    response = client.get(reverse("core:import_job", kwargs={"pk": job.pk}), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["core/import_progress.html"]
    assert 'value="25"' in text(response)
    assert "HX-Refresh" not in response


# --- files that cannot be read: a Japanese message, nothing changed ----------------------------------
def assert_refused(client, name: str, content: bytes, *messages: str):
    before = snapshot()
    response = upload(client, "organisation", name, content, follow=True)
    assert response.status_code in (200, 400)
    page = text(response)
    assert any(message in page for message in messages), page[-3000:]
    assert snapshot() == before
    job = ImportJob.objects.first()
    if job is not None:
        assert job.status == ImportJobStatus.FAILED
        assert client.post(reverse("core:import_apply", kwargs={"pk": job.pk})).status_code == 302
        assert snapshot() == before
    return response


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_a"])
    return client


def test_a_picture_named_xlsx_is_refused(office):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    assert_refused(office, "組織.xlsx", png, tabular.MSG_UNREADABLE, tabular.MSG_FAKE_EXCEL)


def test_a_truncated_workbook_is_refused(office):
    data = DEMO.read_bytes()
    assert_refused(office, "organisation.xlsx", data[: len(data) // 2], tabular.MSG_CORRUPT_XLSX)


def test_a_web_page_saved_as_xls_is_named_as_not_really_excel(office):
    html = "<html><body><table><tr><td>団体コード</td><td>所属名</td></tr></table></body></html>"
    assert_refused(office, "組織.xls", html.encode("utf-8"), tabular.MSG_FAKE_EXCEL)


def test_a_utf16_csv_is_refused_with_the_encoding_message(office):
    data = "\r\n".join([ORG_HEADER, *WORLD_A_ROWS]).encode("utf-16")
    assert_refused(office, "org.csv", data, tabular.MSG_ENCODING)


def test_a_csv_in_neither_utf8_nor_cp932_is_refused(office):
    data = csv_bytes([ORG_HEADER, *WORLD_A_ROWS]) + b"270008,\x81\x20\xff\xfe,06,x,06009,y,\r\n"
    assert_refused(office, "org.csv", data, tabular.MSG_ENCODING)


def test_a_csv_without_a_required_column_names_the_column(office):
    lines = ["団体コード,団体名,部局コード,部局名,所属名", "270008,大阪府,06,福祉部,地域福祉課"]
    response = assert_refused(office, "org.csv", csv_bytes(lines), "必須の列が見つかりません: 所属コード")
    assert "所属コード（見出し行と思われる 1 行目）" in text(response)


def too_large_messages(limit_mb: int) -> list[str]:
    with translation.override("ja"):
        form_message = gettext("The file is too large (limit %(limit)s MB).") % {"limit": limit_mb}
    return [form_message, jobs.TOO_LARGE.format(limit=limit_mb)]


@override_settings(KARTE_IMPORT_MAX_BYTES=1 * MB)
def test_a_file_over_the_configured_limit_is_refused(office):
    response = assert_refused(office, "big.csv", b"a" * (2 * MB), *too_large_messages(1))
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_a_50_mb_upload_is_refused_by_the_default_20_mb_limit(office):
    response = assert_refused(office, "huge.xlsx", b"\x00junk" * (10 * MB), *too_large_messages(20))
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


# --- encodings that work -------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_cp932_and_utf8_bom_csv_of_the_same_rows_import_the_same(office, world, encoding):
    lines = [ORG_HEADER, *WORLD_A_ROWS, "270008,大阪府,06,福祉部,06002,髙齢介護室①課,令和6年4月1日"]

    job = job_of(upload(office, "organisation", "組織.csv", csv_bytes(lines, encoding)))

    assert job.status == ImportJobStatus.PREVIEWED, job.message
    assert job.preview["counts"] == {"new": 1, "changed": 0, "unchanged": 5, "errors": 0}
    office.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    unit = OrgUnit.objects.get(body=world.body_a, code="06002")
    assert unit.name == "髙齢介護室①課"
    assert unit.department_id == world.dept_a1.pk
    assert unit.valid_from.isoformat() == "2024-04-01"
    assert unit.history.get().history_user == world.users["office_a"]


# --- row errors ----------------------------------------------------------------------------------------
ROWS_WITH_ERRORS = [
    ORG_HEADER,
    "270008,大阪府,06,福祉部,06001,地域福祉課改,",
    "270008,大阪府,06,福祉部,06002,,",
    "270008,大阪府,07,健康医療部,07002,環境衛生課,令和99年13月",
]


def test_row_errors_are_listed_with_row_and_column_and_apply_is_refused(office, world):
    before = snapshot()

    job = job_of(upload(office, "organisation", "org.csv", csv_bytes(ROWS_WITH_ERRORS)))

    assert job.status == ImportJobStatus.PREVIEWED
    assert job.preview["errors"] == [
        {"row": 3, "column": "所属名", "message": "必須の項目が空です"},
        {"row": 4, "column": "有効開始日", "message": "「令和99年13月」の月が正しくありません（1〜12）"},
    ]
    page = office.get(reverse("core:import_job", kwargs={"pk": job.pk}))
    body = text(page)
    assert "必須の項目が空です" in body
    assert "「令和99年13月」の月が正しくありません（1〜12）" in body
    assert page.context["can_apply"] is False

    response = office.post(reverse("core:import_apply", kwargs={"pk": job.pk}), follow=True)

    assert "エラーのない確認済みの取り込みだけを反映できます。" in text(response)
    assert snapshot() == before
    assert OrgUnit.objects.get(pk=world.section_a1.pk).name == "地域福祉課"
    job.refresh_from_db()
    assert job.status == ImportJobStatus.PREVIEWED


def test_the_error_list_download_has_the_sheet_rows(office):
    job = job_of(upload(office, "organisation", "org.csv", csv_bytes(ROWS_WITH_ERRORS)))

    response = office.get(reverse("core:import_errors", kwargs={"pk": job.pk}))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == [
        ["3", "所属名", "必須の項目が空です"],
        ["4", "有効開始日", "「令和99年13月」の月が正しくありません（1〜12）"],
    ]


# --- an editor imports only into their own department ----------------------------------------------------
def test_an_editor_cannot_import_a_ledger_row_of_another_department(client, world):
    client.force_login(world.users["editor_a1"])

    job = job_of(
        upload(client, "ledger", "ledger.csv", csv_bytes(["名称,所属コード,金額", "他部局の台帳,07001,100"]))
    )

    assert job.preview["errors"] == [
        {
            "row": 2,
            "column": "所属コード",
            "message": "所属「07001」は存在しないか、登録できる範囲の所属ではありません",
        }
    ]
    client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    assert Ledger.objects.count() == 0


def test_an_editor_imports_a_ledger_row_of_their_own_department(client, world):
    editor = world.users["editor_a1"]
    client.force_login(editor)

    job = job_of(
        upload(client, "ledger", "ledger.csv", csv_bytes(["名称,所属コード,金額", '福祉台帳,06001,"1,234"']))
    )

    assert job.preview["counts"]["errors"] == 0, job.preview["errors"]
    assert job.preview["counts"]["new"] == 1
    assert Ledger.objects.count() == 0
    client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    ledger = Ledger.objects.get()
    assert (ledger.name, ledger.unit_id, ledger.amount_yen) == ("福祉台帳", world.section_a1.pk, 1234)
    assert ledger.history.get().history_user == editor
