"""Cleaning of raw customer input before it is stored or understood."""

from __future__ import annotations

import re
import unicodedata

# Control and format characters other than line breaks and tabs; zero-width joiners are kept
# because emoji sequences need them.
_KEEP = {"\n", "\t", "\u200d", "\ufe0f"}


def _visible(char: str) -> bool:
    """False for what shows nothing on its own: spaces, joiners, format characters, variation
    selectors and other combining marks."""
    return not char.isspace() and unicodedata.category(char) not in {"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp"}


def clean_text(raw: str) -> str:
    """Removes invisible control characters and surrounding whitespace, keeping emoji intact.
    A text of invisible characters only (a zero-width joiner, a variation selector) is empty."""
    kept = [
        char for char in raw if char in _KEEP or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co"}
    ]
    text = "".join(kept).replace("\t", " ")
    text = re.sub(r"[ \u3000]{2,}", " ", text)
    if not any(_visible(char) for char in text):
        return ""
    return text.strip()
