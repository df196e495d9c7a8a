"""The customer's own words as kept in a complaint: Chinese punctuation restored and the bare
"我要投诉" that started the complaint left out (pure rules).

The NLU normaliser makes punctuation half-width ("，" → ","), and the forms read the normalised
text; a complaint summary and the staff's case read better in the customer's punctuation.
"""

from __future__ import annotations

import re

_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
# Half-width punctuation next to a Chinese character (before or after it). "1,000" and "3.5"
# have digits on both sides and are left alone.
_NEXT_TO_CJK = re.compile(rf"(?<={_CJK})\s*([,;:?!()])|([,;:?!()])\s*(?={_CJK})")
_PERIOD_AFTER_CJK = re.compile(rf"(?<=[\u3400-\u9fff\uf900-\ufaff）」』”])\.(?=\s|$|{_CJK})")
_LEAD = re.compile(r"^\s*(?:我(?:要|想)|要|想)?投诉(?:一下)?(?:你们)?(?:银行)?[，,。.!！:：\s]*")


def chinese_punctuation(text: str) -> str:
    """ "柜台态度很差,让我等了1,000秒!" → "柜台态度很差，让我等了1,000秒！"."""
    text = _NEXT_TO_CJK.sub(lambda m: _FULL_WIDTH[m.group(1) or m.group(2)], text)
    return _PERIOD_AFTER_CJK.sub("。", text)


def without_trigger(text: str) -> str:
    """The message that started the complaint without its "我要投诉，" lead-in (the rest is
    what happened); unchanged when nothing would be left."""
    rest = _LEAD.sub("", text, count=1)
    return rest if rest.strip() else text


def as_told(text: str) -> str:
    return chinese_punctuation(text.strip())
