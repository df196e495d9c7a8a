"""Normalisation of Chinese customer text before NLU (the transcript keeps the original).

- traditional → simplified characters (OpenCC t2s), plus 帐 → 账 in its banking senses;
- full-width letters, digits and punctuation → half-width;
- Chinese numerals → digits where they count something ("二十万" → "200000", "五十多岁" →
  "50多岁", "第二个" → "第2个"), never in idioms ("千万别", "万一", "一下");
- long numbers read out digit by digit ("TS二零二六一一二三零零零一二三", "幺三八…") → digits, so
  they read like the same number typed.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an
from opencc import OpenCC

_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"
_DIGIT_CHARS = set("零〇一二两三四五六七八九")
# What may follow a numeral that counts something.
_UNITS = (
    "个月|万元|元|块|毛|角|岁|周岁|年|月|天|日|号|小时|分钟|倍|次|笔|期|张|位|成|%|多|左右|上下"
    "|以上|以下|以内|出头"
)
_NUMERAL_RUN = re.compile(
    rf"(?P<ordinal>第)(?P<ordinal_number>[{_NUMERAL_CHARS}]+)"
    rf"|(?P<number>[{_NUMERAL_CHARS}]+)(?=(?P<unit>{_UNITS})|[\s,.!?;:，。！？；：、]|$)"
)
# Runs that are words, not numbers.
_NOT_NUMBERS = {"万一", "一一", "一二", "十一", "千万", "万万", "一万万"}
_ZHANG = re.compile(r"(?<!蚊)帐(?![篷幕])")
# Digits read out one by one (spoken 幺 1, 洞 0, 拐 7, 勾 9 included); ten or more in a row are
# a number (a case, card or phone number), never a count or an amount.
_READ_OUT_DIGITS = {
    "零": "0",
    "〇": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "拐": "7",
    "八": "8",
    "九": "9",
    "勾": "9",
}
_READ_OUT_RUN = re.compile(f"[{''.join(_READ_OUT_DIGITS)}]{{10,}}")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def to_half_width(text: str) -> str:
    """Full-width ASCII variants (Ａ-Ｚ, ０-９, ！-～) and the ideographic space → half-width."""
    out = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def to_simplified(text: str) -> str:
    """Traditional → simplified characters, with 帐户/转帐/帐单 written as 账户/转账/账单."""
    return _ZHANG.sub("账", _t2s().convert(text))


def chinese_number(number: str) -> int | None:
    """ "二十万" → 200000, "一万五" → 15000; None when it is not a whole number."""
    try:
        value = cn2an.cn2an(number, "smart")
    except (ValueError, KeyError):
        return None
    return int(value) if float(value).is_integer() else None


def _numeral_to_digits(match: re.Match) -> str:
    if match.group("ordinal"):
        value = chinese_number(match.group("ordinal_number"))
        return match.group(0) if value is None else f"第{value}"
    number = match.group("number")
    if number in _NOT_NUMBERS or not (set(number) & _DIGIT_CHARS) and number != "十":
        return match.group(0)
    if not match.group("unit") and len(number) < 2:
        # A lone "一" or "二" before punctuation is rarely a quantity.
        return match.group(0)
    value = chinese_number(number)
    return match.group(0) if value is None else str(value)


def numerals_to_digits(text: str) -> str:
    """Chinese numerals that count something become Arabic digits."""
    return _NUMERAL_RUN.sub(_numeral_to_digits, text)


def all_numerals_to_digits(text: str) -> str:
    """Every run of Chinese numerals becomes digits, for short answers where each one is a
    quantity ("七十了" → "70了"); "百分之" is kept readable as "%之"."""

    def convert(match: re.Match) -> str:
        value = chinese_number(match.group(0))
        return match.group(0) if value is None else str(value)

    return re.sub(f"[{_NUMERAL_CHARS}]+", convert, text.replace("百分之", "%之"))


def read_out_numbers_to_digits(text: str) -> str:
    """ "二零二六一一二三零零零一二三" → "20261123000123" (runs of ten or more read-out digits)."""
    return _READ_OUT_RUN.sub(lambda m: "".join(_READ_OUT_DIGITS[c] for c in m.group(0)), text)


def normalize_text(text: str) -> str:
    """The text NLU sees: simplified, half-width, with counted numerals and read-out numbers as
    digits."""
    return numerals_to_digits(read_out_numbers_to_digits(to_simplified(to_half_width(text))))


_WHITESPACE = re.compile(r"\s+")


def comparable(text: str) -> str:
    """The text word lists are matched on: `normalize_text`, lower case, without spaces
    ("Apple Pay" → "applepay")."""
    return _WHITESPACE.sub("", normalize_text(text or "")).lower()
