"""Personal-information masking (JR/T 0171-2020 display rules) and detection of secrets a customer
should never type.

- mobile 138****5678 (first 3, last 4); identity card 110101********1234 (first 6, last 4);
  bank card ****1234 (last 4); e-mail a***@example.com; name 张** (surname only).
- `mask_text` finds all of them in free Chinese text. Detection runs on a copy where full-width
  characters, dash variants (—, –, －) and digits read out in Chinese ("一三八…", spoken 幺/两/拐/
  洞/勾, financial 壹贰叁…) each become one ASCII character (one for one, so positions match).
  Groups may be split by spaces, hyphens or dots in the ways people write them (138 1234 5678,
  1381-234-5678, 1 3 8 1 …, 110101 1990 0307 1234, 6222 0212 3456 7890 123).
- Order: case numbers (TS + 14 digits) are protected first, then typed secrets, e-mail (a QQ
  mail may be a phone number), identity card (valid province code and birth date) before bank
  card, bank card before mobile. A span taken by an earlier kind is never matched again.
- What stays readable: amounts (a number followed by 元/块/万/% or decimals, or after ¥), dates,
  times, case numbers, hotlines (95588, 400/800 numbers, landlines: business numbers, not
  personal), short codes, card tails. A 16–19 digit run is a bank card unless a reference word
  (流水号, 订单号, 产品代码 …) stands nearer before it than a card word and it fails the Luhn
  check, or it starts with a date (20261123…, a serial number) and no card word precedes it.
  Privacy comes first: a run shaped like a mobile is masked even after 订单号.
- Secrets typed after a keyword (密码/验证码/CVV …) are replaced by ****** so transcripts never
  keep them. Masked items are written half-width.
- Names and addresses have no shape: they are masked where a label names them ("姓名：张伟" →
  "姓名：张*", "地址：北京市朝阳区建国路88号" → "地址：北京市朝阳区****"), and the answer to a
  form step that asked for them is masked whole (`mask_step_answer`, `PERSONAL_STEPS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from .normalize import to_half_width
from .phones import MOBILE_LEAD

MOBILE = "mobile"
ID_CARD = "id_card"
BANK_CARD = "bank_card"
EMAIL = "email"
PASSWORD = "password"
VERIFICATION_CODE = "verification_code"
CARD_SECURITY_CODE = "card_security_code"
NAME = "name"
ADDRESS = "address"
CASE_REFERENCE = "case_reference"

# Form steps that ask for personal information, by the step's name in the form's state slot
# (`stage` in complaint_draft, callback_state, case_lookup): the answer to such a step is masked
# whatever it looks like, since a name or an address has no shape a pattern could find.
PERSONAL_STEPS = {
    "name": NAME,
    "phone": MOBILE,
    "address": ADDRESS,
    "id_number": ID_CARD,
}

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
# Between two groups of digits: a space or two, or a hyphen or dot with optional spaces around.
_SEP = r"(?: {0,2}[.-] {0,2}| {1,2})"
_OPT = _SEP + "?"
# An amount, not a phone: decimals or a unit right after, a currency sign or a decimal point before.
_AMOUNT_AFTER = re.compile(r"\.\d| ?(?:元|块|万|亿|%|‰|美元|港币|人民币)")
_AMOUNT_BEFORE = re.compile(r"(?:[¥￥$]|\d\.|RMB|CNY) ?$", re.IGNORECASE)
_PHONE_WORD = re.compile(r"手机|电话|号码|联系|致电|回电|微信|tel|phone|mobile", re.IGNORECASE)

_CASE_NUMBER = re.compile(
    rf"(?<![A-Za-z])[Tt][Ss]{_OPT}\d{{4}}{_OPT}\d{{2}}{_OPT}\d{{2}}{_OPT}\d{{6}}" + _END
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)"
    r"(?: ?@ ?| ?[(\[（【]at[)\]）】] ?)"
    r"(?P<domain>[A-Za-z0-9-]+(?:[.。][A-Za-z0-9-]+)*[.。][A-Za-z]{2,})",
    re.IGNORECASE,
)
# 18 digits (the last may be X) in any grouping; validated by province code and birth date.
_ID_CARD_18 = re.compile(_START + rf"[1-9]\d(?:{_OPT}\d){{15}}{_OPT}[\dXx]" + _END)
_ID_CARD_15 = re.compile(_START + r"[1-9]\d{14}" + _END)
# 16–19 digits run together, in groups of four, 6 + the rest (as some banks print them), or
# every digit apart.
_BANK_CARD = re.compile(
    _START
    + rf"(?:\d{{16,19}}|\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_OPT}\d{{1,3}})?|\d{{6}}{_SEP}\d{{10,13}}"
    + r"|\d(?P<each>[ .-])\d(?:(?P=each)\d){14,17})"
    + _END
)
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])"
    + rf"(?P<prefix>(?:\+|00)?86{_OPT})?"
    + r"(?P<number>"
    + rf"{MOBILE_LEAD}\d{_OPT}\d{{4}}{_OPT}\d{{4}}"  # 3-4-4, 3-8, 7-4
    + rf"|{MOBILE_LEAD}\d\d{_SEP}\d{{3}}{_SEP}\d{{4}}"  # 4-3-4
    + r"|1(?P<each>[ .-])[3-9](?:(?P=each)\d){9}"  # every digit apart
    + r")"
    + _END
)

# Digits read out in Chinese: spoken forms (幺 1, 两 2, 拐 7, 洞 0, 勾 9) and the financial
# capitals (壹贰叁…) as well.
_CHINESE_DIGITS = {
    "〇": "0",
    "零": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "壹": "1",
    "二": "2",
    "两": "2",
    "兩": "2",
    "贰": "2",
    "貳": "2",
    "三": "3",
    "叁": "3",
    "參": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "陸": "6",
    "七": "7",
    "拐": "7",
    "柒": "7",
    "八": "8",
    "捌": "8",
    "九": "9",
    "勾": "9",
    "玖": "9",
}
_DIGIT_CLASS = "0-9" + "".join(_CHINESE_DIGITS)
# A run of at least seven digits, some in Chinese (shorter runs are counts and amounts: "三四个").
_SPOKEN_RUN = re.compile(rf"[{_DIGIT_CLASS}](?:{_OPT}[{_DIGIT_CLASS}]){{6,}}")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))

# Mainland province codes (first two digits of an identity card), plus 71/81/82/83 (Taiwan,
# Hong Kong, Macao residence permits) and 91 (foreigners' permanent residence).
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    ]
)
_CARD_WORD = re.compile(r"卡|card|账号|帐号|账户|帐户|account|acct|转入|转到|收款", re.IGNORECASE)
_REFERENCE_WORD = re.compile(
    r"流水|订单|交易号|参考号|编号|单号|合同|凭证|批次|申请号|工单|快递|运单|物流|发票|序列号|代码"
    r"|条码|serial|order|ref",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 12
# A labelled name or address ("姓名：张伟", "联系地址: 北京市…", as our own summaries write them) at
# the start of a line or phrase, or after 的; not "网点地址：" (a branch is not personal data).
_LABEL_START = r"(?:(?<![\u4e00-\u9fff])|(?<=的))"
_LABELLED_NAME = re.compile(
    _LABEL_START
    + r"(?:真实姓名|客户姓名|姓名|联系人|收件人)[ ]*:[ ]*(?P<value>[^\s\d:,.;!?()\[\]，。；！？、（）]{1,20})"
)
_LABELLED_ADDRESS = re.compile(
    _LABEL_START
    + r"(?:联系地址|通讯地址|家庭住址|居住地址|收货地址|邮寄地址|住址|地址)[ ]*:[ ]*(?P<value>[^\n;；。]{2,80})"
)
# Where an address stops being coarse: the first district, county or city ends the readable part.
_ADDRESS_AREA = re.compile(r"^.{1,12}?(?:区|县|市|旗)")


def detection_copy(text: str) -> str:
    """The text as the detectors read it: half-width, dashes as "-", and runs of digits read out
    in Chinese as ASCII digits; one character for one, so a match's span is the same in the
    original text."""
    half = to_half_width(text).translate(_DASHES)

    def spoken(match: re.Match) -> str:
        run = match.group(0)
        if not any(char in _CHINESE_DIGITS for char in run):
            return run
        return "".join(_CHINESE_DIGITS.get(char, char) for char in run)

    return _SPOKEN_RUN.sub(spoken, half)


def read_out_digits(text: str) -> str:
    """Every digit read out in Chinese ("九九八八", "幺三八", "贰零") as an ASCII digit, one
    character for one; for short numbers the caller knows are digits (a card tail, a case number)."""
    return "".join(_CHINESE_DIGITS.get(char, char) for char in to_half_width(text))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", detection_copy(value))


def _valid_birth_date(digits: str) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def _is_id_card(match: re.Match, _text: str) -> bool:
    value = re.sub(r"[^0-9Xx]", "", match.group(0))
    if value[:2] not in _PROVINCES:
        return False
    birth = value[6:14] if len(value) == 18 else "19" + value[6:12]
    return _valid_birth_date(birth)


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of card numbers (ISO/IEC 7812)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _plausible_issuer(digits: str) -> bool:
    """Card numbers start with 3 (JCB, Amex), 4 (Visa), 5 (Mastercard), 6 (UnionPay), 9 (old
    domestic cards) or 2221–2720 (Mastercard)."""
    return digits[0] in "34569" or 2221 <= int(digits[:4]) <= 2720


def _nearest_word_before(text: str, start: int) -> str | None:
    """ "card" or "reference", whichever kind of word stands nearest before a number."""
    window = text[max(0, start - _CONTEXT_CHARS) : start]
    card = max((m.end() for m in _CARD_WORD.finditer(window)), default=-1)
    reference = max((m.end() for m in _REFERENCE_WORD.finditer(window)), default=-1)
    if card < 0 and reference < 0:
        return None
    return "card" if card > reference else "reference"


def _is_bank_card(match: re.Match, text: str) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    word = _nearest_word_before(text, match.start())
    if word == "card":
        return True
    if word == "reference":
        return luhn_valid(digits) and _plausible_issuer(digits)
    if _valid_birth_date(digits[:8]) and digits[:2] in ("19", "20"):
        return False  # a serial number that starts with a date
    return luhn_valid(digits) or _plausible_issuer(digits)


def _is_mobile(match: re.Match, text: str) -> bool:
    """A mobile unless it reads as an amount ("13812345678.00", "￥13812345678") with no phone
    word before it."""
    start, end = match.span()
    if not (_AMOUNT_AFTER.match(text, end) or _AMOUNT_BEFORE.search(text[max(0, start - 4) : start])):
        return True
    return _PHONE_WORD.search(text[max(0, start - _CONTEXT_CHARS) : start]) is not None


def mask_mobile(number: str) -> str:
    """ "13812345678" → "138****5678" (spaces, hyphens and full-width digits are accepted)."""
    digits = _digits(number)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_card(number: str) -> str:
    """ "110101199001011234" → "110101********1234"; the 15-digit form keeps 6 + 4 as well."""
    value = re.sub(r"[^0-9X]", "", detection_copy(number).upper())
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_bank_card(number: str) -> str:
    """ "6222 0212 3456 7890 123" → "****0123" (only the last four digits stay)."""
    digits = _digits(number)
    return f"****{digits[-4:]}" if len(digits) >= 4 else "****"


def mask_email(address: str) -> str:
    """ "alice@example.com" → "a***@example.com"."""
    match = _EMAIL.search(to_half_width(address))
    if match is None:
        return "***"
    return _mask_email_match(match)


def mask_name(name: str) -> str:
    """ "张三" → "张*", "欧阳娜娜" → "欧***": only the first character stays."""
    name = name.strip()
    return f"{name[:1]}{'*' * max(1, len(name) - 1)}" if name else ""


def mask_address(address: str) -> str:
    """ "北京市朝阳区建国路88号" → "北京市朝阳区****": the area up to the first district, county
    or city stays, the rest goes; without one only the first two characters stay."""
    address = address.strip()
    if not address:
        return ""
    area = _ADDRESS_AREA.match(address)
    return f"{area.group(0) if area else address[:2]}****"


def _mask_digits(text: str, keep_last: int = 4) -> str:
    """Every digit (also read out in Chinese, or the X of an identity card) replaced by *, except
    the last `keep_last`; nothing else changes."""
    half = detection_copy(text)
    positions = [i for i, char in enumerate(half) if char.isdigit() or char in "Xx"]
    hidden = set(positions[: max(0, len(positions) - keep_last)])
    return "".join("*" if i in hidden else char for i, char in enumerate(text))


def mask_step_answer(kind: str, text: str) -> str:
    """The customer's answer to a form step that asked for personal information (`PERSONAL_STEPS`),
    masked whatever it looks like: a name keeps its first character, a phone or identity number
    at most its last four digits, an address its area; anything else in the answer goes too."""
    text = text.strip()
    if kind == NAME:
        return mask_name(text)
    if kind in (MOBILE, ID_CARD):
        return _mask_digits(mask_text(text))
    if kind == ADDRESS:
        return mask_address(mask_text(text))
    return "*" * len(text)


def _mask_phone_match(match: re.Match) -> str:
    return (match.group("prefix") or "") + mask_mobile(match.group("number"))


def _mask_email_match(match: re.Match) -> str:
    """The local part's first character, then the domain written with ordinary dots."""
    return f"{match.group('local')[:1]}***@{match.group('domain').replace('。', '.')}"


