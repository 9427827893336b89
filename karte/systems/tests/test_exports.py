"""The karte as documents: the workbook and the PDF, what they show, what they refuse, who gets which."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from karte.core.fiscal import fiscal_year_of, format_fiscal_year
from karte.systems import export_views, exports
from karte.systems.choices import ContractKind, Hosting, NetworkTier, ProcurementMethod, SystemStatus
from karte.systems.models import Contract, Cost, System
from karte.systems.services import find_or_create_vendor, save_contract

FY = 2025
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")


def make_system(unit, code: str, name: str, *, contracts: bool = True, **fields) -> System:
    """Return a system of `unit` maintained by one vendor since FY2013, with three years of costs."""
    fields = {
        "hosting": Hosting.DATA_CENTRE,
        "network_tier": NetworkTier.LGWAN,
        "next_renewal_fy": 2027,
        "status": SystemStatus.ACTIVE,
        "issues": "保守費が年々増加している。",
        "plan": "令和9年度にガバメントクラウドへ移行する。",
        **fields,
    }
    system = System.objects.create(unit=unit, code=code, name=name, **fields)
    if contracts:
        vendor = find_or_create_vendor(system.body_id, "株式会社大阪情報システム")
        other = find_or_create_vendor(system.body_id, "近畿データ株式会社")
        for kind, who, fy_from, fy_to, amount, method in (
            (ContractKind.DEVELOPMENT, other, 2012, 2012, 180_000, ProcurementMethod.OPEN_TENDER),
            (ContractKind.MAINTENANCE, vendor, 2013, 2019, 21_000, ProcurementMethod.SOLE_SOURCE),
            (ContractKind.MAINTENANCE, vendor, 2020, None, 24_500, ProcurementMethod.SOLE_SOURCE),
        ):
            save_contract(
                Contract(
                    system=system,
                    vendor=who,
                    kind=kind,
                    fy_from=fy_from,
                    fy_to=fy_to,
                    amount_thousand_yen=amount,
                    procurement_method=method,
                )
            )
        for fy, budget, settlement in ((2023, 24_000, 23_812), (2024, 24_500, 24_388), (2025, 25_000, None)):
            Cost.objects.create(
                system=system, fiscal_year=fy, budget_thousand_yen=budget, settlement_thousand_yen=settlement
            )
    return system


@pytest.fixture
def portfolio(world):
    """Two systems of department A1, one of department A2, one of body B."""
    return {
        "a1": make_system(world.section_a1, "S0001", "住民記録システム"),
        "a1_second": make_system(world.section_a1, "S0002", "福祉総合システム", contracts=False),
        "a2": make_system(world.section_a2, "S0101", "健康管理システム"),
        "b": make_system(world.section_b1, "S0001", "福祉システムSECRET-B"),
    }


def workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "karte.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any attempt to open a network connection; return the attempts."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def fetched(monkeypatch):
    """Record every URL the PDF renderer's fetcher is asked for (it still refuses them)."""
    urls: list[str] = []
    refuse = exports.RefusingURLFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(exports.RefusingURLFetcher, "fetch", spy)
    return urls


# --- workbook ---------------------------------------------------------------------------------


