"""Cleaning of raw customer input before it is stored or understood."""

from __future__ import annotations

import re
import unicodedata

# Control and format characters other than line breaks and tabs; zero-width joiners are kept
# because emoji sequences need them.
_KEEP = {"\n", "\t", "\u200d", "\ufe0f"}


def clean_text(raw: str) -> str:
    """Removes invisible control characters and surrounding whitespace, keeping emoji intact."""
    kept = [
        char
        for char in raw
        if char in _KEEP or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co"}
    ]
    text = "".join(kept).replace("\t", " ")
    text = re.sub(r"[ \u3000]{2,}", " ", text)
    return text.strip()
