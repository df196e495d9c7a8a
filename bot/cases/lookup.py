"""Reading what customers type when they look up a case (pure rules)."""

from __future__ import annotations

import re

from bot.text.masking import detection_copy
from bot.text.normalize import normalize_text, to_half_width

from .numbers import find_case_number as find_number_in_sentence
from .numbers import parse_case_number

_NUMBER_IN_TEXT = re.compile(r"ts[\s\-]*\d[\d\s\-]{12,24}", re.IGNORECASE)
_RATING = re.compile(r"^([1-5])(?:分|星|颗星)?$")
_STOP = re.compile(r"不查了|算了|取消|不用了|退出|不撤回了?|以后再说|跳过|不评价")


def find_case_number(text: str) -> str | None:
    """A case number anywhere in the message ("我的投诉TS20261123000123怎么样了", "编号
    20261123000123", read out "TS二零二六…"), canonical."""
    compact = detection_copy(text or "")  # half-width, digits read out in Chinese as digits
    match = _NUMBER_IN_TEXT.search(compact)
    if match:
        return parse_case_number(match.group(0))
    return find_number_in_sentence(compact) or parse_case_number(compact.strip())


def looks_like_case_number(text: str) -> bool:
    """Something the customer meant as a number (letters TS or 10+ digits), right or wrong."""
    compact = re.sub(r"\s", "", to_half_width(text or "")).lower()
    return compact.startswith("ts") or len(re.sub(r"\D", "", compact)) >= 10


def parse_last4(text: str) -> str | None:
    """Exactly four digits ("5678", "后四位是５６７８"), or None."""
    digits = re.findall(r"\d+", to_half_width(text or ""))
    return digits[0] if len(digits) == 1 and len(digits[0]) == 4 else None


def parse_rating(text: str) -> int | None:
    """A score of 1–5 ("5", "五分", "4星"), or None."""
    cleaned = re.sub(r"[\s。.!！]", "", normalize_text(text or ""))
    if len(cleaned) <= 3:  # "五分", "四星"
        cleaned = cleaned.translate(str.maketrans("一二三四五", "12345"))
    match = _RATING.match(cleaned)
    return int(match.group(1)) if match else None


def wants_to_stop(text: str) -> bool:
    return len(text or "") <= 12 and bool(_STOP.search(normalize_text(text or "")))