# A secret is a keyword, at most a few linking characters ("是", "：", "为", spaces), then the value.
_LINK = r"[\s:：=是为了,，\"“”'‘’]{0,6}"
_PASSWORD = re.compile(r"(?<!动态)(?<!短信)密码" + _LINK + r"(?P<value>[A-Za-z0-9!@#$%^&*._-]{6,20})" + _END)
_PASSWORD_EN = re.compile(r"(?i)\b(?:password|pwd)\b\s*(?:is\b|[:=：])?\s*(?P<value>[^\s，。,]{6,})")
_VERIFICATION_CODE = re.compile(
    r"(?i)(?:验证码|校验码|动态码|动态密码|短信码|确认码|otp)" + _LINK + r"(?P<value>\d{4,8})" + _END
)
_SECURITY_CODE = re.compile(
    r"(?i)(?:cvv2?|cvn2?|安全码|卡背面?的?(?:三位数|3位数|数字))" + _LINK + r"(?P<value>\d{3})" + _END
)
SECRET_MASK = "******"


# A complaint's reference (查询码, bot.cases.references): three groups of four letters and digits.
# It opens the case to anyone who also knows the phone's last four digits, so staff see only
# its last group. Tokens without a digit are words, never references.
_CASE_REFERENCE = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-Za-z]{4}[ -]?[0-9A-Za-z]{4}[ -]?[0-9A-Za-z]{4}(?![0-9A-Za-z])"
)


