"""Reading uploaded sheets: formats, user-facing errors and header detection."""

import datetime
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from karte.core.importing import normalize
from karte.core.importing.tabular import TableError, find_header, normalize_header, read_table

MB = 1024 * 1024
DEMO = Path(__file__).resolve().parents[2] / "demo"

ALIASES = {
    "code": ["所属コード", "コード"],
    "name": ["所属名", "所属"],
    "count": ["年間処理件数", "件数"],
    "online": ["オンライン化", "オンライン対応"],
    "year": ["開始年度"],
    "cost": ["年間運用経費（千円）"],
}
REQUIRED = ["code", "name"]


def make_xlsx(path: Path, rows: list[list], *, title: str = "Sheet1", extra_sheets: tuple = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path


def survey_rows() -> list[list]:
    """Return a sheet shaped like the prefecture's: title, note, header, data, blank, ※ note."""
    return [
        ["行政手続調査（令和4年度）"],
        ["※件数は令和3年度の年間処理件数"],
        ["所属コード", "所属名", "年間処理件数", "オンライン化", "開始年度", "年間運用経費\n（千円）※"],
        ["01001", "企画室政策課", "1,234", "○", "平成24年度", 2015.0],
        ["01002", "秘書課", "１２３", "×", "R3", 1.5],
        ["01003", "広報課", "123件", "〇", "2015", None],
        [],
        ["※ 令和5年3月末時点"],
    ]


def read_all(path: Path, **kwargs) -> list[tuple[int, list]]:
    return list(read_table(path, max_bytes=kwargs.pop("max_bytes", MB), **kwargs))


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(TableError) as exc:
        read_all(path, **kwargs)
    return str(exc.value)


# --- xlsx -------------------------------------------------------------------------------------


def test_xlsx_header_is_found_below_title_and_note_rows(tmp_path):
    path = make_xlsx(tmp_path / "survey.xlsx", survey_rows())

    header_row, columns, rest = find_header(read_table(path, max_bytes=MB), ALIASES, REQUIRED)
    rest = list(rest)

    assert header_row == 3
    assert columns == {"code": 0, "name": 1, "count": 2, "online": 3, "year": 4, "cost": 5}
    assert [number for number, _ in rest] == [4, 5, 6, 7, 8]
    assert rest[0][1] == ["01001", "企画室政策課", "1,234", "○", "平成24年度", 2015]
    assert rest[3] == (7, [])
    assert rest[4] == (8, ["※ 令和5年3月末時点"])


def test_xlsx_cells_normalise_as_the_importers_need(tmp_path):
    path = make_xlsx(tmp_path / "survey.xlsx", survey_rows())
    _, columns, rest = find_header(read_table(path, max_bytes=MB), ALIASES, REQUIRED)
    data = [cells for _, cells in rest if cells and not str(cells[0]).startswith("※")]

    assert [normalize.to_code(c[columns["code"]]) for c in data] == ["01001", "01002", "01003"]
    assert [normalize.to_int(c[columns["count"]]) for c in data] == [1234, 123, 123]
    assert [normalize.to_bool(c[columns["online"]]) for c in data] == [True, False, True]
    assert [normalize.to_fiscal_year(c[columns["year"]]) for c in data] == [2012, 2021, 2015]


def test_xlsx_cell_types(tmp_path):
    path = make_xlsx(
        tmp_path / "types.xlsx",
        [["text", 2015.0, 1.5, True, datetime.date(2024, 4, 1), datetime.datetime(2024, 4, 1, 9, 30)]],
    )

    [(number, cells)] = read_all(path)

    assert number == 1
    assert cells == ["text", 2015, 1.5, True, datetime.date(2024, 4, 1), datetime.datetime(2024, 4, 1, 9, 30)]
    assert type(cells[1]) is int


def test_xlsx_row_numbers_and_columns_match_the_sheet_when_data_starts_late(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C4"] = "所属コード"
    ws["D4"] = "所属名"
    ws["C5"] = "01001"
    ws["D5"] = "秘書課"
    wb.save(tmp_path / "offset.xlsx")

    rows = read_all(tmp_path / "offset.xlsx")
    header_row, columns, rest = find_header(iter(rows), ALIASES, REQUIRED)

    assert rows[:3] == [(1, []), (2, []), (3, [])]
    assert header_row == 4
    assert columns == {"code": 2, "name": 3}
    assert list(rest) == [(5, [None, None, "01001", "秘書課"])]


def test_named_sheet_is_read(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["first"])
    wb.create_sheet("組織").append(["second"])
    wb.save(tmp_path / "two.xlsx")

    assert read_all(tmp_path / "two.xlsx", sheet="組織") == [(1, ["second"])]
    assert read_all(tmp_path / "two.xlsx") == [(1, ["first"])]


def test_missing_sheet_lists_the_sheets(tmp_path):
    path = make_xlsx(tmp_path / "s.xlsx", [["a"]], title="組織", extra_sheets=("備考",))

    message = error_of(path, sheet="所属")

    assert message == "シート「所属」が見つかりません（このファイルのシート: 組織、備考）。"


def test_xlsx_is_detected_by_content_not_extension(tmp_path):
    path = make_xlsx(tmp_path / "real.xlsx", [["a", 1]])
    renamed = tmp_path / "upload.csv"
    renamed.write_bytes(path.read_bytes())

    assert read_all(renamed, filename="upload.csv") == [(1, ["a", 1])]


def test_demo_organisation_sheet():
    aliases = {
        "body_code": ["団体コード"],
        "body_name": ["団体名"],
        "department_code": ["部局コード"],
        "department_name": ["部局名"],
        "section_code": ["所属コード"],
        "section_name": ["所属名"],
        "valid_from": ["有効開始日"],
    }

    header_row, columns, rest = find_header(
        read_table(DEMO / "organisation.xlsx", max_bytes=MB), aliases, list(aliases)
    )
    data = [cells for _, cells in rest if cells]

    assert header_row == 2
    assert list(columns.values()) == list(range(7))
    assert len(data) == 54
    assert data[0][:2] == ["270008", "大阪府"]


# --- CSV --------------------------------------------------------------------------------------

CSV_TEXT = '所属一覧\r\n所属コード,所属名,件数\r\n01001,企画室政策課,"1,234"\r\n01002,秘書課,\r\n'
CSV_ROWS = [
    (1, ["所属一覧"]),
    (2, ["所属コード", "所属名", "件数"]),
    (3, ["01001", "企画室政策課", "1,234"]),
    (4, ["01002", "秘書課"]),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "data.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))

    assert read_all(path, filename="data.csv") == CSV_ROWS


def test_csv_tab_delimited_and_quoted_newlines(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text('所属コード\t所属名\t件数\n01001\t"企画室\n政策課"\t1,234\n\n01002\t秘書課\t5\n', "utf-8")

    assert read_all(path) == [
        (1, ["所属コード", "所属名", "件数"]),
        (2, ["01001", "企画室\n政策課", "1,234"]),
        (3, []),
        (4, ["01002", "秘書課", "5"]),
    ]


def test_csv_header_detection(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(CSV_TEXT.encode("cp932"))

    header_row, columns, rest = find_header(read_table(path, max_bytes=MB), ALIASES, REQUIRED)

    assert (header_row, columns) == (2, {"code": 0, "name": 1, "count": 2})
    assert list(rest) == CSV_ROWS[2:]


def test_csv_in_another_encoding_is_rejected(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("코드,이름\r\n1,서울\r\n".encode("euc-kr"))

    assert error_of(path) == "文字コードを判別できません（UTF-8 または Shift_JIS(CP932) で保存してください）"


def test_utf16_text_is_rejected_as_encoding(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes("所属コード\t所属名\r\n".encode("utf-16"))

    assert "文字コードを判別できません" in error_of(path)


def test_csv_with_an_oversized_field_names_the_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\r\nc," + "x" * 200_000 + "\r\n", "utf-8")

    assert error_of(path) == "CSV の形式が正しくありません（2 行目）。"


# --- files that are not tables ----------------------------------------------------------------

UNREADABLE = "ファイルを読み取れません。Excel（.xlsx）または CSV 形式のファイルを選んでください。"


def test_png_is_rejected(tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)

    assert error_of(path) == UNREADABLE


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(random.Random(1).randbytes(4096))

    assert error_of(path) == UNREADABLE


def test_text_named_xls_is_rejected_with_advice(tmp_path):
    path = tmp_path / "upload"
    path.write_text("<html><table><tr><td>所属コード</td></tr></table></html>", "utf-8")

    message = error_of(path, filename="一覧.xls")

    assert message.startswith("拡張子は Excel ですが、中身が Excel 形式ではありません。")
    assert "Excel ブック（.xlsx）" in message


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")

    assert error_of(path) == (
        "Excel ブック（.xlsx）ではない ZIP ファイルです。"
        "Excel（.xlsx）または CSV 形式のファイルを選んでください。"
    )


def test_truncated_xlsx(tmp_path):
    whole = make_xlsx(tmp_path / "whole.xlsx", survey_rows()).read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(whole[: len(whole) // 2])

    assert error_of(path).startswith("Excel ファイルが壊れているか、途中までしか保存されていません。")


def test_xlsx_with_broken_sheet_xml(tmp_path):
    whole = make_xlsx(tmp_path / "whole.xlsx", survey_rows())
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            broken = info.filename == "xl/worksheets/sheet1.xml"
            zout.writestr(info, b"<worksheet><sheetData><row><c" if broken else zin.read(info))

    assert error_of(path).startswith("Excel ファイルが壊れているか")


def test_broken_old_xls(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000)

    assert error_of(path).startswith("Excel ファイルを読み取れません。ファイルが壊れているか")


def test_file_over_the_limit_names_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\r\n" * (MB // 4))

    assert error_of(path, max_bytes=MB) == "ファイルが大きすぎます（上限 1 MB）。"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.touch()

    assert error_of(path) == "ファイルが空です。"


def test_zip_bomb_is_refused_before_reading(tmp_path):
    # openpyxl caps a cell at 32,767 characters, so use many long, highly compressible strings.
    strings = [[f"{i:03d}" + "A" * 32_000] for i in range(200)]
    path = make_xlsx(tmp_path / "bomb.xlsx", [["所属コード"], *strings])
    size = path.stat().st_size
    assert size < 300_000

    message = error_of(path, max_bytes=size + 1)

    assert message.startswith("Excel ファイルの中身が大きすぎます（展開後 ")
    # The same file is fine when the limit allows it.
    assert read_all(path, max_bytes=MB)[0] == (1, ["所属コード"])


def test_errors_are_raised_when_read_table_is_called(tmp_path):
    path = tmp_path / "empty.csv"
    path.touch()

    with pytest.raises(TableError):
        read_table(path, max_bytes=MB)


# --- header detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("年間運用経費（千円）", "年間運用経費(千円)"),
        ("年間運用\n経費 （千円）※", "年間運用経費(千円)"),
        ("＊所属　コード", "所属コード"),
        ("ＩＤ", "id"),
        (None, ""),
        (2025, "2025"),
    ],
)
def test_normalize_header(text, expected):
    assert normalize_header(text) == expected


def rows_of(*rows: list) -> list[tuple[int, list]]:
    return list(enumerate(rows, start=1))


def test_missing_required_columns_are_named_in_japanese():
    rows = rows_of(["タイトル"], ["件数", "オンライン化"], ["1", "○"])

    with pytest.raises(TableError) as exc:
        find_header(rows, ALIASES, REQUIRED)

    assert str(exc.value) == "必須の列が見つかりません: 所属コード、所属名（見出し行と思われる 2 行目）"


def test_no_header_at_all():
    with pytest.raises(TableError) as exc:
        find_header(rows_of(["a"], ["b"]), ALIASES, REQUIRED)

    assert str(exc.value) == "必須の列が見つかりません: 所属コード、所属名"


def test_partial_header_names_only_the_missing_column():
    with pytest.raises(TableError) as exc:
        find_header(rows_of(["所属コード", "件数"]), ALIASES, REQUIRED)

    assert str(exc.value) == "必須の列が見つかりません: 所属名（見出し行と思われる 1 行目）"


def test_row_with_most_matches_wins_and_duplicates_keep_the_first():
    rows = rows_of(
        ["所属コード", "所属名"],
        ["コード", "所属名", "件数", "所属コード"],
        ["01001", "秘書課", "5", "x"],
    )

    header_row, columns, rest = find_header(rows, ALIASES, REQUIRED)

    assert header_row == 2
    assert columns == {"code": 0, "name": 1, "count": 2}
    assert list(rest) == [(3, ["01001", "秘書課", "5", "x"])]


def test_header_beyond_scan_rows_is_not_found():
    rows = rows_of(*[["メモ"]] * 5, ["所属コード", "所属名"])

    with pytest.raises(TableError):
        find_header(rows, ALIASES, REQUIRED, scan_rows=5)
    assert find_header(rows, ALIASES, REQUIRED, scan_rows=6)[0] == 6


def test_rest_continues_past_the_scanned_rows():
    rows = rows_of(["所属コード", "所属名"], *[[str(i), "x"] for i in range(100)])

    _, _, rest = find_header(iter(rows), ALIASES, REQUIRED, scan_rows=10)

    assert [number for number, _ in rest] == list(range(2, 102))