def test_workbook_has_a_summary_and_a_karte_sheet_per_system(world, portfolio):
    wb = workbook(exports.kartes_workbook(System.objects.filter(body=world.body_a), fiscal_year=FY))

    assert wb.sheetnames == ["一覧", "S0001", "S0002", "S0101"]
    summary = wb["一覧"]
    assert [c.value for c in summary[1]][:4] == ["システムID", "システム名", "所管部局", "所管課"]
    assert all(c.font.bold for c in summary[1])
    assert summary.column_dimensions["B"].width > 20
    first = [c.value for c in summary[2]]
    assert first[:7] == [
        "S0001",
        "住民記録システム",
        "福祉部",
        "地域福祉課",
        "データセンター",
        "LGWAN接続系",
        "株式会社大阪情報システム",
    ]
    # Maintained by the same vendor since FY2013: 12 completed years at FY2025; 2 of 3 contracts sole-source.
    assert first[7] == 12
    assert first[8] == pytest.approx(2 / 3)
    assert summary.cell(row=2, column=9).number_format == "0%"
    assert first[9:] == ["令和9年度", "稼働中"]
    # The system without contracts has no maintenance vendor or share rather than an error.
    assert [c.value for c in summary[3]][6:9] == [None, None, None]

    karte = wb["S0001"]
    words = texts(karte)
    assert karte["A1"].value == "システムカルテ　S0001　住民記録システム"
    assert karte["A1"].font.bold
    for expected in ("基本情報", "契約の推移", "年度別経費", "令和2年度〜（継続）", "令和5年度", "令和7年度"):
        assert expected in words
    assert "保守費が年々増加している。" in words
    assert "随意契約" in words
    assert 23_812 in [c.value for row in karte.iter_rows() for c in row]


def test_workbook_stores_text_that_looks_like_a_formula_as_text(world):
    make_system(world.section_a1, "=S1", '=HYPERLINK("http://x","y")', issues="+81-6-1234", contracts=False)
    make_system(world.section_a1, "S2", "\x01=1+1", contracts=False)

    wb = workbook(exports.kartes_workbook(System.objects.all(), fiscal_year=FY))

    summary = wb["一覧"]
    name = summary["B2"]
    assert name.value == '\'=HYPERLINK("http://x","y")'
    assert name.data_type == "s"
    assert summary["A2"].value == "'=S1"
    # A control character is dropped before the formula check, not after it.
    assert summary["B3"].value == "'=1+1"
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'+81-6-1234" in texts(wb["=S1"])


def test_workbook_sheet_names_are_valid_and_unique(world, portfolio):
    make_system(world.section_a1, "A/1:[x]", "名前に記号のあるシステム", contracts=False)

    wb = workbook(exports.kartes_workbook(System.objects.all(), fiscal_year=FY))

    # Body A and body B both have an S0001 (the superuser's export sees both).
    assert sorted(wb.sheetnames) == sorted(["一覧", "A_1__x_", "S0001", "S0001(2)", "S0002", "S0101"])


def test_workbook_of_more_systems_than_the_cap_holds_only_the_summary(world, portfolio, monkeypatch):
    monkeypatch.setattr(exports, "MAX_KARTES", 2)

    wb = workbook(exports.kartes_workbook(System.objects.filter(body=world.body_a), fiscal_year=FY))

    assert wb.sheetnames == ["一覧"]
    summary = wb["一覧"]
    assert [r[0] for r in summary.iter_rows(min_row=2, values_only=True)] == ["S0001", "S0002", "S0101"]
    assert summary["H2"].value == 12
    assert summary["J2"].value == "令和9年度"
    assert summary["A1"].font.bold


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_is_one_japanese_karte_per_page(world, portfolio, tmp_path, no_network):
    data = exports.kartes_pdf(System.objects.filter(unit=world.section_a1), fiscal_year=FY)

    assert data.startswith(b"%PDF")
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not checked")
    text = pdf_text(data, tmp_path)
    pages = text.rstrip("\f").split("\f")
    assert len(pages) == 2
    assert "住民記録システム" in pages[0]
    assert "福祉総合システム" in pages[1]
    assert "令和7年度時点" in pages[0]
    assert "令和2年度〜（継続）" in pages[0]
    assert "株式会社大阪情報システム" in pages[0]
    assert "24,388" in pages[0]
    assert re.search(r"1\s*/\s*2", pages[0])
    assert "出力日 令和" in pages[0]
    assert "SECRET-B" not in text


