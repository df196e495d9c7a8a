"""Segment-aware search over Chinese text with jieba.

Messages are indexed with jieba's search mode (a long word also yields its parts: 信用卡 →
信用, 信用卡), a query is cut in precise mode, and a message matches when it holds every query
term. So 信用卡 finds "办信用卡" but not "信用良好"; 年费 finds "年費" too, because both sides
are normalised (traditional → simplified, full-width → half-width) before cutting.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from bot.config import PROJECT_ROOT
from bot.text.normalize import normalize_text

MAX_TERM_CHARS = 32
MAX_QUERY_TERMS = 8
_WORD = re.compile(r"\w", re.UNICODE)
_lock = threading.Lock()
_tokenizer = None


def _jieba():
    """jieba with the bank's user dictionary (the one the NLU pipeline uses), loaded once."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            tokenizer = jieba.Tokenizer()
            for path in sorted((PROJECT_ROOT / "data" / "dictionary").glob("*.txt")):
                tokenizer.load_userdict(str(path))
            tokenizer.initialize()
            _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Loads the segmenter and its dictionary before the first message needs them."""
    _jieba()


def _keep(token: str) -> str | None:
    token = token.strip().lower()
    if not token or not _WORD.search(token) or token.strip("_") == "":
        return None
    return token[:MAX_TERM_CHARS]


@lru_cache(maxsize=20000)
def index_terms(text: str) -> tuple[str, ...]:
    """The distinct terms a message is found by (search mode, normalised, punctuation dropped)."""
    terms: dict[str, None] = {}
    for token in _jieba().cut_for_search(normalize_text(text or "")):
        kept = _keep(token)
        if kept:
            terms[kept] = None
    return tuple(terms)


def query_terms(query: str) -> tuple[str, ...]:
    """The terms a query needs (precise mode); at most MAX_QUERY_TERMS."""
    terms: dict[str, None] = {}
    for token in _jieba().cut(normalize_text(query or "")):
        kept = _keep(token)
        if kept:
            terms[kept] = None
    return tuple(terms)[:MAX_QUERY_TERMS]