def _is_case_reference(match: re.Match, _text: str) -> bool:
    from bot.cases.references import parse_reference  # the rule lives with the cases

    token = match.group(0)
    return any(char.isdigit() for char in token) and parse_reference(token) is not None


def _mask_case_reference(match: re.Match) -> str:
    return "****-****-" + re.sub(r"[ -]", "", match.group(0))[-4:].upper()


# Secrets: only the value after the keyword is replaced (group "value").
_SECRETS: list[tuple[str, re.Pattern]] = [
    (PASSWORD, _PASSWORD),
    (PASSWORD, _PASSWORD_EN),
    (VERIFICATION_CODE, _VERIFICATION_CODE),
    (CARD_SECURITY_CODE, _SECURITY_CODE),
]
Validator = Callable[[re.Match, str], bool]
_DETECTORS: list[tuple[str, re.Pattern, Callable[[re.Match], str], Validator | None]] = [
    (EMAIL, _EMAIL, _mask_email_match, None),
    (ID_CARD, _ID_CARD_18, lambda m: mask_id_card(m.group(0)), _is_id_card),
    (ID_CARD, _ID_CARD_15, lambda m: mask_id_card(m.group(0)), _is_id_card),
    (BANK_CARD, _BANK_CARD, lambda m: mask_bank_card(m.group(0)), _is_bank_card),
    (MOBILE, _MOBILE, _mask_phone_match, _is_mobile),
    (CASE_REFERENCE, _CASE_REFERENCE, _mask_case_reference, _is_case_reference),
]


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return all(span[1] <= start or span[0] >= end for start, end in taken)


