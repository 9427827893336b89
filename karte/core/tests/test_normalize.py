"""Cell normalisers: accepted spreadsheet spellings and the Japanese messages for the rest."""

import datetime
from decimal import Decimal

import pytest

from karte.core.importing.normalize import (
    to_bool,
    to_choice,
    to_code,
    to_date,
    to_decimal,
    to_fiscal_year,
    to_int,
    to_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("  大阪府　企画室  ", "大阪府 企画室"),
        ("株式会社ミナトＩＴ", "株式会社ミナトＩＴ"),
        ("行1\n行2", "行1 行2"),
        (2015, "2015"),
    ],
)
def test_to_text(raw, expected):
    assert to_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("01001", "01001"),
        ("０１００１", "01001"),
        (" 01 001 ", "01001"),
        (1, "1"),
        (1.0, "1"),
        (270008, "270008"),
        ("Ｓ０００１", "S0001"),
    ],
)
def test_to_code(raw, expected):
    assert to_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("-", None),
        ("－", None),
        ("―", None),
        (5, 5),
        (2015.0, 2015),
        (Decimal("7"), 7),
        ("1,234", 1234),
        ("１，２３４", 1234),
        ("1、234", 1234),
        (" 42 ", 42),
        ("123件", 123),
        ("５００円", 500),
        ("14,106千円", 14106),
        ("30人", 30),
        ("2台", 2),
        ("3個", 3),
        ("4回", 4),
        ("5社", 5),
        ("6本", 6),
        ("¥1,000", 1000),
        ("￥１，０００", 1000),
        ("-5", -5),
        ("－5", -5),
        ("▲1,000", -1000),
        ("△300円", -300),
        ("1.0", 1),
    ],
)
def test_to_int(raw, expected):
    assert to_int(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12a", "1.5", 1.5, "▲", "1,2,3円円", True, "1e3"])
def test_to_int_rejects(raw):
    with pytest.raises(ValueError) as exc:
        to_int(raw)
    assert str(exc.value) == f"整数で入力してください（「{raw}」）"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("－", None),
        (1.5, Decimal("1.5")),
        (0.1, Decimal("0.1")),
        (3, Decimal(3)),
        ("1,234.5", Decimal("1234.5")),
        ("１２．５", Decimal("12.5")),
        ("12.5%", Decimal("0.125")),
        ("１２．５％", Decimal("0.125")),
        ("▲0.5", Decimal("-0.5")),
        ("1,234.5千円", Decimal("1234.5")),
    ],
)
def test_to_decimal(raw, expected):
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "%", float("nan")])
def test_to_decimal_rejects(raw):
    with pytest.raises(ValueError) as exc:
        to_decimal(raw)
    assert str(exc.value) == f"数値で入力してください（「{raw}」）"


TRUE_SPELLINGS = ["○", "〇", "◯", "有", "有り", "あり", "はい", "済", "申込済", "実施", "対象", "該当"]
TRUE_SPELLINGS += ["TRUE", "Yes", "ｙ", "1", 1, "✓", "✔", " ○ ", True]
FALSE_SPELLINGS = ["×", "✕", "無", "無し", "なし", "いいえ", "未", "未申込", "未実施", "対象外", "非該当"]
FALSE_SPELLINGS += ["false", "NO", "n", "0", 0, False]


@pytest.mark.parametrize("raw", TRUE_SPELLINGS)
def test_to_bool_true(raw):
    assert to_bool(raw) is True


@pytest.mark.parametrize("raw", FALSE_SPELLINGS)
def test_to_bool_false(raw):
    assert to_bool(raw) is False


@pytest.mark.parametrize("raw", [None, "", "-", "－", "  "])
def test_to_bool_blank(raw):
    assert to_bool(raw) is None


def test_to_bool_rejects():
    with pytest.raises(ValueError) as exc:
        to_bool("たぶん")
    assert str(exc.value) == "○／×、有／無 などで入力してください（「たぶん」）"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("令和7年度", 2025),
        ("R7", 2025),
        ("平成24年度", 2012),
        (2015, 2015),
        ("2025年度中", 2025),
        (None, None),
    ],
)
def test_to_fiscal_year(raw, expected):
    assert to_fiscal_year(raw) == expected


def test_to_fiscal_year_rejects_with_a_plain_value_error():
    with pytest.raises(ValueError) as exc:
        to_fiscal_year("来年度")
    assert type(exc.value) is ValueError
    assert "来年度" in str(exc.value)
    assert "年度" in str(exc.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-04-01", datetime.date(2024, 4, 1)),
        ("令和6年4月1日", datetime.date(2024, 4, 1)),
        (datetime.datetime(2024, 4, 1, 9, 0), datetime.date(2024, 4, 1)),
        (None, None),
    ],
)
def test_to_date(raw, expected):
    assert to_date(raw) == expected


def test_to_date_rejects_with_a_plain_value_error():
    with pytest.raises(ValueError) as exc:
        to_date("2024-02-30")
    assert type(exc.value) is ValueError
    assert "2024-02-30" in str(exc.value)


HOSTING = [("onprem", "庁舎内"), ("cloud", "クラウド"), ("lgwan", "LGWAN-ASP")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("庁舎内", "onprem"),
        (" クラウド ", "cloud"),
        ("ＬＧＷＡＮ－ＡＳＰ", "lgwan"),
        ("lgwan-asp", "lgwan"),
        ("cloud", "cloud"),
        ("ガバメントクラウド", "cloud"),
        (None, None),
        ("", None),
    ],
)
def test_to_choice(raw, expected):
    assert to_choice(raw, HOSTING, aliases={"ガバメントクラウド": "cloud"}) == expected


def test_to_choice_rejects_listing_the_labels():
    with pytest.raises(ValueError) as exc:
        to_choice("データセンター", iter(HOSTING))
    assert (
        str(exc.value) == "次のいずれかを入力してください: 庁舎内、クラウド、LGWAN-ASP（「データセンター」）"
    )
