"""Mainland mobile numbers as customers type them (pure rules), written once for complaints,
call-backs and masking."""

from __future__ import annotations

import re

from .normalize import to_half_width

# 11 digits starting 13–19: every mainland mobile network (the second digit is never 0–2).
MOBILE_LEAD = r"1[3-9]"
MOBILE = re.compile(rf"{MOBILE_LEAD}\d{{9}}")
_WHOLE = re.compile(rf"^(?:\+?86)?({MOBILE.pattern})$")
_IN_TEXT = re.compile(rf"(?<!\d)(?:\+?86)?({MOBILE.pattern})(?!\d)")
# What people put between the digits of a number they type ("138 1234 5678", "(+86)138-…").
_SEPARATORS = re.compile(r"[\s\-()（）]")


def parse_mobile(text: str) -> str | None:
    """A mainland mobile number in the text ("138 1234 5678", "+86-13812345678"), or None."""
    match = _WHOLE.match(_SEPARATORS.sub("", to_half_width(text or "")))
    return match.group(1) if match else None


def find_mobile(text: str) -> str | None:
    """A mainland mobile anywhere in the message ("我的手机 138 1234 5678"), or None."""
    whole = parse_mobile(text)
    if whole:
        return whole
    match = _IN_TEXT.search(_SEPARATORS.sub("", to_half_width(text or "")))
    return match.group(1) if match else None


def mobile_digits(phone: str) -> str | None:
    """The 11 digits of a mobile number written with any punctuation ("+86 138-1234-5678",
    full-width), or None when they are not a mainland mobile."""
    digits = re.sub(r"\D", "", to_half_width(phone or ""))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None
