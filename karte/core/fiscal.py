"""Japanese fiscal years (年度, April–March) and era (和暦) dates: parsing and formatting.

Fiscal year 2025 = 令和7年度 = FY2025 = 2025-04-01 .. 2026-03-31. Parsers accept what spreadsheets
contain (full-width digits, spaces, era abbreviations, trailing 中/頃/予定/まで, Excel serials) and
raise :class:`FiscalParseError` with a short Japanese message for anything else.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
import unicodedata
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import get_language

__all__ = [
    "ERAS",
    "MAX_YEAR",
    "MIN_YEAR",
    "Era",
    "FiscalParseError",
    "era_year",
    "fiscal_year_bounds",
    "fiscal_year_of",
    "format_era_date",
    "format_fiscal_year",
    "format_year_month",
    "parse_date",
    "parse_fiscal_year",
    "parse_year_month",
]


class Era(NamedTuple):
    name: str
    abbreviation: str
    start: datetime.date
    offset: int  # Gregorian year = offset + era year


# Newest first: the first era whose start is on or before a date is the one in force.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", datetime.date(2019, 5, 1), 2018),
    Era("平成", "H", datetime.date(1989, 1, 8), 1988),
    Era("昭和", "S", datetime.date(1926, 12, 25), 1925),
    Era("大正", "T", datetime.date(1912, 7, 30), 1911),
    Era("明治", "M", datetime.date(1868, 1, 25), 1867),
)
_ERA_BY_KEY = {key: era for era in ERAS for key in (era.name, era.abbreviation)}

MIN_YEAR = 1868
MAX_YEAR = 2200
FISCAL_YEAR_START_MONTH = 4

# Excel's 1900 date system counts from 1899-12-30 (it wrongly treats 1900 as a leap year).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_SERIAL_MIN = 20000
_EXCEL_SERIAL_MAX = 80000

_EMPTY = frozenset({"", "-", "‐", "ー", "―", "—", "なし", "無し"})
_SUFFIXES = ("中", "頃", "ごろ", "予定", "まで", "迄")

_ERA_KEYS = "|".join(era.name for era in ERAS) + "|[" + "".join(era.abbreviation for era in ERAS) + "]"
_YEAR = rf"(?:(?P<era>{_ERA_KEYS})\.?(?P<era_year>元|\d{{1,3}})|(?P<year>\d{{4}}))"
_MONTH = r"(?P<month>\d{1,2})"
_DAY = r"(?P<day>\d{1,2})"

# (kind, pattern) in order of preference; every pattern must match the whole normalised text.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fiscal", re.compile(r"FY(?P<year>\d{4})(?:年度)?")),
    ("fiscal", re.compile(rf"{_YEAR}(?:年度?)?")),
    # str() of a float year cell, e.g. "2025.0"
    ("fiscal", re.compile(r"(?P<year>\d{4})\.0")),
    ("fiscal_month", re.compile(rf"{_YEAR}年度{_MONTH}月?")),
    ("month", re.compile(rf"{_YEAR}年{_MONTH}月?")),
    ("month", re.compile(rf"{_YEAR}[./-]{_MONTH}")),
    ("date", re.compile(rf"{_YEAR}年{_MONTH}月{_DAY}日?")),
    ("date", re.compile(rf"{_YEAR}(?P<sep>[./-]){_MONTH}(?P=sep){_DAY}")),
    ("date", re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")),
)
# A time of day after a date ("2025-04-01 00:00:00" from CSV exports) carries no information here.
_TIME_SUFFIX = re.compile(r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_WHITESPACE = re.compile(r"\s+")

_HINT_FISCAL = "「令和7年度」または「2025年度」"
_HINT_MONTH = "「令和7年9月」または「2025/9」"
_HINT_DATE = "「令和7年4月1日」または「2025-04-01」"


class FiscalParseError(ValueError):
    """A value that cannot be read as a fiscal year, year-month or date; str() is a Japanese message."""

    def __init__(self, message: str, value: object = None) -> None:
        super().__init__(message)
        self.value = value


class _Parsed(NamedTuple):
    kind: str  # "fiscal", "fiscal_month", "month" or "date"
    year: int  # Gregorian; the fiscal year itself for "fiscal" and "fiscal_month"
    month: int | None
    day: int | None


# --- calendar helpers -------------------------------------------------------------------------


def fiscal_year_of(d: datetime.date) -> int:
    """Return the fiscal year containing ``d`` (2025-03-31 -> 2024, 2025-04-01 -> 2025)."""
    return d.year if d.month >= FISCAL_YEAR_START_MONTH else d.year - 1


def fiscal_year_bounds(fy: int) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of fiscal year ``fy``: (fy-04-01, (fy+1)-03-31)."""
    return datetime.date(fy, 4, 1), datetime.date(fy + 1, 3, 31)


