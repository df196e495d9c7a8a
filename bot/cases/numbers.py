"""Case numbers: "TS" + the date of receipt in Asia/Shanghai (yyyymmdd) + a 6-digit daily sequence,
e.g. TS20261123000123. Allocation (a counter row per day) lives in the service; this module formats
and reads numbers, including ones a customer typed ("ts 2026 1123 000123", full-width digits).
"""

from __future__ import annotations

import re
from datetime import date

from bot.text.normalize import to_half_width

PREFIX = "TS"
MAX_DAILY_SEQUENCE = 999_999

_NUMBER = re.compile(r"TS(\d{8})(\d{6})")
# In free text: optional TS, then 14 digits possibly split by spaces or hyphens.
_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])(?:TS)?[ -]?(\d{4}[ -]?\d{2}[ -]?\d{2}[ -]?\d{6})(?!\d)", re.I)


def format_case_number(received_on: date, sequence: int) -> str:
    """TS + yyyymmdd + the sequence on six digits."""
    if not 1 <= sequence <= MAX_DAILY_SEQUENCE:
        raise ValueError(f"daily sequence {sequence} out of range")
    return f"{PREFIX}{received_on:%Y%m%d}{sequence:06d}"


def _valid(digits: str) -> bool:
    try:
        date.fromisoformat(digits[:8])  # basic ISO format, yyyymmdd
    except ValueError:
        return False
    return int(digits[8:]) >= 1


def parse_case_number(text: str) -> str | None:
    """The canonical number for what a customer typed as a whole ("ts20261123000123",
    "TS 2026 1123 000123", full-width), or None when it is not a valid case number."""
    compact = re.sub(r"[\s\-－_]", "", to_half_width(text or "")).upper()
    if compact.isdigit():
        compact = PREFIX + compact
    match = _NUMBER.fullmatch(compact)
    if match is None or not _valid(match.group(1) + match.group(2)):
        return None
    return compact


def find_case_number(text: str) -> str | None:
    """The first valid case number inside a sentence ("我的单号是TS20261123000123"), or None."""
    for match in _IN_TEXT.finditer(to_half_width(text or "")):
        number = parse_case_number(match.group(1))
        if number:
            return number
    return None


def received_on(number: str) -> date:
    """The date of receipt encoded in a canonical case number."""
    return date.fromisoformat(number[2:10])
