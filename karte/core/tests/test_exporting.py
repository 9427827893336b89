"""Export writers: formula-safe cells, xlsx layout and CSV that Excel and the importer both read."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from karte.core.exporting import safe_cell, write_csv, write_xlsx
from karte.core.importing.tabular import read_table

HEADERS = ["システム名", "式", "経費（千円）", "稼働開始日", "標準化対象"]
ROWS = [
    ["住民記録システム", "=1+1", 14106, datetime.date(2024, 4, 1), True],
    ['=HYPERLINK("http://x")', "+81-6", Decimal("1.5"), None, False],
    ["@SUM(A1)", "-2", -3, datetime.date(2025, 3, 31), None],
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (-1, -1),
        (1.5, 1.5),
        (None, None),
        (True, True),
        (datetime.date(2024, 4, 1), datetime.date(2024, 4, 1)),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_xlsx_text_is_never_a_formula_and_numbers_stay_numbers():
    ws = load(write_xlsx(HEADERS, ROWS, sheet_title="カルテ"))

    assert ws.title == "カルテ"
    assert [c.value for c in ws[1]] == HEADERS
    formula = ws["B2"]
    assert formula.value == "'=1+1"
    assert formula.data_type == "s"
    assert ws["A3"].value == '\'=HYPERLINK("http://x")'
    assert ws["B3"].value == "'+81-6"
    assert ws["A4"].value == "'@SUM(A1)"
    assert ws["C2"].value == 14106
    assert ws["C2"].data_type == "n"
    assert ws["C3"].value == 1.5
    assert ws["C4"].value == -3
    assert ws["E2"].value is True
    assert ws["D3"].value is None


def test_xlsx_dates_header_and_frozen_panes():
    ws = load(write_xlsx(HEADERS, ROWS))

    assert ws.title == "data"
    assert ws["D2"].is_date
    assert ws["D2"].value.date() == datetime.date(2024, 4, 1)
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert all(cell.font.bold for cell in ws[1])
    assert not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"


def test_xlsx_title_row_above_the_header():
    ws = load(write_xlsx(HEADERS, ROWS, title="=情報システム一覧"))

    assert ws["A1"].value == "'=情報システム一覧"
    assert [c.value for c in ws[2]] == HEADERS
    assert ws["B3"].value == "'=1+1"
    assert ws.freeze_panes == "A3"


def test_xlsx_drops_characters_excel_cannot_store():
    ws = load(write_xlsx(["a"], [["ok\x01\x1fok"]]))

    assert ws["A2"].value == "okok"


def test_csv_has_bom_crlf_and_safe_cells():
    data = write_csv(HEADERS, ROWS)

    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert text.splitlines()[1] == "住民記録システム,'=1+1,14106,2024-04-01,True"


def test_csv_round_trips_through_read_table(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(write_csv(HEADERS, ROWS))

    rows = list(read_table(path, filename="export.csv", max_bytes=1024 * 1024))

    assert rows == [
        (1, HEADERS),
        (2, ["住民記録システム", "'=1+1", "14106", "2024-04-01", "True"]),
        (3, ['\'=HYPERLINK("http://x")', "'+81-6", "1.5", None, "False"]),
        (4, ["'@SUM(A1)", "'-2", "-3", "2025-03-31"]),
    ]


def test_xlsx_round_trips_through_read_table(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(write_xlsx(HEADERS, ROWS, title="一覧"))

    rows = list(read_table(path, max_bytes=1024 * 1024))

    assert rows[1] == (2, HEADERS)
    assert rows[2] == (3, ["住民記録システム", "'=1+1", 14106, datetime.date(2024, 4, 1), True])


def many_rows(n: int):
    for i in range(n):
        yield [f"システム{i}", i, datetime.date(2024, 4, 1)]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_100k_rows_from_a_generator(writer, tmp_path):
    path = tmp_path / "big"
    path.write_bytes(writer(["名前", "番号", "日付"], many_rows(100_000)))

    rows = read_table(path, max_bytes=50 * 1024 * 1024)

    assert sum(1 for _ in rows) == 100_001


def test_a_formula_hidden_behind_a_control_character_is_still_made_safe():
    import io

    import openpyxl

    from karte.core.exporting import write_xlsx

    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(["名称"], [["\x01=1+1"]])))
    assert book.active.cell(row=2, column=1).value == "'=1+1"