def _calendar_year(fy: int, month: int) -> int:
    """Return the calendar year of ``month`` within fiscal year ``fy`` (January–March fall in fy + 1)."""
    return fy if month >= FISCAL_YEAR_START_MONTH else fy + 1


def _era_on(d: datetime.date) -> Era | None:
    """Return the era in force on ``d``, or None before Meiji."""
    for era in ERAS:
        if d >= era.start:
            return era
    return None


def era_year(d_or_year: datetime.date | int) -> tuple[str, int]:
    """Return (era name, era year), e.g. ('令和', 7).

    A date uses the exact era boundary; a bare year uses the era in force on 31 December of that year.
    Raises ValueError before Meiji.
    """
    if isinstance(d_or_year, datetime.datetime):
        d = d_or_year.date()
    elif isinstance(d_or_year, datetime.date):
        d = d_or_year
    else:
        d = datetime.date(int(d_or_year), 12, 31)
    era = _era_on(d)
    if era is None:
        raise ValueError(f"{d_or_year} は明治より前です")
    return era.name, d.year - era.offset


# --- formatting -------------------------------------------------------------------------------


def _is_japanese(lang: str | None) -> bool:
    """Return True when ``lang`` (or the active language if None) asks for Japanese era forms."""
    if lang is None:
        try:
            lang = get_language()
        except ImproperlyConfigured:
            lang = None
    return lang is None or lang.lower().startswith("ja")


def _era_label(era: Era, gregorian_year: int) -> str:
    """Return '令和7' / '令和元' for ``gregorian_year`` counted in ``era``."""
    n = gregorian_year - era.offset
    return f"{era.name}{'元' if n == 1 else n}"


def format_fiscal_year(fy: int | None, lang: str | None = None) -> str:
    """Return '令和7年度' (Japanese) or 'FY2025' (other languages); '' for None."""
    if fy is None:
        return ""
    if not _is_japanese(lang):
        return f"FY{fy}"
    # A fiscal year is named by the era in force for most of it (FY2019 = 令和元年度,
    # FY1988 = 昭和63年度): that is the era in force at its midpoint, 1 October.
    era = _era_on(datetime.date(fy, 10, 1))
    if era is None:
        return f"{fy}年度"
    return f"{_era_label(era, fy)}年度"


def format_era_date(d: datetime.date | None, lang: str | None = None) -> str:
    """Return '令和7年4月1日' (Japanese) or '2025-04-01' (other languages); '' for None."""
    if d is None:
        return ""
    if isinstance(d, datetime.datetime):
        d = d.date()
    if not _is_japanese(lang):
        return d.isoformat()
    era = _era_on(d)
    year = f"{d.year}" if era is None else _era_label(era, d.year)
    return f"{year}年{d.month}月{d.day}日"


def format_year_month(year: int | None, month: int | None, lang: str | None = None) -> str:
    """Return '令和7年9月' (Japanese, era of the month's first day) or '2025-09'; '' if either is None."""
    if year is None or month is None:
        return ""
    first = datetime.date(year, month, 1)
    if not _is_japanese(lang):
        return f"{first.year:04d}-{first.month:02d}"
    era = _era_on(first)
    label = f"{year}" if era is None else _era_label(era, year)
    return f"{label}年{month}月"


# --- parsing ----------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """Return the input as quoted in error messages, shortened."""
    text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


def _normalize(text: str) -> str:
    """Return ``text`` NFKC-normalised, without whitespace, time of day or trailing 中/頃/予定/まで."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = _TIME_SUFFIX.sub("", text)
    text = _WHITESPACE.sub("", text).upper()
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                stripped = True
    return text


def _is_empty(value: object) -> bool:
    """Return True for None, NaN and blank markers such as '', '-', 'なし'."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and _normalize(value) in _EMPTY


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def _unreadable(raw: object, what: str, hint: str) -> FiscalParseError:
    message = f"「{_shown(raw)}」を{what}として読み取れません。{hint}の形式で入力してください"
    return FiscalParseError(message, raw)


def _out_of_range(raw: object) -> FiscalParseError:
    return FiscalParseError(f"「{_shown(raw)}」の年が範囲外です（{MIN_YEAR}年〜{MAX_YEAR}年）", raw)