@needs_pdftotext
def test_pdf_shows_a_hostile_name_as_text_and_fetches_nothing(world, tmp_path, no_network, fetched):
    make_system(world.section_a1, "S0666", "<img src=http://x>", plan="<script>alert(1)</script>")

    data = exports.kartes_pdf(System.objects.all(), fiscal_year=FY)

    text = pdf_text(data, tmp_path)
    assert "<img src=http://x>" in text
    assert "<script>alert(1)</script>" in text
    assert fetched == []
    assert no_network == []


def test_pdf_renderer_refuses_every_url(no_network, fetched):
    html = (
        '<link rel="stylesheet" href="https://example.invalid/x.css">'
        '<img src="http://example.invalid/a.png"><p>本文</p>'
    )

    data = exports.render_pdf(html)

    assert data.startswith(b"%PDF")
    assert sorted(fetched) == ["http://example.invalid/a.png", "https://example.invalid/x.css"]
    assert no_network == []
    with pytest.raises(ValueError, match="disabled"):
        exports.RefusingURLFetcher()("http://example.invalid/")


def test_pdf_of_more_systems_than_the_cap_is_refused_in_japanese(world, portfolio, monkeypatch):
    monkeypatch.setattr(exports, "MAX_KARTES", 2)

    with pytest.raises(ValueError, match="2件まで") as raised:
        exports.kartes_pdf(System.objects.filter(body=world.body_a), fiscal_year=FY)
    assert "対象3件" in str(raised.value)


@pytest.mark.parametrize("render", [exports.kartes_workbook, exports.kartes_pdf])
def test_exporting_twenty_kartes_costs_a_bounded_number_of_queries(
    world, render, django_assert_max_num_queries
):
    for n in range(20):
        make_system(world.section_a1, f"S{n:04d}", f"システム{n}")

    with django_assert_max_num_queries(6):
        render(System.objects.all(), fiscal_year=FY)


# --- views ------------------------------------------------------------------------------------


def call(view_class, user, query: str = "", **kwargs):
    """Call an export view as `user` the way the URLconf will, without depending on it."""
    request = RequestFactory().get(f"/systems/export/?{query}")
    SessionMiddleware(lambda r: None).process_request(request)
    request._messages = FallbackStorage(request)
    request.user = user
    return view_class.as_view()(request, **kwargs), request


def test_karte_of_another_departments_system_is_not_found(world, portfolio):
    for view in (export_views.SystemKarteXlsxView, export_views.SystemKartePdfView):
        with pytest.raises(Http404):
            call(view, world.users["editor_a2"], pk=portfolio["a1"].pk)
        with pytest.raises(Http404):
            call(view, world.users["office_a"], pk=portfolio["b"].pk)


def test_karte_download_is_an_attachment_named_by_the_system_code(world, portfolio):
    response, _request = call(
        export_views.SystemKarteXlsxView, world.users["editor_a1"], pk=portfolio["a1"].pk
    )

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_MIME
    assert response["Content-Disposition"] == (
        "attachment; filename=\"karte-S0001.xlsx\"; filename*=UTF-8''karte-S0001.xlsx"
    )
    assert workbook(response.content).sheetnames == ["一覧", "S0001"]

    response, _request = call(
        export_views.SystemKartePdfView, world.users["viewer_a1"], pk=portfolio["a1"].pk
    )
    assert response.content.startswith(b"%PDF")
    assert 'filename="karte-S0001.pdf"' in response["Content-Disposition"]


def test_a_code_that_is_not_ascii_keeps_its_name_in_filename_star(world):
    system = make_system(world.section_a1, "住記01", "住民記録システム", contracts=False)

    response, _request = call(export_views.SystemKarteXlsxView, world.users["office_a"], pk=system.pk)

    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="karte-_01.xlsx"; ')
    assert "filename*=UTF-8''karte-%E4%BD%8F%E8%A8%9801.xlsx" in disposition


