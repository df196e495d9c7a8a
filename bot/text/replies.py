"""Short replies customers give to a yes/no question, shared by every guided flow (pure rules)."""

from __future__ import annotations

import re

from .normalize import normalize_text

_PUNCTUATION = re.compile(r"[\s,.!?;:，。！？；：、~～…\"'“”]+")

# Words that confirm what the assistant just asked ("确定要退出吗？" → "确定").
CONFIRM_WORDS = frozenset(
    {
        "是",
        "是的",
        "对",
        "对的",
        "没错",
        "确认",
        "确定",
        "确认提交",
        "提交",
        "好",
        "好的",
        "可以",
        "正确",
        "嗯",
        "没问题",
    }
)


def clean_reply(text: str) -> str:
    """Normalised, lower-case, without spaces or punctuation: "确定。" → "确定", "ＯＫ" → "ok"."""
    return _PUNCTUATION.sub("", normalize_text(text or "")).lower()


def is_confirmation(text: str) -> bool:
    return clean_reply(text) in CONFIRM_WORDS
