"""The system karte as documents: an xlsx workbook and a PDF, for one system or many.

Both take a queryset the caller has already scoped (``restrict``) and filtered, and are laid out in
Japanese whatever language the screen is in, like the paper kartes they replace. Text a user typed
never becomes a spreadsheet formula (core's ``safe_cell``) or markup (the PDF template autoescapes),
and the PDF renderer never reaches the network.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from karte.core.exporting import HEADER_FONT, TITLE_FONT, safe_cell
from karte.core.fiscal import format_era_date, format_fiscal_year
from karte.systems.choices import (
    SHEET_NAMES,
    ContractKind,
    Hosting,
    NetworkTier,
    Optimisation,
    ProcurementMethod,
    StandardBusiness,
    SystemStatus,
)
from karte.systems.models import Contract, Cost, System
from karte.systems.selectors import LockIn, lock_in_at, sole_source_shares

logger = logging.getLogger(__name__)

# Beyond this many systems a workbook holds only the summary, and a PDF is refused: a few hundred
# pages is what anyone prints, and WeasyPrint takes some 60 ms a page (300 pages: about 20 s).
MAX_KARTES = 300
SUMMARY_SHEET = "一覧"
DOCUMENT_TITLE = "システムカルテ"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"
# Dates and labels in the documents are Japanese, whatever the screen's language.
LANG = "ja"

THOUSANDS = "#,##0"
PERCENT = "0%"
# (header, column width) of the summary sheet; the widths count a Japanese character as two.
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("システムID", 12),
    ("システム名", 36),
    ("所管部局", 18),
    ("所管課", 20),
    ("設置場所", 20),
    ("ネットワーク区分", 20),
    ("保守事業者", 28),
    ("同一事業者による保守年数", 12),
    ("随意契約の割合", 10),
    ("次期更新年度", 13),
    ("状態", 11),
)
CONTRACT_HEADERS = ("契約種別", "事業者", "契約期間", "金額（千円）", "調達方法")
COST_HEADERS = ("年度", "予算額（千円）", "決算額（千円）")
# A system sheet is five columns wide: profile labels in A, values across B:E.
KARTE_COLUMN_WIDTHS = (22, 30, 24, 16, 18)

SECTION_FONT = Font(bold=True, size=12, color="1F3A5F")
NOTE_FONT = Font(size=9, color="666666")
LINK_FONT = Font(color="1F5FAF", underline="single")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")


class TooManyKartes(ValueError):
    """More systems than one PDF may hold; str() is a Japanese message for the user."""


# --- what a karte shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRow:
    kind: str
    vendor: str
    period: str
    amount_thousand_yen: int | None
    procurement_method: str


@dataclass(frozen=True)
class CostRow:
    fiscal_year: str
    budget_thousand_yen: int | None
    settlement_thousand_yen: int | None


@dataclass
class Karte:
    """One system's karte, every value already in the words and numbers the documents show."""

    code: str
    name: str
    summary: list  # the row of the 一覧 sheet, in SUMMARY_COLUMNS order
    profile: list[tuple[str, str]] = field(default_factory=list)
    purpose: str = ""
    contracts: list[ContractRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)
    issues: str = ""
    plan: str = ""

    def profile_pairs(self) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """Return the profile two items to a row, as the PDF lays it out (label | value | label | value)."""
        items = [*self.profile, *([("", "")] if len(self.profile) % 2 else [])]
        return list(zip(items[::2], items[1::2], strict=True))


def _word(enum, value: str) -> str:
    """Return the Japanese sheet word of a choice, '' for blank."""
    return SHEET_NAMES[enum].get(value, value) if value else ""


def _yes_no(value: bool) -> str:
    return "あり" if value else "なし"


def _fy(fy: int | None) -> str:
    return format_fiscal_year(fy, LANG)


def _period(fy_from: int, fy_to: int | None) -> str:
    if fy_to is None:
        return f"{_fy(fy_from)}〜（継続）"
    if fy_to == fy_from:
        return _fy(fy_from)
    return f"{_fy(fy_from)}〜{_fy(fy_to)}"


def _share_text(share: tuple[int, int] | None) -> str:
    if not share or not share[1]:
        return ""
    sole, total = share
    return f"{sole}件／{total}件（{round(100 * sole / total)}%）"