def test_all_kartes_of_an_editor_are_their_departments_systems(world, portfolio):
    response, _request = call(export_views.AllKartesXlsxView, world.users["editor_a1"])

    wb = workbook(response.content)
    assert wb.sheetnames == ["一覧", "S0001", "S0002"]
    assert "健康管理システム" not in texts(wb["一覧"])
    assert "kartes.xlsx" in response["Content-Disposition"]

    response, _request = call(export_views.AllKartesXlsxView, world.users["auditor_a"])
    assert workbook(response.content).sheetnames == ["一覧", "S0001", "S0002", "S0101"]


@needs_pdftotext
def test_all_kartes_pdf_of_an_editor_holds_only_their_department(world, portfolio, tmp_path):
    response, _request = call(export_views.AllKartesPdfView, world.users["editor_a2"])

    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "健康管理システム" in text
    assert "住民記録システム" not in text
    assert "SECRET-B" not in text


def test_all_kartes_follow_the_lists_filters(world, portfolio):
    pytest.importorskip("karte.systems.filters", reason="the system list has no filters yet")

    response, _request = call(export_views.AllKartesXlsxView, world.users["office_a"], query="q=健康")

    assert workbook(response.content).sheetnames == ["一覧", "S0101"]


def test_fiscal_year_comes_from_the_query_string(world, portfolio):
    editor, pk = world.users["editor_a1"], portfolio["a1"].pk

    response, _request = call(export_views.SystemKarteXlsxView, editor, query="fy=令和2年度", pk=pk)

    wb = workbook(response.content)
    # The current maintenance contract began in FY2020 but joins the run begun in FY2013.
    assert wb["一覧"]["H2"].value == 7
    assert wb["S0001"]["A2"].value.startswith("令和2年度時点")

    response, _request = call(export_views.SystemKarteXlsxView, editor, query="fy=nonsense", pk=pk)

    this_year = format_fiscal_year(fiscal_year_of(timezone.localdate()), "ja")
    assert workbook(response.content)["S0001"]["A2"].value.startswith(f"{this_year}時点")


def test_someone_without_a_role_may_not_export(world, portfolio):
    for view, kwargs in (
        (export_views.AllKartesXlsxView, {}),
        (export_views.AllKartesPdfView, {}),
        (export_views.SystemKarteXlsxView, {"pk": portfolio["a1"].pk}),
    ):
        with pytest.raises(PermissionDenied):
            call(view, world.users["no_role"], **kwargs)


def test_too_many_kartes_for_a_pdf_sends_the_user_back_with_a_message(world, portfolio, monkeypatch):
    monkeypatch.setattr(exports, "MAX_KARTES", 2)

    response, request = call(export_views.AllKartesPdfView, world.users["office_a"], query="q=システム")

    try:
        list_url = reverse("systems:system_list")
    except NoReverseMatch:
        assert response.status_code == 400
        assert "2件まで" in response.content.decode()
        return
    assert response.status_code == 302
    assert response["Location"].startswith(f"{list_url}?q=")
    assert [str(m) for m in get_messages(request)][0].startswith("PDFに出力できるのは2件まで")


def test_all_kartes_export_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for n in range(20):
        make_system(world.section_a1, f"S{n:04d}", f"システム{n}")

    with django_assert_max_num_queries(9):
        response, _request = call(export_views.AllKartesXlsxView, world.users["editor_a1"])
    assert len(workbook(response.content).sheetnames) == 21


def test_export_urls_download_through_the_urlconf(world, portfolio, client_for):
    one = reverse("systems:system_karte_pdf", kwargs={"pk": portfolio["a1"].pk})
    every = reverse("systems:kartes_xlsx")

    client = client_for(world.users["editor_a2"])
    assert client.get(one).status_code == 404
    assert client.post(every).status_code == 405
    response = client.get(every)
    assert response.status_code == 200
    assert workbook(response.content).sheetnames == ["一覧", "S0101"]

    response = client_for(world.users["editor_a1"]).get(one)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
