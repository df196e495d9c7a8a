"""Suitability rules (DOMAIN_RULES.md): product level R_n suits customer level C_n when n ≤ the
customer's; assessments expire; customers aged 65+ get extra care for R4/R5."""

from __future__ import annotations

import calendar
import re
from datetime import datetime

from bot.text.normalize import normalize_text

CUSTOMER_LEVELS = ("C1", "C2", "C3", "C4", "C5")
PRODUCT_LEVELS = ("R1", "R2", "R3", "R4", "R5")
DEFAULT_VALIDITY_MONTHS = 12
SENIOR_AGE = 65
HIGH_RISK_LEVELS = ("R4", "R5")
PRODUCT_LEVEL_NAMES = {"R1": "低风险", "R2": "中低风险", "R3": "中风险", "R4": "中高风险", "R5": "高风险"}

_PRODUCT_LEVEL = re.compile(r"(?<![a-z])r\s*([1-5])(?!\d)", re.IGNORECASE)
_PRODUCT_LEVEL_WORDS = re.compile(r"风险等级(?:为|是)?\s*([1-5])\s*级?|([1-5])\s*级(?:风险|产品)")


def level_rank(level: str) -> int:
    """1 for C1/R1 … 5 for C5/R5."""
    if len(level) != 2 or level[0] not in "CR" or level[1] not in "12345":
        raise ValueError(f"not a risk level: {level!r}")
    return int(level[1])


def is_suitable(*, customer_level: str, product_level: str) -> bool:
    """A product suits a customer when its risk level is at or below the customer's level."""
    return level_rank(product_level) <= level_rank(customer_level)


def suitable_product_levels(customer_level: str) -> str:
    """The product levels a customer level may buy, as shown to customers: C3 → "R1–R3"."""
    top = PRODUCT_LEVELS[level_rank(customer_level) - 1]
    return "R1" if top == "R1" else f"R1–{top}"


def needs_senior_care(*, age: int | None, product_level: str) -> bool:
    """Customers aged 65 or over asking about high-risk products get a warning and a person."""
    return age is not None and age >= SENIOR_AGE and product_level in HIGH_RISK_LEVELS


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the last day of the month when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expires_at(taken_at: datetime, *, months: int = DEFAULT_VALIDITY_MONTHS) -> datetime:
    """When an assessment taken at `taken_at` stops being valid."""
    return add_months(taken_at, months)


def is_valid(*, expires: datetime, now: datetime) -> bool:
    return now < expires


def parse_product_level(text: str) -> str | None:
    """ "R4", "ｒ４", "风险等级3级", "五级风险" → "R4"/"R3"/"R5"; None when no level is named."""
    normalized = normalize_text(text)
    match = _PRODUCT_LEVEL.search(normalized)
    if match:
        return f"R{match.group(1)}"
    match = _PRODUCT_LEVEL_WORDS.search(
        normalized.replace("五", "5")
        .replace("四", "4")
        .replace("三", "3")
        .replace("二", "2")
        .replace("一", "1")
    )
    if match:
        return f"R{match.group(1) or match.group(2)}"
    return None