def _matches(pattern: re.Pattern, text: str, accept: Callable[[re.Match], bool]):
    """Accepted matches, left to right; after a refused one the search goes on from the next
    character (not past the refused span), so "5000 110101199003071234" still finds the id."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        if accept(match):
            yield match
            position = max(match.end(), match.start() + 1)
        else:
            position = match.start() + 1


def find_personal_information(text: str) -> list[tuple[str, int, int, str]]:
    """Every (kind, start, end, masked form) in the text, in text order."""
    half = detection_copy(text)
    taken = [match.span() for match in _CASE_NUMBER.finditer(half)]
    found = []
    for kind, pattern in _SECRETS:
        for match in _matches(pattern, half, lambda m: _free(m.span("value"), taken)):
            taken.append(match.span("value"))
            found.append((kind, *match.span("value"), SECRET_MASK))
    for kind, pattern, masker in (
        (NAME, _LABELLED_NAME, mask_name),
        (ADDRESS, _LABELLED_ADDRESS, mask_address),
    ):
        for match in _matches(pattern, half, lambda m: _free(m.span("value"), taken)):
            start, end = match.span("value")
            taken.append((start, end))
            found.append((kind, start, end, masker(text[start:end])))
    for kind, pattern, mask_match, valid in _DETECTORS:

        def accept(match: re.Match, valid=valid) -> bool:
            return _free(match.span(), taken) and (valid is None or valid(match, half))

        for match in _matches(pattern, half, accept):
            taken.append(match.span())
            found.append((kind, match.start(), match.end(), mask_match(match)))
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
    return frozenset(kind for kind, *_ in find_personal_information(text) if kind in SENSITIVE_LABELS)
