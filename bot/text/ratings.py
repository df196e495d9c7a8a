"""A 1–5 satisfaction score as customers type it (pure rules), one reading for every rating the
assistant asks for: a complaint's answer and a person's service."""

from __future__ import annotations

import re

from .normalize import normalize_text
from .replies import clean_reply

# The words the rating prompts' scale suggests (5 = most satisfied).
RATING_WORDS = {
    "非常满意": 5,
    "很满意": 5,
    "满意": 4,
    "一般": 3,
    "还行": 3,
    "不满意": 2,
    "很不满意": 1,
    "非常不满意": 1,
}
_SCORE = re.compile(r"^([1-5一二三四五])\s*(?:分|星|颗星)?$")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
# A row of stars longer than this is not a score.
_MAX_STARS = 5


def parse_rating(text: str) -> int | None:
    """A 1–5 rating from "5", "5分", "４分", "五星", "★★★★", "非常满意"; None for anything else."""
    reply = clean_reply(normalize_text(text or ""))
    if not reply:
        return None
    if set(reply) == {"★"} and len(reply) <= _MAX_STARS:
        return len(reply)
    match = _SCORE.match(reply)
    if match:
        digit = match.group(1)
        return _CHINESE_DIGITS.get(digit) or int(digit)
    return RATING_WORDS.get(reply)