def _department_name(system: System) -> str:
    return system.unit.department.name if system.unit.department_id else ""


def _summary_row(system: System, lock_in: LockIn | None, share: tuple[int, int] | None) -> list:
    return [
        system.code,
        system.name,
        _department_name(system),
        system.unit.name,
        _word(Hosting, system.hosting),
        _word(NetworkTier, system.network_tier),
        lock_in.vendor_name if lock_in else "",
        lock_in.years if lock_in else None,
        share[0] / share[1] if share and share[1] else None,
        _fy(system.next_renewal_fy),
        _word(SystemStatus, system.status),
    ]


def _karte(system: System, fiscal_year: int, lock_in: LockIn | None, share: tuple[int, int] | None) -> Karte:
    profile = [
        ("システムID", system.code),
        ("システム名", system.name),
        ("所管部局", _department_name(system)),
        ("所管課", system.unit.name),
        ("利用者", system.users),
        ("稼働開始年度", _fy(system.go_live_fy)),
        ("状態", _word(SystemStatus, system.status)),
        ("次期更新年度", _fy(system.next_renewal_fy)),
        ("設置場所", _word(Hosting, system.hosting)),
        ("ネットワーク区分", _word(NetworkTier, system.network_tier)),
        ("インターネット公開", _yes_no(system.internet_facing)),
        ("個人情報の取扱い", _yes_no(system.handles_personal_data)),
        ("個人番号の利用", _yes_no(system.handles_my_number)),
        ("標準化対象業務", _word(StandardBusiness, system.standard_business) or "対象外"),
        ("最適化の方向性", _word(Optimisation, system.optimisation)),
        ("移行先", system.migration_destination),
        ("ワーキンググループ", system.working_group.name if system.working_group else ""),
        (f"保守事業者（{_fy(fiscal_year)}）", lock_in.vendor_name if lock_in else ""),
        ("同一事業者による保守年数", f"{lock_in.years}年" if lock_in else ""),
        ("随意契約の割合", _share_text(share)),
    ]
    return Karte(
        code=system.code,
        name=system.name,
        summary=_summary_row(system, lock_in, share),
        profile=profile,
        purpose=system.purpose,
        contracts=[
            ContractRow(
                kind=_word(ContractKind, c.kind),
                vendor=c.vendor.name,
                period=_period(c.fy_from, c.fy_to),
                amount_thousand_yen=c.amount_thousand_yen,
                procurement_method=_word(ProcurementMethod, c.procurement_method),
            )
            for c in system.contracts.all()
        ],
        costs=[
            CostRow(_fy(c.fiscal_year), c.budget_thousand_yen, c.settlement_thousand_yen)
            for c in system.costs.all()
        ],
        issues=system.issues,
        plan=system.plan,
    )


def kartes(systems, *, fiscal_year: int) -> list[Karte]:
    """Return the kartes of `systems` at `fiscal_year`, in five queries however many systems there are."""
    systems = systems.select_related("unit", "unit__department", "working_group").prefetch_related(
        Prefetch("contracts", Contract.objects.select_related("vendor").order_by("fy_from", "kind", "pk")),
        Prefetch("costs", Cost.objects.order_by("fiscal_year")),
    )
    systems = list(systems)
    ids = [s.pk for s in systems]
    lock_ins = lock_in_at(System.objects.filter(pk__in=ids), fiscal_year)
    shares = sole_source_shares(ids)
    return [_karte(s, fiscal_year, lock_ins.get(s.pk), shares.get(s.pk)) for s in systems]


def _summary_rows(systems, fiscal_year: int) -> Iterator[list]:
    """Yield the 一覧 rows of any number of systems, streaming them rather than holding them."""
    lock_ins = lock_in_at(systems, fiscal_year)
    shares = sole_source_shares(systems.values("pk"))
    rows = systems.select_related("unit", "unit__department").iterator(chunk_size=2000)
    for system in rows:
        yield _summary_row(system, lock_ins.get(system.pk), shares.get(system.pk))


# --- xlsx -------------------------------------------------------------------------------------

