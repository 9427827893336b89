"""Tests for karte.core.fiscal: Japanese fiscal years and era dates. No database, no settings needed."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from karte.core import fiscal
from karte.core.fiscal import (
    ERAS,
    FiscalParseError,
    era_year,
    fiscal_year_bounds,
    fiscal_year_of,
    format_era_date,
    format_fiscal_year,
    format_year_month,
    parse_date,
    parse_fiscal_year,
    parse_year_month,
)

D = datetime.date
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

EMPTY_VALUES = [None, "", " ", "\u3000", "-", "－", "ー", "なし", " なし ", float("nan")]


# --- fiscal_year_of / fiscal_year_bounds ------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2025, 3, 31), 2024),
        (D(2025, 4, 1), 2025),
        (D(2025, 1, 1), 2024),
        (D(2024, 12, 31), 2024),
        (D(2026, 3, 31), 2025),
        (D(2026, 4, 1), 2026),
        (D(2019, 4, 30), 2019),
        (D(2019, 5, 1), 2019),
        (D(2020, 2, 29), 2019),
        (datetime.datetime(2025, 3, 31, 23, 59), 2024),
        (datetime.datetime(2025, 4, 1, 0, 0), 2025),
    ],
)
def test_fiscal_year_of_switches_on_april_first(d, expected):
    assert fiscal_year_of(d) == expected


@pytest.mark.parametrize("fy", [1868, 1989, 2019, 2023, 2024, 2025, 2200])
def test_fiscal_year_bounds_are_april_to_march(fy):
    start, end = fiscal_year_bounds(fy)
    assert start == D(fy, 4, 1)
    assert end == D(fy + 1, 3, 31)
    assert fiscal_year_of(start) == fy
    assert fiscal_year_of(end) == fy
    assert fiscal_year_of(start - datetime.timedelta(days=1)) == fy - 1
    assert fiscal_year_of(end + datetime.timedelta(days=1)) == fy + 1


# --- parse_fiscal_year ------------------------------------------------------------------------


@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_parse_fiscal_year_empty_is_none(value):
    assert parse_fiscal_year(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2025, 2025), (2025.0, 2025), (Decimal("2025"), 2025), (1868, 1868), (2200, 2200), (1989, 1989)],
)
def test_parse_fiscal_year_number_is_a_fiscal_year(value, expected):
    result = parse_fiscal_year(value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Gregorian
        ("2025", 2025),
        ("2025年度", 2025),
        ("2025年", 2025),
        ("FY2025", 2025),
        ("fy2025", 2025),
        ("FY2025年度", 2025),
        ("FY 2025", 2025),
        ("2025.0", 2025),
        # era names
        ("令和7年度", 2025),
        ("令和7年", 2025),
        ("令和7", 2025),
        ("令和元年度", 2019),
        ("令和元年", 2019),
        ("令和1年度", 2019),
        ("令和2年度", 2020),
        ("平成24年度", 2012),
        ("平成24年", 2012),
        ("平成30年度", 2018),
        ("昭和63年度", 1988),
        ("大正15年度", 1926),
        ("明治45年度", 1912),
        ("令和07年度", 2025),
        # abbreviations
        ("R7", 2025),
        ("r7", 2025),
        ("R7年度", 2025),
        ("R7年", 2025),
        ("R.7", 2025),
        ("R元", 2019),
        ("R元年度", 2019),
        ("H24", 2012),
        ("h24", 2012),
        ("S63", 1988),
        ("T15", 1926),
        ("M45", 1912),
        # full-width, spaces, era ligature
        ("Ｒ７", 2025),
        ("ｒ７", 2025),
        ("Ｒ７年度", 2025),
        ("令和７年度", 2025),
        ("２０２５年度", 2025),
        ("２０２５", 2025),
        ("ＦＹ２０２５", 2025),
        ("Ｈ２４", 2012),
        (" 令和 7 年度 ", 2025),
        ("令和\u30007\u3000年度", 2025),
        ("\u3000R7\u3000", 2025),
        ("R 7", 2025),
        ("\u32ff7年度", 2025),
        ("\u337b24年度", 2012),
        # trailing 中/頃/予定/まで
        ("令和7年度中", 2025),
        ("令和7年度頃", 2025),
        ("令和7年度ごろ", 2025),
        ("令和7年度予定", 2025),
        ("令和7年度まで", 2025),
        ("令和7年度中予定", 2025),
        ("R7年度中", 2025),
        ("2025年度中", 2025),
        ("令和７年度中 ", 2025),
    ],
)
def test_parse_fiscal_year_strings(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("明治元年度", 1868),
        ("大正元年度", 1912),
        ("昭和元年度", 1926),
        ("平成元年度", 1989),
        ("令和元年度", 2019),
        ("明治元年", 1868),
        ("大正元年", 1912),
        ("昭和元年", 1926),
        ("平成元年", 1989),
        ("令和元年", 2019),
        ("M元", 1868),
        ("T元", 1912),
        ("S元", 1926),
        ("H元", 1989),
        ("R元", 2019),
        ("Ｍ元年度", 1868),
        ("Ｔ元年度", 1912),
        ("Ｓ元年度", 1926),
        ("Ｈ元年度", 1989),
        ("Ｒ元年度", 2019),
    ],
)
def test_parse_fiscal_year_gannen_in_every_era(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("平成31年度", 2019),
        ("平成31年", 2019),
        ("H31", 2019),
        ("平成32年", 2020),
        ("平成32年度", 2020),
        ("H32", 2020),
        ("昭和64年度", 1989),
        ("昭和65年", 1990),
        ("大正16年度", 1927),
        ("明治46年", 1913),
    ],
)
def test_parse_fiscal_year_accepts_era_years_past_the_era_end(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("令和6年度3月", 2024),
        ("令和6年度4月", 2024),
        ("令和6年度12月", 2024),
        ("令和6年度1月", 2024),
        ("R6年度3月", 2024),
        ("2024年度3月", 2024),
        ("令和元年度3月", 2019),
        ("令和6年度 3 月", 2024),
        ("令和６年度３月", 2024),
    ],
)
def test_parse_fiscal_year_of_fiscal_month_is_the_fiscal_year_named(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R7.9", 2025),
        ("R7.4", 2025),
        ("R7.3", 2024),
        ("R8.1", 2025),
        ("R8.3", 2025),
        ("R8.4", 2026),
        ("令和7年9月", 2025),
        ("令和8年1月", 2025),
        ("2025/9", 2025),
        ("2026/3", 2025),
        ("2025-09", 2025),
        ("2026-01", 2025),
        ("Ｒ７．９", 2025),
    ],
)
def test_parse_fiscal_year_of_year_month_is_its_fiscal_year(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2025, 3, 31), 2024),
        (D(2025, 4, 1), 2025),
        (datetime.datetime(2026, 3, 31, 12, 0), 2025),
        ("2025/4/1", 2025),
        ("2025/3/31", 2024),
        ("2025-04-01", 2025),
        ("2025-03-31", 2024),
        ("2025.4.1", 2025),
        ("20250401", 2025),
        ("20250331", 2024),
        ("令和7年4月1日", 2025),
        ("令和7年3月31日", 2024),
        ("R7.4.1", 2025),
        ("H31.4.30", 2019),
        ("令和元年5月1日", 2019),
        ("２０２５／４／１", 2025),
        ("2025-04-01 00:00:00", 2025),
    ],
)
def test_parse_fiscal_year_of_date_is_its_fiscal_year(value, expected):
    assert parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "令和",
        "R",
        "R0",
        "令和0年度",
        "2025年度度",
        "年度",
        "元年度",
        "X7",
        "R7X",
        "令和七年度",
        "25",
        "20251",
        "1867",
        "2201",
        "1867年度",
        "FY2201",
        "R183",
        "令和7年13月",
        "R7.13",
        "R7.0",
        "令和6年度13月",
        "2025/13/1",
        "2025-02-30",
        "令和元年4月30日",
        "令和元年4月",
        "中",
        "2025年度-",
        "2025/4-1",
        1867,
        2201,
        0,
        -2025,
        2025.5,
        float("inf"),
        True,
        object(),
        [2025],
    ],
)
def test_parse_fiscal_year_rejects_invalid_input(value):
    with pytest.raises(FiscalParseError):
        parse_fiscal_year(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "「abc」"),
        ("abc", "「令和7年度」"),
        ("abc", "の形式で入力してください"),
        ("令和", "「令和」"),
        ("R0", "「R0」"),
        ("2025年度度", "「2025年度度」"),
        ("2201", "範囲外"),
        (1867, "範囲外"),
        ("令和7年13月", "月"),
        ("令和元年4月30日", "令和"),
        ("2025-02-30", "存在しない日付"),
    ],
)
def test_parse_fiscal_year_error_message_is_japanese_and_quotes_input(value, fragment):
    with pytest.raises(FiscalParseError) as excinfo:
        parse_fiscal_year(value)
    message = str(excinfo.value)
    assert fragment in message
    assert JAPANESE.search(message)
    assert excinfo.value.value == value


def test_fiscal_parse_error_is_a_value_error():
    assert issubclass(FiscalParseError, ValueError)
    with pytest.raises(ValueError, match="令和7年度"):
        parse_fiscal_year("abc")


def test_error_message_shortens_long_input():
    with pytest.raises(FiscalParseError) as excinfo:
        parse_fiscal_year("x" * 200)
    assert len(str(excinfo.value)) < 120


# --- parse_year_month -------------------------------------------------------------------------


@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_parse_year_month_empty_is_none(value):
    assert parse_year_month(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R7.9", (2025, 9)),
        ("r7.9", (2025, 9)),
        ("R7/9", (2025, 9)),
        ("R7-9", (2025, 9)),
        ("H31.4", (2019, 4)),
        ("R8.1", (2026, 1)),
        ("令和7年9月", (2025, 9)),
        ("令和7年09月", (2025, 9)),
        ("令和元年5月", (2019, 5)),
        ("令和元年12月", (2019, 12)),
        ("平成31年4月", (2019, 4)),
        ("平成元年1月", (1989, 1)),
        ("昭和64年1月", (1989, 1)),
        ("2025/9", (2025, 9)),
        ("2025-09", (2025, 9)),
        ("2025.9", (2025, 9)),
        ("2025.10", (2025, 10)),
        ("2025年9月", (2025, 9)),
        ("Ｒ７．９", (2025, 9)),
        ("令和７年９月", (2025, 9)),
        (" 令和 7 年 9 月 ", (2025, 9)),
        ("２０２５／９", (2025, 9)),
        ("２０２５－０９", (2025, 9)),
        ("令和7年9月中", (2025, 9)),
        ("令和7年9月頃", (2025, 9)),
        ("令和7年9月予定", (2025, 9)),
        ("令和7年9月まで", (2025, 9)),
        ("令和6年度3月", (2025, 3)),
        ("令和6年度4月", (2024, 4)),
        ("令和元年度12月", (2019, 12)),
        ("令和元年度3月", (2020, 3)),
        ("2024年度3月", (2025, 3)),
        ("R6年度1月", (2025, 1)),
        ("Ｒ６年度３月", (2025, 3)),
        ("2025/4/1", (2025, 4)),
        ("令和7年4月1日", (2025, 4)),
        (D(2025, 9, 30), (2025, 9)),
        (datetime.datetime(2025, 9, 30, 10, 0), (2025, 9)),
        (45748, (2025, 4)),
    ],
)
def test_parse_year_month_returns_calendar_year_and_month(value, expected):
    assert parse_year_month(value) == expected


@pytest.mark.parametrize(
    ("month", "calendar_year"),
    [(4, 2024), (5, 2024), (6, 2024), (7, 2024), (8, 2024), (9, 2024), (10, 2024), (11, 2024)]
    + [(12, 2024), (1, 2025), (2, 2025), (3, 2025)],
)
def test_parse_year_month_months_january_to_march_of_a_fiscal_year_are_next_calendar_year(
    month, calendar_year
):
    assert parse_year_month(f"令和6年度{month}月") == (calendar_year, month)
    assert parse_year_month(f"2024年度{month}月") == (calendar_year, month)
    assert parse_fiscal_year(f"令和6年度{month}月") == 2024
    assert fiscal_year_of(D(calendar_year, month, 1)) == 2024


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "令和7年度",
        "R7",
        "2025",
        "2025年度",
        "FY2025",
        "R7.13",
        "R7.0",
        "2025/13",
        "令和6年度13月",
        "令和6年度0月",
        "令和元年4月",
        "平成元年1月7日",
        "R0.4",
        "1867/12",
        2025,
        2025.9,
        object(),
    ],
)
def test_parse_year_month_rejects_invalid_input(value):
    with pytest.raises(FiscalParseError):
        parse_year_month(value)


def test_parse_year_month_error_message_shows_the_expected_form():
    with pytest.raises(FiscalParseError, match="「令和7年度」を年月として読み取れません.*「令和7年9月」"):
        parse_year_month("令和7年度")


# --- parse_date -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_parse_date_empty_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2025, 4, 1), D(2025, 4, 1)),
        (datetime.datetime(2025, 4, 1, 15, 30), D(2025, 4, 1)),
        ("2025-04-01", D(2025, 4, 1)),
        ("2025-4-1", D(2025, 4, 1)),
        ("2025/4/1", D(2025, 4, 1)),
        ("2025/04/01", D(2025, 4, 1)),
        ("2025.4.1", D(2025, 4, 1)),
        ("20250401", D(2025, 4, 1)),
        ("2025年4月1日", D(2025, 4, 1)),
        ("令和7年4月1日", D(2025, 4, 1)),
        ("令和7年4月1", D(2025, 4, 1)),
        ("R7.4.1", D(2025, 4, 1)),
        ("r7.4.1", D(2025, 4, 1)),
        ("R7/4/1", D(2025, 4, 1)),
        ("R7-4-1", D(2025, 4, 1)),
        ("R7年4月1日", D(2025, 4, 1)),
        ("R07.04.01", D(2025, 4, 1)),
        ("H.31.4.30", D(2019, 4, 30)),
        ("H31.4.30", D(2019, 4, 30)),
        ("平成24年3月31日", D(2012, 3, 31)),
        ("昭和63年12月31日", D(1988, 12, 31)),
        ("大正15年12月24日", D(1926, 12, 24)),
        ("明治45年7月29日", D(1912, 7, 29)),
        ("２０２５－０４－０１", D(2025, 4, 1)),
        ("２０２５／４／１", D(2025, 4, 1)),
        ("令和７年４月１日", D(2025, 4, 1)),
        ("Ｒ７．４．１", D(2025, 4, 1)),
        ("２０２５０４０１", D(2025, 4, 1)),
        (" 令和 7 年 4 月 1 日 ", D(2025, 4, 1)),
        ("令和7年4月1日まで", D(2025, 4, 1)),
        ("令和7年4月1日予定", D(2025, 4, 1)),
        ("令和7年4月1日頃", D(2025, 4, 1)),
        ("2025-04-01 00:00:00", D(2025, 4, 1)),
        ("2025-04-01T10:30", D(2025, 4, 1)),
        ("2025-04-01T10:30:00+09:00", D(2025, 4, 1)),
        ("2024-02-29", D(2024, 2, 29)),
        ("令和6年2月29日", D(2024, 2, 29)),
        # year-month only -> first day of that month
        ("R7.9", D(2025, 9, 1)),
        ("令和7年9月", D(2025, 9, 1)),
        ("2025/9", D(2025, 9, 1)),
        ("2025-09", D(2025, 9, 1)),
        ("令和6年度3月", D(2025, 3, 1)),
        ("令和6年度4月", D(2024, 4, 1)),
        ("令和元年度3月", D(2020, 3, 1)),
    ],
)
def test_parse_date_forms(value, expected):
    result = parse_date(value)
    assert result == expected
    assert type(result) is datetime.date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Heisei / Reiwa
        ("平成31年4月30日", D(2019, 4, 30)),
        ("平成31年5月1日", D(2019, 5, 1)),
        ("H31.5.1", D(2019, 5, 1)),
        ("令和元年5月1日", D(2019, 5, 1)),
        ("令和1年5月1日", D(2019, 5, 1)),
        ("R元.5.1", D(2019, 5, 1)),
        ("R1.5.1", D(2019, 5, 1)),
        ("平成32年1月1日", D(2020, 1, 1)),
        # Showa / Heisei
        ("昭和64年1月7日", D(1989, 1, 7)),
        ("昭和64年1月8日", D(1989, 1, 8)),
        ("平成元年1月8日", D(1989, 1, 8)),
        ("H1.1.8", D(1989, 1, 8)),
        # Taisho / Showa
        ("大正15年12月24日", D(1926, 12, 24)),
        ("昭和元年12月25日", D(1926, 12, 25)),
        # Meiji / Taisho
        ("明治45年7月29日", D(1912, 7, 29)),
        ("大正元年7月30日", D(1912, 7, 30)),
        # Meiji start
        ("明治元年1月25日", D(1868, 1, 25)),
    ],
)
def test_parse_date_era_boundaries(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "令和元年4月30日",
        "R1.4.30",
        "令和元年1月1日",
        "平成元年1月7日",
        "H1.1.7",
        "昭和元年12月24日",
        "大正元年7月29日",
        "明治元年1月24日",
    ],
)
def test_parse_date_rejects_dates_before_their_era_began(value):
    with pytest.raises(FiscalParseError, match="より前です"):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45748, D(2025, 4, 1)),
        (45747, D(2025, 3, 31)),
        (45748.0, D(2025, 4, 1)),
        (45748.75, D(2025, 4, 1)),
        (Decimal("45748"), D(2025, 4, 1)),
        (43586, D(2019, 5, 1)),
        (20000, D(1954, 10, 3)),
        (80000, D(2119, 1, 11)),
    ],
)
def test_parse_date_excel_serial(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "2025-02-30",
        "2025-02-29",
        "2025/13/1",
        "2025/0/1",
        "2025/4/31",
        "2025/4/0",
        "20250230",
        "20251301",
        "令和7年2月30日",
        "令和7年13月1日",
        "2025/4-1",
        "2025.4/1",
        "25/4/1",
        "2025",
        "2025年度",
        "令和7年度",
        "R7",
        "1867-12-31",
        "2201-01-01",
        "令和元年4月30日",
        19999,
        80001,
        2025,
        -1,
        float("inf"),
        True,
        object(),
    ],
)
def test_parse_date_rejects_invalid_input(value):
    with pytest.raises(FiscalParseError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "「abc」を日付として読み取れません"),
        ("abc", "「令和7年4月1日」"),
        ("2025-02-30", "「2025-02-30」は存在しない日付です"),
        ("令和元年4月30日", "「令和元年4月30日」は令和の始まり（2019年5月1日）より前です"),
        (19999, "「19999」"),
    ],
)
def test_parse_date_error_message_is_japanese(value, fragment):
    with pytest.raises(FiscalParseError) as excinfo:
        parse_date(value)
    assert fragment in str(excinfo.value)


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fy", "expected"),
    [
        (2025, "令和7年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1990, "平成2年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
        (1927, "昭和2年度"),
        (1926, "大正15年度"),
        (1913, "大正2年度"),
        (1912, "大正元年度"),
        (1911, "明治44年度"),
        (1868, "明治元年度"),
        (2100, "令和82年度"),
        (None, ""),
    ],
)
def test_format_fiscal_year_japanese(fy, expected):
    assert format_fiscal_year(fy, "ja") == expected


@pytest.mark.parametrize("lang", ["ja", "ja-jp", "ja-JP", "JA"])
def test_format_fiscal_year_japanese_language_variants(lang):
    assert format_fiscal_year(2019, lang) == "令和元年度"


@pytest.mark.parametrize(
    ("fy", "lang", "expected"),
    [(2025, "en", "FY2025"), (2019, "en-us", "FY2019"), (1989, "en-GB", "FY1989"), (None, "en", "")],
)
def test_format_fiscal_year_english(fy, lang, expected):
    assert format_fiscal_year(fy, lang) == expected


@pytest.mark.parametrize(
    ("active", "expected"),
    [(None, "令和7年度"), ("ja", "令和7年度"), ("ja-jp", "令和7年度"), ("en", "FY2025"), ("en-us", "FY2025")],
)
def test_format_uses_active_language_when_lang_is_none(monkeypatch, active, expected):
    monkeypatch.setattr(fiscal, "get_language", lambda: active)
    assert format_fiscal_year(2025) == expected


def test_format_without_configured_settings_is_japanese(monkeypatch):
    def unconfigured():
        raise ImproperlyConfigured("settings are not configured")

    monkeypatch.setattr(fiscal, "get_language", unconfigured)
    assert format_fiscal_year(2019) == "令和元年度"
    assert format_era_date(D(2019, 5, 1)) == "令和元年5月1日"
    assert format_year_month(2025, 9) == "令和7年9月"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2025, 4, 1), "令和7年4月1日"),
        (D(2019, 5, 1), "令和元年5月1日"),
        (D(2019, 4, 30), "平成31年4月30日"),
        (D(2019, 12, 31), "令和元年12月31日"),
        (D(2020, 1, 1), "令和2年1月1日"),
        (D(1989, 1, 7), "昭和64年1月7日"),
        (D(1989, 1, 8), "平成元年1月8日"),
        (D(1926, 12, 24), "大正15年12月24日"),
        (D(1926, 12, 25), "昭和元年12月25日"),
        (D(1912, 7, 29), "明治45年7月29日"),
        (D(1912, 7, 30), "大正元年7月30日"),
        (D(1868, 1, 25), "明治元年1月25日"),
        (D(1868, 1, 24), "1868年1月24日"),
        (datetime.datetime(2025, 4, 1, 9, 0), "令和7年4月1日"),
        (None, ""),
    ],
)
def test_format_era_date_japanese(d, expected):
    assert format_era_date(d, "ja") == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2025, 4, 1), "2025-04-01"),
        (D(2019, 5, 1), "2019-05-01"),
        (datetime.datetime(2025, 4, 1, 9, 0), "2025-04-01"),
        (None, ""),
    ],
)
def test_format_era_date_english(d, expected):
    assert format_era_date(d, "en") == expected


@pytest.mark.parametrize(
    ("year", "month", "ja", "en"),
    [
        (2025, 9, "令和7年9月", "2025-09"),
        (2026, 3, "令和8年3月", "2026-03"),
        (2019, 4, "平成31年4月", "2019-04"),
        (2019, 5, "令和元年5月", "2019-05"),
        (1989, 1, "昭和64年1月", "1989-01"),
        (1989, 2, "平成元年2月", "1989-02"),
        (1926, 12, "大正15年12月", "1926-12"),
        (1927, 1, "昭和2年1月", "1927-01"),
        (None, 9, "", ""),
        (2025, None, "", ""),
    ],
)
def test_format_year_month(year, month, ja, en):
    assert format_year_month(year, month, "ja") == ja
    assert format_year_month(year, month, "en") == en


def test_format_year_month_rejects_invalid_month():
    with pytest.raises(ValueError):
        format_year_month(2025, 13, "ja")


# --- era_year ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2025, 4, 1), ("令和", 7)),
        (D(2019, 4, 30), ("平成", 31)),
        (D(2019, 5, 1), ("令和", 1)),
        (D(1989, 1, 7), ("昭和", 64)),
        (D(1989, 1, 8), ("平成", 1)),
        (D(1926, 12, 24), ("大正", 15)),
        (D(1926, 12, 25), ("昭和", 1)),
        (D(1912, 7, 29), ("明治", 45)),
        (D(1912, 7, 30), ("大正", 1)),
        (D(1868, 1, 25), ("明治", 1)),
        (datetime.datetime(2019, 5, 1, 0, 0), ("令和", 1)),
        (datetime.datetime(2019, 4, 30, 23, 59), ("平成", 31)),
    ],
)
def test_era_year_of_date_uses_exact_boundary(d, expected):
    assert era_year(d) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, ("令和", 7)),
        (2020, ("令和", 2)),
        (2019, ("令和", 1)),
        (2018, ("平成", 30)),
        (1989, ("平成", 1)),
        (1988, ("昭和", 63)),
        (1926, ("昭和", 1)),
        (1925, ("大正", 14)),
        (1912, ("大正", 1)),
        (1911, ("明治", 44)),
        (1868, ("明治", 1)),
    ],
)
def test_era_year_of_bare_year_uses_era_on_december_31(year, expected):
    assert era_year(year) == expected


@pytest.mark.parametrize("value", [D(1868, 1, 24), 1867, D(1800, 1, 1)])
def test_era_year_before_meiji_raises(value):
    with pytest.raises(ValueError):
        era_year(value)


def test_eras_table_is_newest_first_and_consistent():
    starts = [era.start for era in ERAS]
    assert starts == sorted(starts, reverse=True)
    for era in ERAS:
        assert era.offset == era.start.year - 1
        assert len(era.abbreviation) == 1


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fy", range(1989, 2101))
def test_round_trip_fiscal_year(fy):
    ja = format_fiscal_year(fy, "ja")
    assert parse_fiscal_year(ja) == fy
    assert parse_fiscal_year(format_fiscal_year(fy, "en")) == fy
    assert parse_fiscal_year(ja + "中") == fy
    full_width = ja.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_fiscal_year(full_width) == fy
    assert parse_fiscal_year(fiscal_year_bounds(fy)[0]) == fy
    assert parse_fiscal_year(fiscal_year_bounds(fy)[1]) == fy


@pytest.mark.parametrize("fy", [1868, 1911, 1912, 1925, 1926, 1927, 1987, 1988])
def test_round_trip_fiscal_year_before_heisei(fy):
    assert parse_fiscal_year(format_fiscal_year(fy, "ja")) == fy


@pytest.mark.parametrize(
    "d",
    [
        D(1868, 1, 25),
        D(1912, 7, 29),
        D(1912, 7, 30),
        D(1926, 12, 24),
        D(1926, 12, 25),
        D(1989, 1, 7),
        D(1989, 1, 8),
        D(2019, 3, 31),
        D(2019, 4, 1),
        D(2019, 4, 30),
        D(2019, 5, 1),
        D(2020, 2, 29),
        D(2025, 3, 31),
        D(2025, 4, 1),
        D(2100, 12, 31),
    ],
)
def test_round_trip_era_date(d):
    assert parse_date(format_era_date(d, "ja")) == d
    assert parse_date(format_era_date(d, "en")) == d


@pytest.mark.parametrize("year", range(1988, 2031))
def test_round_trip_year_month(year):
    for month in range(1, 13):
        assert parse_year_month(format_year_month(year, month, "ja")) == (year, month)
        assert parse_year_month(format_year_month(year, month, "en")) == (year, month)
