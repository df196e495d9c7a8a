"""Matching a customer's free answer to a questionnaire option (pure rules).

Accepted: the option letter ("B", "选b"), its number ("2", "第二个", "第2项"), the option's
words or keywords ("股票"), and for questions with a unit a quantity that falls in an option's
range ("我五十多了" → 51–64岁, "大概二十万" → 10万–30万元, "三成" → 30%). Anything else, or an
answer that fits several options, matches nothing: the assistant explains and asks again.
"""

from __future__ import annotations

import re

from bot.text.normalize import all_numerals_to_digits, normalize_text

from .questionnaire import LETTERS, Question

_SINGLE_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_FILLERS = re.compile(
    r"[\s,.!?;:，。！？；：、~～…]+|^(我选|选择|选|我的答案是|答案是|应该是|是)|(吧|啊|呀|呢|哦|嗯)$"
)
_LETTER = re.compile(rf"^(?:选项)?([{LETTERS}{LETTERS.lower()}])(?:项|选项)?$")
_ORDINAL = re.compile(r"^(?:第)?(\d|[一二两三四五六七八])(?:个|项|条|种)?(?:选项)?$")
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(多)?(万|千)?")
_NOT_AMOUNT_UNITS = set("年月天次个号日口家")


def _core(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _FILLERS.sub("", text)
    return text


def _quantity(text: str, unit: str) -> float | None:
    """The first amount in the text, in the question's unit; "多" adds half a step."""
    if unit == "percent":
        if "一半" in text:
            return 50.0
        text = all_numerals_to_digits(text)
        match = re.search(r"%之(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*%|(\d+(?:\.\d+)?)成", text)
        if match:
            if match.group(3):
                return float(match.group(3)) * 10
            return float(match.group(1) or match.group(2))
    text = all_numerals_to_digits(text)
    # "一年大概二十万": a number counting years, months or times is not the amount asked for.
    candidates = _QUANTITY.finditer(text)
    if unit != "years":
        candidates = (m for m in candidates if text[m.end() : m.end() + 1] not in _NOT_AMOUNT_UNITS)
    match = next(candidates, None)
    if not match:
        return None
    number = float(match.group(1))
    if match.group(2):  # "50多" is 50-59: take the middle
        digits = match.group(1).split(".")[0]
        step = 10 ** (len(digits) - len(digits.rstrip("0"))) if digits.endswith("0") else 1
        number += step / 2
    multiplier = {"万": 10_000, "千": 1_000}.get(match.group(3) or "", 1)
    value = number * multiplier
    if unit == "yuan" and multiplier == 1 and value < 1000:
        value *= 10_000  # "年收入20" means 20万 in a question asked in 万元 bands
    return value


def match_option(question: Question, answer: str) -> int | None:
    """The index of the option the answer chooses, or None when it is unclear."""
    text = normalize_text(answer).strip()
    core = _core(text)
    count = len(question.options)

    letter = _LETTER.match(core)
    if letter:
        index = LETTERS.index(letter.group(1).upper())
        return index if index < count else None

    # A bare small number is the option's position ("2" → B), even on questions with a unit:
    # the options are shown numbered, and nobody is 2 years old or earns 2 yuan.
    ordinal = _ORDINAL.match(core)
    if ordinal:
        raw = ordinal.group(1)
        index = (int(raw) if raw.isdigit() else _SINGLE_NUMERALS[raw]) - 1
        if 0 <= index < count:
            return index
        if not question.unit:
            return None

    for index, option in enumerate(question.options):
        if core and core == _core(normalize_text(option.label)):
            return index

    if question.unit:
        value = _quantity(text, question.unit)
        if value is not None:
            hits = [i for i, option in enumerate(question.options) if option.covers(value)]
            if len(hits) == 1:
                return hits[0]

    keyword_hits = {
        index
        for index, option in enumerate(question.options)
        for keyword in option.keywords
        if keyword and keyword in text
    }
    if len(keyword_hits) == 1:
        return keyword_hits.pop()
    return None
