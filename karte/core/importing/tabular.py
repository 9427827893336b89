"""Reading an uploaded spreadsheet (xlsx / xls / CSV) into numbered rows."""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

# User-facing messages, kept together so they can be localised later.
MSG_UNREADABLE = "ファイルを読み取れません。Excel（.xlsx）または CSV 形式のファイルを選んでください。"
MSG_TOO_LARGE = "ファイルが大きすぎます（上限 {limit}）。"
MSG_EMPTY = "ファイルが空です。"
MSG_NOT_WORKBOOK = (
    "Excel ブック（.xlsx）ではない ZIP ファイルです。"
    "Excel（.xlsx）または CSV 形式のファイルを選んでください。"
)
MSG_CORRUPT_XLSX = (
    "Excel ファイルが壊れているか、途中までしか保存されていません。Excel で開き直して保存し直してください。"
)
MSG_CORRUPT_XLS = (
    "Excel ファイルを読み取れません。ファイルが壊れているか、パスワードで保護されている可能性があります。"
)
MSG_TOO_LARGE_UNCOMPRESSED = "Excel ファイルの中身が大きすぎます（展開後 {size}、上限 {limit}）。"
MSG_FAKE_EXCEL = (
    "拡張子は Excel ですが、中身が Excel 形式ではありません。"
    "Excel で開き、「名前を付けて保存」で「Excel ブック（.xlsx）」を選んで保存し直してください。"
)
MSG_ENCODING = "文字コードを判別できません（UTF-8 または Shift_JIS(CP932) で保存してください）"
MSG_CSV_FORMAT = "CSV の形式が正しくありません（{row} 行目）。"
MSG_SHEET_NOT_FOUND = "シート「{name}」が見つかりません（このファイルのシート: {sheets}）。"
MSG_MISSING_COLUMNS = "必須の列が見つかりません: {columns}"
MSG_MISSING_COLUMNS_NEAR = "必須の列が見つかりません: {columns}（見出し行と思われる {row} 行目）"

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb")
WORKBOOK_PARTS = ("xl/workbook.xml", "xl/workbook.bin")
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
UNCOMPRESSED_RATIO = 20
CSV_ENCODINGS = ("utf-8-sig", "cp932")
CSV_DELIMITERS = (",", "\t", ";")
CHUNK_BYTES = 1024 * 1024
# Text files have almost no C0 control bytes; binary files have plenty.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_CONTROL_RATIO = 0.01
SNIFF_LINES = 20
HEADER_NOISE = re.compile(r"[\s※*]+")

Row = tuple[int, list]


class TableError(Exception):
    """An uploaded file cannot be read as a table; str() is a message for the user."""


def read_table(
    path: str | Path,
    *,
    filename: str | None = None,
    max_bytes: int,
    sheet: str | None = None,
) -> Iterator[Row]:
    """Return an iterator of (sheet row number from 1, cell values) for the first or named sheet.

    The file is checked eagerly, so most TableErrors are raised by this call rather than
    while iterating. Empty cells are None and trailing empty cells are dropped; blank rows
    are yielded as empty lists so row numbers match the sheet.
    """
    path = Path(path)
    size = os.stat(path).st_size
    if size > max_bytes:
        raise TableError(MSG_TOO_LARGE.format(limit=_format_bytes(max_bytes)))
    if size == 0:
        raise TableError(MSG_EMPTY)
    with open(path, "rb") as f:
        head = f.read(len(OLE_MAGIC))
    if head.startswith(ZIP_MAGIC):
        _check_xlsx_zip(path, max_bytes)
        return _read_workbook(path, sheet, MSG_CORRUPT_XLSX)
    if head.startswith(OLE_MAGIC):
        return _read_workbook(path, sheet, MSG_CORRUPT_XLS)
    if filename and filename.lower().endswith(EXCEL_SUFFIXES):
        # Some systems export HTML or XML as ".xls"; reading those as CSV gives nonsense.
        raise TableError(MSG_FAKE_EXCEL)
    return _read_csv(path)


def _format_bytes(n: int) -> str:
    """Return n bytes as a short Japanese-friendly size such as '10 MB' or '500 KB'."""
    mb = n / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    return f"{max(n / 1024, 1):.0f} KB"


