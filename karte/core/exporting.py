"""Export writers (xlsx and CSV) that never let a spreadsheet evaluate exported text."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Leading characters that make Excel / LibreOffice treat a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CSV_BOM = "\ufeff"
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)


def safe_cell(v: object) -> object:
    """Return v, with an apostrophe prefixed if it is a string a spreadsheet would evaluate."""
    if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS):
        return "'" + v
    return v


def _xlsx_cell(ws: WriteOnlyWorksheet, v: object, font: Font | None = None) -> WriteOnlyCell:
    """Return a write-only cell for v: formula-safe text cells, dates with a date format."""
    if isinstance(v, str):
        # openpyxl raises on control characters Excel cannot store.
        cell = WriteOnlyCell(ws, value=safe_cell(ILLEGAL_CHARACTERS_RE.sub("", v)))
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(ws, value=v)
        if isinstance(v, datetime.datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(v, datetime.date):
            cell.number_format = DATE_FORMAT
    if font is not None:
        cell.font = font
    return cell


def write_xlsx(
    headers: list[str],
    rows: Iterable[Sequence],
    *,
    sheet_title: str = "data",
    title: str | None = None,
) -> bytes:
    """Return an xlsx file: optional title row, bold header row (frozen), then rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    # Frozen panes must be set before the first row is written.
    ws.freeze_panes = "A3" if title else "A2"
    if title:
        ws.append([_xlsx_cell(ws, title, TITLE_FONT)])
    ws.append([_xlsx_cell(ws, h, HEADER_FONT) for h in headers])
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_csv(headers: list[str], rows: Iterable[Sequence]) -> bytes:
    """Return UTF-8 CSV with a BOM (so Excel detects the encoding) and CRLF line endings."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8")
