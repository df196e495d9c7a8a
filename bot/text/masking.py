"""Personal-information masking (JR/T 0171-2020 display rules) and detection of secrets a customer
should never type.

- mobile 138****5678 (first 3, last 4); identity card 110101********1234 (first 6, last 4);
  bank card ****1234 (last 4); e-mail a***@example.com; name 张** (surname only).
- `mask_text` finds all of them in free Chinese text, full-width digits included. Detection runs
  on a half-width copy (one character for one, so positions match) in a fixed order: case numbers
  (TS + 14 digits) are protected first, then e-mail (a QQ mail may be a phone number), identity
  card before bank card (an 18-digit id would also look like a card), bank card before mobile.
  A span taken by an earlier kind is never matched again. Masked items are written half-width.
- Secrets typed after a keyword (密码/验证码/CVV …) are detected first and their value replaced by
  ****** so transcripts never keep them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .normalize import to_half_width

MOBILE = "mobile"
ID_CARD = "id_card"
BANK_CARD = "bank_card"
EMAIL = "email"
PASSWORD = "password"
VERIFICATION_CODE = "verification_code"
CARD_SECURITY_CODE = "card_security_code"

SENSITIVE_LABELS = {
    PASSWORD: "密码",
    VERIFICATION_CODE: "验证码",
    CARD_SECURITY_CODE: "卡片安全码",
    BANK_CARD: "银行卡号",
    ID_CARD: "身份证号",
}

# No digit or Latin letter may touch a number on either side (so "TS2026..." or an order number
# "A13812345678" is not a phone).
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"

_CASE_NUMBER = re.compile(r"(?<![A-Za-z])[Tt][Ss][ -]?\d{8}[ -]?\d{6}" + _END)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_ID_CARD_18 = re.compile(_START + rf"[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx]" + _END)
_ID_CARD_15 = re.compile(_START + rf"[1-9]\d{{5}}\d{{2}}{_DATE}\d{{3}}" + _END)
# 16–19 digits, run together or in groups of four separated by a space or a hyphen.
_BANK_CARD = re.compile(
    _START + r"(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)" + _END
)
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?P<prefix>(?:\+|00)?86[ -]?)?(?P<number>1[3-9]\d(?:[ -]?\d{4}){2})" + _END
)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", to_half_width(value))


def mask_mobile(number: str) -> str:
    """"13812345678" → "138****5678" (spaces, hyphens and full-width digits are accepted)."""
    digits = _digits(number)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_card(number: str) -> str:
    """"110101199001011234" → "110101********1234"; the 15-digit form keeps 6 + 4 as well."""
    value = re.sub(r"[\s-]", "", to_half_width(number)).upper()
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_bank_card(number: str) -> str:
    """"6222 0212 3456 7890 123" → "****0123" (only the last four digits stay)."""
    digits = _digits(number)
    return f"****{digits[-4:]}" if len(digits) >= 4 else "****"


def mask_email(address: str) -> str:
    """"alice@example.com" → "a***@example.com"."""
    local, at, domain = to_half_width(address).strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """"张三" → "张*", "欧阳娜娜" → "欧***": only the first character stays."""
    name = name.strip()
    return f"{name[:1]}{'*' * max(1, len(name) - 1)}" if name else ""


def _mask_phone_match(match: re.Match) -> str:
    return (match.group("prefix") or "") + mask_mobile(match.group("number"))


# A secret is a keyword, at most a few linking characters ("是", "：", "为", spaces), then the value.
_LINK = r"[\s:：=是为了,，\"“”'‘’]{0,6}"
_PASSWORD = re.compile(
    r"(?<!动态)(?<!短信)密码" + _LINK + r"(?P<value>[A-Za-z0-9!@#$%^&*._-]{6,20})" + _END
)
_PASSWORD_EN = re.compile(
    r"(?i)\b(?:password|pwd)\b\s*(?:is\b|[:=：])?\s*(?P<value>[^\s，。,]{6,})"
)
_VERIFICATION_CODE = re.compile(
    r"(?i)(?:验证码|校验码|动态码|动态密码|短信码|确认码|otp)" + _LINK + r"(?P<value>\d{4,8})" + _END
)
_SECURITY_CODE = re.compile(
    r"(?i)(?:cvv2?|cvn2?|安全码|卡背面?的?(?:三位数|3位数|数字))" + _LINK + r"(?P<value>\d{3})" + _END
)
SECRET_MASK = "******"


# Secrets: only the value after the keyword is replaced (group "value").
_SECRETS: list[tuple[str, re.Pattern]] = [
    (PASSWORD, _PASSWORD),
    (PASSWORD, _PASSWORD_EN),
    (VERIFICATION_CODE, _VERIFICATION_CODE),
    (CARD_SECURITY_CODE, _SECURITY_CODE),
]
_DETECTORS: list[tuple[str, re.Pattern, Callable[[re.Match], str]]] = [
    (EMAIL, _EMAIL, lambda m: mask_email(m.group(0))),
    (ID_CARD, _ID_CARD_18, lambda m: mask_id_card(m.group(0))),
    (ID_CARD, _ID_CARD_15, lambda m: mask_id_card(m.group(0))),
    (BANK_CARD, _BANK_CARD, lambda m: mask_bank_card(m.group(0))),
    (MOBILE, _MOBILE, _mask_phone_match),
]


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return all(span[1] <= start or span[0] >= end for start, end in taken)


def find_personal_information(text: str) -> list[tuple[str, int, int, str]]:
    """Every (kind, start, end, masked form) in the text, in text order."""
    half = to_half_width(text)
    taken = [match.span() for match in _CASE_NUMBER.finditer(half)]
    found = []
    for kind, pattern in _SECRETS:
        for match in pattern.finditer(half):
            if _free(match.span("value"), taken):
                taken.append(match.span("value"))
                found.append((kind, *match.span("value"), SECRET_MASK))
    for kind, pattern, masker in _DETECTORS:
        for match in pattern.finditer(half):
            if _free(match.span(), taken):
                taken.append(match.span())
                found.append((kind, match.start(), match.end(), masker(match)))
    return sorted(found, key=lambda item: item[1])


def mask_text(text: str) -> str:
    """The text with every phone, identity card, bank card, e-mail and typed secret masked."""
    parts, position = [], 0
    for _kind, start, end, masked in find_personal_information(text):
        parts.append(text[position:start])
        parts.append(masked)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def detect_sensitive(text: str) -> frozenset[str]:
    """Which secrets or sensitive numbers the customer typed: password, verification_code,
    card_security_code, bank_card, id_card (used to warn them never to send these)."""
    return frozenset(
        kind for kind, *_ in find_personal_information(text) if kind in SENSITIVE_LABELS
    )