# Cell styles as workbook named styles: assigning one is a lookup, where building fonts and borders
# cell by cell costs seconds over 300 sheets.
LABEL, TEXT, INTEGER, AMOUNT, SHARE = "カルテ項目", "カルテ値", "カルテ整数", "カルテ金額", "カルテ割合"
SUMMARY_STYLES = (TEXT,) * 7 + (INTEGER, SHARE, TEXT, TEXT)


def _add_named_styles(wb: Workbook) -> None:
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(vertical="top", wrap_text=True)
    wb.add_named_style(
        NamedStyle(
            LABEL,
            font=HEADER_FONT,
            fill=PatternFill("solid", fgColor="EEF1F5"),
            border=box,
            alignment=top,
        )
    )
    wb.add_named_style(NamedStyle(TEXT, border=box, alignment=top))
    wb.add_named_style(NamedStyle(INTEGER, border=box, alignment=top, number_format="0"))
    wb.add_named_style(NamedStyle(AMOUNT, border=box, alignment=top, number_format=THOUSANDS))
    wb.add_named_style(NamedStyle(SHARE, border=box, alignment=top, number_format=PERCENT))


def _text(value: object) -> object:
    """Return a cell value: text without the control characters Excel cannot store, formula-safe."""
    if isinstance(value, str):
        # Strip first: "\x01=1+1" must not become a formula once the control character is gone.
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _put(ws, row: int, column: int, value: object, style: str = TEXT):
    cell = ws.cell(row=row, column=column, value=_text(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    cell.style = style
    return cell


def _sheet_title(code: str, used: set[str]) -> str:
    """Return a valid, unused sheet name for a system code (Excel: 31 characters, no []:*?/\\')."""
    base = _SHEET_TITLE_FORBIDDEN.sub("_", code).strip() or "system"
    title, n = base[:31], 1
    while title.casefold() in used:
        n += 1
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
    used.add(title.casefold())
    return title


def _set_widths(ws, widths: Iterable[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _write_summary(ws, rows: Iterable[list], links: list[str]) -> None:
    """Fill the 一覧 sheet of a normal workbook; `links` are the system sheets' titles, row by row."""
    _set_widths(ws, (w for _h, w in SUMMARY_COLUMNS))
    for col, (header, _w) in enumerate(SUMMARY_COLUMNS, start=1):
        _put(ws, 1, col, header, LABEL)
    for r, values in enumerate(rows, start=2):
        for col, (value, style) in enumerate(zip(values, SUMMARY_STYLES, strict=True), start=1):
            _put(ws, r, col, value, style)
        cell = ws.cell(row=r, column=1)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{links[r - 2]}'!A1")
        cell.font = LINK_FONT
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(SUMMARY_COLUMNS))}{ws.max_row}"


def _write_karte_sheet(ws, karte: Karte, fiscal_year: int, printed_on: str) -> None:
    """Lay one karte out on a sheet the way the paper form reads: title, profile, tables, text."""
    last = len(KARTE_COLUMN_WIDTHS)
    _set_widths(ws, KARTE_COLUMN_WIDTHS)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    title = ws.cell(row=1, column=1, value=_text(f"{DOCUMENT_TITLE}　{karte.code}　{karte.name}"))
    title.data_type = "s"
    title.font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    note = ws.cell(row=2, column=1, value=f"{_fy(fiscal_year)}時点　出力日 {printed_on}")
    note.font = NOTE_FONT
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    row = 4

    def section(label: str) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=label).font = SECTION_FONT
        row += 1

    def wide(label: str, value: str) -> None:
        """A label | value row with the value across the remaining columns."""
        nonlocal row
        _put(ws, row, 1, label, LABEL)
        # Merge before styling: merging a bordered cell redraws borders, slowly, cell by cell.
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
        _put(ws, row, 2, value)
        for col in range(3, last + 1):
            ws.cell(row=row, column=col).style = TEXT
        # Merged cells do not grow with their text: give long text room, about 60 characters a line.
        lines = sum(max(1, -(-len(part) // 60)) for part in (value or "").splitlines() or [""])
        if lines > 1:
            ws.row_dimensions[row].height = 15 * min(lines, 25)
        row += 1

    def table(headers: Iterable[str], rows: list[tuple], styles: tuple[str, ...]) -> None:
        nonlocal row
        for col, header in enumerate(headers, start=1):
            _put(ws, row, col, header, LABEL)
        row += 1
        if not rows:
            _put(ws, row, 1, "（登録なし）")
            row += 1
        for values in rows:
            for col, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
                _put(ws, row, col, value, style)
            row += 1
        row += 1

    section("基本情報")
    for label, value in karte.profile:
        wide(label, value)
    wide("目的・概要", karte.purpose)
    row += 1

    section("契約の推移")
    table(
        CONTRACT_HEADERS,
        [(c.kind, c.vendor, c.period, c.amount_thousand_yen, c.procurement_method) for c in karte.contracts],
        (TEXT, TEXT, TEXT, AMOUNT, TEXT),
    )

    section("年度別経費")
    table(
        COST_HEADERS,
        [(c.fiscal_year, c.budget_thousand_yen, c.settlement_thousand_yen) for c in karte.costs],
        (TEXT, AMOUNT, AMOUNT),
    )

    section("課題と計画")
    wide("課題", karte.issues)
    wide("更新計画", karte.plan)


def _summary_only_workbook(systems, fiscal_year: int) -> bytes:
    """Return a workbook of the 一覧 sheet alone, written row by row so memory stays flat."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SUMMARY_SHEET)
    # A write-only sheet takes widths and frozen panes before its first row.
    _set_widths(ws, (w for _h, w in SUMMARY_COLUMNS))
    ws.freeze_panes = "C2"
    formats = {INTEGER: "0", SHARE: PERCENT}

    def cell(value: object, style: str) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=_text(value))
        if isinstance(c.value, str):
            c.data_type = "s"
        if style == LABEL:
            c.font = HEADER_FONT
        elif style in formats:
            c.number_format = formats[style]
        return c

    ws.append([cell(header, LABEL) for header, _w in SUMMARY_COLUMNS])
    for values in _summary_rows(systems, fiscal_year):
        ws.append([cell(v, style) for v, style in zip(values, SUMMARY_STYLES, strict=True)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def kartes_workbook(systems, *, fiscal_year: int) -> bytes:
    """Return an xlsx of `systems` at `fiscal_year`: the 一覧 sheet, then one sheet per system.

    With more than MAX_KARTES systems the workbook holds only the 一覧 sheet.
    """
    if systems.count() > MAX_KARTES:
        return _summary_only_workbook(systems, fiscal_year)
    items = kartes(systems, fiscal_year=fiscal_year)
    printed_on = format_era_date(timezone.localdate(), LANG)
    wb = Workbook()
    _add_named_styles(wb)
    summary = wb.active
    summary.title = SUMMARY_SHEET
    used = {SUMMARY_SHEET.casefold()}
    titles = [_sheet_title(k.code, used) for k in items]
    _write_summary(summary, (k.summary for k in items), titles)
    for karte, title in zip(items, titles, strict=True):
        _write_karte_sheet(wb.create_sheet(title), karte, fiscal_year, printed_on)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------


class RefusingURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing: the karte needs no images or stylesheets, and a
    document built from what users typed must not make the server reach out to any address."""

    def fetch(self, url, headers=None):
        logger.warning("PDF rendering refused to fetch %s", url[:200])
        raise ValueError(f"fetching is disabled: {url[:200]}")


def render_pdf(html: str) -> bytes:
    """Return the PDF of `html`, with every URL it refers to refused."""
    return HTML(string=html, url_fetcher=RefusingURLFetcher()).write_pdf()


def kartes_pdf(systems, *, fiscal_year: int) -> bytes:
    """Return a PDF of `systems` at `fiscal_year`, one A4 karte per page.

    Raises TooManyKartes (a ValueError) with a Japanese message beyond MAX_KARTES systems.
    """
    count = systems.count()
    if count > MAX_KARTES:
        raise TooManyKartes(
            f"PDFに出力できるのは{MAX_KARTES}件までです（対象{count:,}件）。"
            "絞り込んでから出力するか、Excel形式で出力してください。"
        )
    html = render_to_string(
        "systems/pdf/karte.html",
        {
            "kartes": kartes(systems, fiscal_year=fiscal_year),
            "fiscal_year_label": _fy(fiscal_year),
            "printed_on": format_era_date(timezone.localdate(), LANG),
            "document_title": DOCUMENT_TITLE,
        },
    )
    return render_pdf(html)