def _year_from(match: re.Match[str], raw: object) -> int:
    """Return the Gregorian year of a match's year part, checking era year and range."""
    groups = match.groupdict()
    if groups.get("era"):
        era = _ERA_BY_KEY[groups["era"]]
        n = 1 if groups["era_year"] == "元" else int(groups["era_year"])
        if n < 1:
            raise FiscalParseError(f"「{_shown(raw)}」の{era.name}の年が正しくありません（元年は1です）", raw)
        year = era.offset + n
    else:
        year = int(groups["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _out_of_range(raw)
    return year


def _tokenize(text: str, raw: object) -> _Parsed | None:
    """Return the parsed parts of normalised ``text``, None if no form matches.

    Raises FiscalParseError for a recognised form with a bad value (month 13, 2月30日, a date
    before its era began).
    """
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = _year_from(match, raw)
        if kind == "fiscal":
            return _Parsed(kind, year, None, None)
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise FiscalParseError(f"「{_shown(raw)}」の月が正しくありません（1〜12）", raw)
        if kind == "fiscal_month":
            return _Parsed(kind, year, month, None)
        day = int(match["day"]) if kind == "date" else None
        try:
            first = datetime.date(year, month, 1 if day is None else day)
        except ValueError:
            raise FiscalParseError(f"「{_shown(raw)}」は存在しない日付です", raw) from None
        era_key = match.groupdict().get("era")
        if era_key:
            era = _ERA_BY_KEY[era_key]
            # Years past an era's end are accepted (平成32年), but not days before it began (令和元年4月30日).
            next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
            last_day = first if day is not None else next_month - datetime.timedelta(days=1)
            if last_day < era.start:
                raise FiscalParseError(
                    f"「{_shown(raw)}」は{era.name}の始まり（{era.start.year}年{era.start.month}月"
                    f"{era.start.day}日）より前です",
                    raw,
                )
        return _Parsed(kind, year, month, day)
    return None


def _from_excel_serial(value: float | Decimal, what: str, hint: str) -> datetime.date:
    """Return the date of an Excel serial number (1900 date system)."""
    number = float(value)
    if not (math.isfinite(number) and _EXCEL_SERIAL_MIN <= number <= _EXCEL_SERIAL_MAX):
        raise _unreadable(value, what, hint)
    return _EXCEL_EPOCH + datetime.timedelta(days=int(number))


def parse_fiscal_year(value: object) -> int | None:
    """Return the fiscal year (e.g. 2025) that ``value`` names or falls in; None for an empty value.

    Accepts 2025, 2025.0, '2025年度', 'FY2025', '令和7年度', 'R7', '平成24年', '令和6年度3月' (the
    fiscal year named), year-months ('R7.9') and dates (their fiscal year).
    """
    if _is_empty(value):
        return None
    if isinstance(value, datetime.date):
        return fiscal_year_of(value)
    if _is_number(value):
        number = float(value)
        if not (math.isfinite(number) and number.is_integer()):
            raise _unreadable(value, "年度", _HINT_FISCAL)
        if not MIN_YEAR <= number <= MAX_YEAR:
            raise _out_of_range(value)
        return int(number)
    if not isinstance(value, str):
        raise _unreadable(value, "年度", _HINT_FISCAL)
    parsed = _tokenize(_normalize(value), value)
    if parsed is None:
        raise _unreadable(value, "年度", _HINT_FISCAL)
    if parsed.kind in ("fiscal", "fiscal_month"):
        return parsed.year
    return fiscal_year_of(datetime.date(parsed.year, parsed.month, 1))


def _parse_month_parts(value: str, what: str, hint: str) -> _Parsed:
    """Return a year-month or date parse of ``value`` with the calendar year; raise otherwise."""
    parsed = _tokenize(_normalize(value), value)
    if parsed is None or parsed.kind == "fiscal":
        raise _unreadable(value, what, hint)
    if parsed.kind == "fiscal_month":
        return _Parsed("month", _calendar_year(parsed.year, parsed.month), parsed.month, None)
    return parsed


def parse_year_month(value: object) -> tuple[int, int] | None:
    """Return the calendar (year, month) of ``value``; None for an empty value.

    Accepts 'R7.9', '令和7年9月', '2025/9', '2025-09', '令和6年度3月' (-> (2025, 3): January–March
    of a fiscal year are in the next calendar year), dates and Excel serial numbers.
    """
    if _is_empty(value):
        return None
    if isinstance(value, datetime.date):
        return value.year, value.month
    if _is_number(value):
        d = _from_excel_serial(value, "年月", _HINT_MONTH)
        return d.year, d.month
    if not isinstance(value, str):
        raise _unreadable(value, "年月", _HINT_MONTH)
    parsed = _parse_month_parts(value, "年月", _HINT_MONTH)
    return parsed.year, parsed.month


def parse_date(value: object) -> datetime.date | None:
    """Return the date ``value`` denotes; None for an empty value.

    Accepts date/datetime objects, '2025-04-01', '2025/4/1', '2025.4.1', '20250401', '令和7年4月1日',
    'R7.4.1', Excel serial numbers (20000..80000) and year-months (-> the first day of the month).
    """
    if _is_empty(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if _is_number(value):
        return _from_excel_serial(value, "日付", _HINT_DATE)
    if not isinstance(value, str):
        raise _unreadable(value, "日付", _HINT_DATE)
    parsed = _parse_month_parts(value, "日付", _HINT_DATE)
    return datetime.date(parsed.year, parsed.month, 1 if parsed.day is None else parsed.day)
