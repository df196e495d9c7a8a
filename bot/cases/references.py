"""Case references (查询码): the unguessable key an anonymous customer uses to look up a case.

The visible case number (TS + date + daily sequence, bot.cases.numbers) is sequential and stays
what staff work with; anyone can guess it. A reference is 11 random symbols from Crockford's
base-32 alphabet (55 bits: about 3.6·10^16 values, so guessing one that exists is hopeless even
before the lockouts) plus one check symbol (Luhn mod 32: catches every single mistyped symbol and
every swap of two neighbours but "0Z"/"Z0"). It is shown in three groups, "K7M3-9XPD-2QHR"; typed forms are
read back leniently: lower case, full-width, spaces or hyphens anywhere, O for 0 and I/L for 1.
"""

from __future__ import annotations

import re
import secrets

from bot.text.normalize import to_half_width

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
RANDOM_SYMBOLS = 11
LENGTH = RANDOM_SYMBOLS + 1
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-－_—·.]")
# In a sentence: three groups of four, optionally separated by one space or hyphen.
_IN_TEXT = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4})[ \-]?([0-9A-Z]{4})[ \-]?([0-9A-Z]{4})(?![0-9A-Z])")


def check_symbol(body: str) -> str:
    """The Luhn mod 32 check symbol of `body` (symbols of ALPHABET)."""
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _well_formed(compact: str) -> bool:
    return (
        len(compact) == LENGTH
        and all(symbol in _VALUE for symbol in compact)
        # Never all digits: a reference is not read as a phone, card or case number.
        and not compact.isdigit()
        and check_symbol(compact[:-1]) == compact[-1]
    )


def new_reference() -> str:
    """A fresh random reference in its compact canonical form ("K7M39XPD2QHR")."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
        # Letters and digits both (never read as a number, nor as a word), and no leading "TS"
        # (the start of a case number).
        has_both = any(c.isdigit() for c in body) and any(c.isalpha() for c in body)
        if has_both and not body.startswith("TS"):
            return body + check_symbol(body)


def format_reference(reference: str) -> str:
    """ "K7M39XPD2QHR" → "K7M3-9XPD-2QHR", as customers are shown it."""
    return "-".join(reference[index : index + 4] for index in range(0, len(reference), 4))


def parse_reference(text: str) -> str | None:
    """The canonical reference for what a customer typed as a whole, or None when it is not one
    (wrong length, a symbol outside the alphabet, or a failed check symbol)."""
    compact = _SEPARATORS.sub("", to_half_width(text or "")).upper().translate(_READ_AS)
    return compact if _well_formed(compact) else None


def find_reference(text: str) -> str | None:
    """The first valid reference inside a sentence ("我的查询码是k7m3 9xpd 2qhr"), or None."""
    upper = to_half_width(text or "").upper()
    for match in _IN_TEXT.finditer(upper):
        reference = parse_reference("".join(match.groups()))
        if reference:
            return reference
    return None
