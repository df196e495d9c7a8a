"""How the entity pipeline cuts text into tokens (pure Python; jieba, no spaCy).

The entity_ruler matches whole tokens, so the cut decides what a pattern can see. Plain jieba glues
units to their neighbours ("5000元到" → "5000" "元到", "两万块" as one word, "昨天下午" as one
word), which no token pattern can take apart. This cut is made for the patterns:

1. runs of ASCII digits (with "." "," ":" inside: 1.5, 1,280, 15:30), of ASCII letters, and of
   Chinese numerals (两万, 二零二六…) are tokens of their own, whatever surrounds them;
2. the rest goes through jieba without its HMM guesser (no invented words such as "元到"), with
   the bank dictionary (data/dictionary/) and the entity vocabulary loaded: every phrase of the
   patterns and data/entities/segmentation.txt, where a frequency of 0 forbids a word (周末 is
   cut 周 + 末, so weekday patterns see the same tokens in 周五 and 周末).

The vocabulary lives in a private overlay over jieba's shared dictionary: the Rasa JiebaTokenizer
in the same process uses the global jieba, and the words added here must not change the intent
classifier's features. The overlay costs a few kilobytes; a second full jieba dictionary would
cost ~70 MB.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import ChainMap
from collections.abc import Iterable, Iterator

import jieba

CHINESE_NUMERALS = "零〇一二两三四五六七八九十百千万亿幺"
# A word the patterns rely on outweighs any word of jieba's general dictionary.
FORCED_FREQUENCY = 1_000_000

_PIECES = re.compile(
    r"(?P<number>\d+(?:[.,:]\d+)*)"
    r"|(?P<latin>[A-Za-z]+)"
    rf"|(?P<numeral>[{CHINESE_NUMERALS}]+)"
    r"|(?P<space>\s+)"
    rf"|(?P<other>[^\sA-Za-z\d{CHINESE_NUMERALS}]+)"
)
_init_lock = threading.Lock()


def _shared_jieba() -> jieba.Tokenizer:
    """jieba's global dictionary, loaded once per process (quietly)."""
    with _init_lock:
        if not jieba.dt.initialized:
            jieba.setLogLevel(logging.WARNING)
            jieba.dt.initialize()
    return jieba.dt


class Segmenter:
    """Cuts text for the entity patterns; `words` are (word, frequency) pairs to add."""

    def __init__(self, words: Iterable[tuple[str, int]] = ()) -> None:
        shared = _shared_jieba()
        self._jieba = jieba.Tokenizer()
        self._jieba.FREQ = ChainMap({}, shared.FREQ)
        self._jieba.total = shared.total
        self._jieba.initialized = True
        self.words: list[tuple[str, int]] = []
        self.add_words(words)

    def add_words(self, words: Iterable[tuple[str, int]]) -> None:
        # What jieba's add_word does, minus its side effect: for a frequency of 0 it also adds the
        # word to the HMM's global force-split list, which the NLU's jieba would then obey.
        frequencies = self._jieba.FREQ
        for word, frequency in words:
            word = word.strip()
            if not word:
                continue
            frequencies[word] = frequency
            self._jieba.total += frequency
            for end in range(1, len(word)):
                if word[:end] not in frequencies:
                    frequencies[word[:end]] = 0
            self.words.append((word, frequency))

    def cut(self, text: str) -> Iterator[str]:
        """The tokens of `text`, whitespace left out (spaCy keeps it as token whitespace)."""
        for match in _PIECES.finditer(text):
            kind = match.lastgroup
            if kind == "space":
                continue
            if kind == "other":
                yield from (word for word in self._jieba.cut(match.group(), HMM=False) if not word.isspace())
            else:
                yield match.group()


def pieces_for_dictionary(phrase: str) -> list[str]:
    """The parts of a pattern phrase jieba will see (its non-digit, non-Latin, non-numeral runs)."""
    return [m.group() for m in _PIECES.finditer(phrase) if m.lastgroup == "other"]


def read_dictionary(text: str) -> list[tuple[str, int]]:
    """(word, frequency) pairs from jieba's dictionary format: "word [frequency] [tag]" lines."""
    words = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        frequency = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else FORCED_FREQUENCY
        words.append((parts[0], frequency))
    return words
