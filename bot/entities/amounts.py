"""Sums of money as customers write them → a number (pure rules).

"5000元" → 5000, "两万" → 20000, "1.5万" → 15000, "¥59.9" → 59.9, "1,280元" → 1280,
"3000多块" → 3000 (approximate), "2w" → 20000, "一万二" → 12000, "三千五" → 3500.
Chinese numerals are read by cn2an through bot.text.normalize.chinese_number, as the normaliser
reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.text.normalize import chinese_number, to_half_width

# Larger sums are not what a customer of a retail bank means (a number misread as money).
MAX_AMOUNT = Decimal(10) ** 12
MAGNITUDES = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "亿": 100_000_000, "百": 100}
_YUAN = re.compile(r"(?:元钱|块钱|元整|元|块|圆)$")
_SYMBOL = re.compile(r"^(?:¥|￥|rmb|cny)\s*", re.IGNORECASE)
_APPROXIMATE = re.compile(r"(?:多|余|来|左右)$")
_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # "CNY" when 元, 块 or ¥ says so; a CURRENCY entity may say another
    approximate: bool = False

    @property
    def text_value(self) -> str:
        """The value as plain decimal text ("5000", "59.9")."""
        return format(self.value.normalize(), "f")


def _number(text: str) -> Decimal | None:
    if _DIGITS.match(text):
        return Decimal(text)
    value = chinese_number(text)
    return Decimal(value) if value is not None else None


def parse_amount(text: str) -> Amount | None:
    """The sum a piece of text names, or None when it is not a sum."""
    rest = to_half_width(text or "").strip().replace(",", "").replace(" ", "")
    currency = None
    if _SYMBOL.search(rest):
        rest, currency = _SYMBOL.sub("", rest), "CNY"
    approximate = False
    changed = True
    while changed and rest:  # "3000多块", "两万多元", "五百来块钱"
        changed = False
        if _YUAN.search(rest):
            rest, currency, changed = _YUAN.sub("", rest), "CNY", True
        if _APPROXIMATE.search(rest):
            rest, approximate, changed = _APPROXIMATE.sub("", rest), True, True
    multiplier = 1
    if rest and rest[-1].lower() in MAGNITUDES and _DIGITS.match(rest[:-1] or "x"):
        multiplier, rest = MAGNITUDES[rest[-1].lower()], rest[:-1]
    if not rest:
        return None
    try:
        number = _number(rest)
    except InvalidOperation:
        return None
    if number is None:
        return None
    value = number * multiplier
    if value <= 0 or value >= MAX_AMOUNT:
        return None
    return Amount(value=value, currency=currency, approximate=approximate)