def _check_xlsx_zip(path: Path, max_bytes: int) -> None:
    """Raise TableError unless path is an intact Excel ZIP of a sane uncompressed size."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise TableError(MSG_CORRUPT_XLSX) from e
    names = {info.filename for info in infos}
    if not any(part in names for part in WORKBOOK_PARTS):
        raise TableError(MSG_NOT_WORKBOOK)
    limit = min(UNCOMPRESSED_RATIO * max_bytes, MAX_UNCOMPRESSED_BYTES)
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise TableError(
            MSG_TOO_LARGE_UNCOMPRESSED.format(size=_format_bytes(total), limit=_format_bytes(limit))
        )


def _read_workbook(path: Path, sheet: str | None, corrupt_message: str) -> Iterator[Row]:
    """Return the rows of one sheet of an Excel workbook read with calamine."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if sheet is None:
            data = workbook.get_sheet_by_index(0)
        elif sheet in workbook.sheet_names:
            data = workbook.get_sheet_by_name(sheet)
        else:
            raise TableError(MSG_SHEET_NOT_FOUND.format(name=sheet, sheets="、".join(workbook.sheet_names)))
        # iter_rows() starts at sheet row 1 but at the first used column.
        first_col = data.start[1] if data.start else 0
        rows = data.iter_rows()
    except CalamineError as e:
        raise TableError(corrupt_message) from e
    return _number_rows(([""] * first_col + row for row in rows), _cell)


def _cell(value: object) -> object:
    """Return a calamine cell value with '' as None and whole floats as int."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number_rows(rows: Iterable[list], convert: Callable[[object], object]) -> Iterator[Row]:
    """Yield (row number from 1, converted cells without trailing empties)."""
    for number, row in enumerate(rows, start=1):
        cells = [convert(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        yield number, cells


def _read_csv(path: Path) -> Iterator[Row]:
    """Return the rows of a CSV file in UTF-8 (with or without BOM) or CP932."""
    with open(path, "rb") as f:
        head = f.read(CHUNK_BYTES)
    if head.startswith(UTF16_BOMS):
        raise TableError(MSG_ENCODING)
    if b"\x00" in head or len(CONTROL_BYTES.findall(head)) > MAX_CONTROL_RATIO * len(head):
        raise TableError(MSG_UNREADABLE)
    encoding = next((enc for enc in CSV_ENCODINGS if _decodes(path, enc)), None)
    if encoding is None:
        raise TableError(MSG_ENCODING)
    return _iter_csv(path, encoding)


def _decodes(path: Path, encoding: str) -> bool:
    """Return whether the whole file decodes with encoding."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _iter_csv(path: Path, encoding: str) -> Iterator[Row]:
    """Yield numbered CSV rows, streaming the file."""
    with open(path, encoding=encoding, newline="") as f:
        sample = list(itertools.islice(f, SNIFF_LINES))
        reader = csv.reader(itertools.chain(sample, f), delimiter=_sniff_delimiter(sample))
        try:
            yield from _number_rows(reader, lambda v: v or None)
        except csv.Error as e:
            raise TableError(MSG_CSV_FORMAT.format(row=reader.line_num)) from e


def _sniff_delimiter(lines: list[str]) -> str:
    """Return the most frequent of comma, tab and semicolon in the sample (comma on ties)."""
    text = "".join(lines)
    return max(CSV_DELIMITERS, key=text.count)


def normalize_header(text: object) -> str:
    """Return header text in comparable form: NFKC, no whitespace, no ※ or *, lowercase."""
    if text is None:
        return ""
    return HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def find_header(
    rows_iter: Iterable[Row],
    aliases: dict[str, list[str]],
    required: list[str],
    scan_rows: int = 30,
) -> tuple[int, dict[str, int], Iterator[Row]]:
    """Return (header row number, {column key: cell index}, iterator of the rows after it).

    The header is the row among the first scan_rows with the most cells matching a
    column's aliases that has every required column; rows above it are skipped.
    """
    lookup: dict[str, str] = {}
    for key, names in aliases.items():
        for name in names:
            lookup.setdefault(normalize_header(name), key)
    lookup.pop("", None)

    rows = iter(rows_iter)
    scanned = list(itertools.islice(rows, scan_rows))
    matches = []  # (position in scanned, row number, {column key: cell index})
    for position, (number, cells) in enumerate(scanned):
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = lookup.get(normalize_header(cell))
            if key is not None:
                columns.setdefault(key, index)
        if columns:
            matches.append((position, number, columns))

    def width(match: tuple[int, int, dict[str, int]]) -> int:
        return len(match[2])

    complete = [m for m in matches if all(key in m[2] for key in required)]
    if not complete:
        candidate = max(matches, key=width, default=None)
        found = candidate[2] if candidate else {}
        missing = "、".join(aliases[key][0] for key in required if key not in found)
        if candidate is None:
            raise TableError(MSG_MISSING_COLUMNS.format(columns=missing))
        raise TableError(MSG_MISSING_COLUMNS_NEAR.format(columns=missing, row=candidate[1]))
    position, number, columns = max(complete, key=width)
    return number, columns, itertools.chain(scanned[position + 1 :], rows)
