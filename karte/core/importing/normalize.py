"""Cell value normalisers for importers.

Each takes a raw cell value (as read by ``tabular.read_table``) and returns a Python value, or raises
ValueError with a short Japanese message that is shown next to the sheet row and column.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from karte.core import fiscal

# User-facing messages, kept together so they can be localised later.
MSG_INT = "整数で入力してください（「{value}」）"
MSG_DECIMAL = "数値で入力してください（「{value}」）"
MSG_BOOL = "○／×、有／無 などで入力してください（「{value}」）"
MSG_CHOICE = "次のいずれかを入力してください: {labels}（「{value}」）"

# Compared after NFKC, so full-width forms such as '－' are covered by their ASCII form.
BLANKS = frozenset({"", "-", "‐", "―", "—", "ー"})
NEGATIVE_SIGNS = ("-", "−", "▲", "△")
CURRENCY_PREFIXES = ("¥", "\\")
# Longest first so that 千円 is removed whole rather than leaving 千.
UNIT_SUFFIXES = ("千円", "件", "円", "人", "台", "個", "回", "社", "本")
THOUSANDS_SEPARATORS = re.compile(r"[,、]")
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
WHITESPACE = re.compile(r"\s+")
SHOWN_MAX = 30

TRUE_WORDS = frozenset(
    ("○", "〇", "◯", "✓", "✔", "有", "有り", "あり", "はい", "済", "申込済", "実施", "対象", "該当")
    + ("true", "yes", "y", "1")
)
FALSE_WORDS = frozenset(
    ("×", "✕", "無", "無し", "なし", "いいえ", "未", "未申込", "未実施", "対象外", "非該当")
    + ("false", "no", "n", "0")
)


def _shown(value: object) -> str:
    """Return the raw value as quoted in an error message, shortened."""
    text = str(value).strip()
    return text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX] + "…"


def _nfkc(value: object) -> str:
    """Return str(value) NFKC-normalised and stripped."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def to_text(v: object) -> str:
    """Return the cell as text as typed, stripped and with whitespace runs as one space; '' for None."""
    if v is None:
        return ""
    return WHITESPACE.sub(" ", str(v)).strip()


def text_within(limit: int, clean=to_text):
    """Return a parser of text cells (`clean` them) that refuses more than `limit` characters: a row error,
    not a database error at apply."""

    def parse(v: object) -> str:
        text = clean(v)
        if len(text) > limit:
            raise ValueError(f"{limit}文字以内で入力してください（{len(text)}文字あります）")
        return text

    return parse


def to_code(v: object) -> str:
    """Return the cell as a code: NFKC, no spaces, leading zeros kept; whole numbers without '.0'."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return WHITESPACE.sub("", _nfkc(v))


def _number(v: object, message: str, *, allow_percent: bool) -> Decimal | None:
    """Return the cell as a Decimal, None when blank; raise ValueError(message) otherwise."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(message.format(value=_shown(v)))
    if isinstance(v, int | Decimal):
        return Decimal(v)
    if isinstance(v, float):
        # repr() gives the shortest decimal that round-trips, e.g. 0.1 rather than 0.1000000000000000055…
        return Decimal(repr(v))
    text = WHITESPACE.sub("", _nfkc(v))
    if text in BLANKS:
        return None
    negative = text.startswith(NEGATIVE_SIGNS)
    if negative:
        text = text[1:]
    for prefix in CURRENCY_PREFIXES:
        text = text.removeprefix(prefix)
    percent = allow_percent and text.endswith("%")
    if percent:
        text = text[:-1]
    for suffix in UNIT_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    text = THOUSANDS_SEPARATORS.sub("", text)
    if not NUMBER.fullmatch(text):
        raise ValueError(message.format(value=_shown(v)))
    number = Decimal(text)
    if percent:
        number /= 100
    return -number if negative else number


def to_int(v: object) -> int | None:
    """Return the cell as an int, None when blank ('', '-', '―').

    Accepts '1,234', '１，２３４', '123件', '¥1,000', '▲5' (negative); rejects '1.5' and text.
    """
    number = _number(v, MSG_INT, allow_percent=False)
    if number is None:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(MSG_INT.format(value=_shown(v)))
    return int(number)


def to_decimal(v: object) -> Decimal | None:
    """Return the cell as a Decimal, None when blank.

    Accepts what to_int does plus decimals and a trailing '%', which divides by 100 as Excel
    does when '12.5%' is typed into a cell (so text and percent-formatted cells agree).
    """
    number = _number(v, MSG_DECIMAL, allow_percent=True)
    if number is not None and not number.is_finite():
        raise ValueError(MSG_DECIMAL.format(value=_shown(v)))
    return number


def to_bool(v: object) -> bool | None:
    """Return True for ○／有／はい …, False for ×／無／いいえ …, None when blank."""
    if v is None or isinstance(v, bool):
        return v
    key = _nfkc(v).lower()
    if key in BLANKS:
        return None
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise ValueError(MSG_BOOL.format(value=_shown(v)))


def to_fiscal_year(v: object) -> int | None:
    """Return the fiscal year the cell names (see fiscal.parse_fiscal_year), None when blank."""
    try:
        return fiscal.parse_fiscal_year(v)
    except fiscal.FiscalParseError as e:
        raise ValueError(str(e)) from e


def to_date(v: object) -> datetime.date | None:
    """Return the date the cell denotes (see fiscal.parse_date), None when blank."""
    try:
        return fiscal.parse_date(v)
    except fiscal.FiscalParseError as e:
        raise ValueError(str(e)) from e


def _choice_key(value: object) -> str:
    """Return value in the form choices are compared in: NFKC, no whitespace, case-folded."""
    return WHITESPACE.sub("", _nfkc(value)).casefold()


def to_choice(
    v: object,
    choices: Iterable[tuple[Any, Any]],
    aliases: dict[str, Any] | None = None,
) -> Any:
    """Return the choice value whose label, value or alias the cell matches; None when blank."""
    if v is None:
        return None
    key = _choice_key(v)
    if key in BLANKS:
        return None
    options = list(choices)
    lookup: dict[str, Any] = {}
    for value, label in options:
        lookup.setdefault(_choice_key(label), value)
        lookup.setdefault(_choice_key(value), value)
    for alias, value in (aliases or {}).items():
        lookup.setdefault(_choice_key(alias), value)
    if key in lookup:
        return lookup[key]
    labels = "、".join(str(label) for _, label in options)
    raise ValueError(MSG_CHOICE.format(labels=labels, value=_shown(v)))
