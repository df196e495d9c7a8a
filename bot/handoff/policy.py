"""When the assistant should offer a person instead of asking the customer to rephrase again."""

from __future__ import annotations

from collections.abc import Sequence

# After this many misunderstood customer turns in a row the assistant offers a human agent.
MISUNDERSTANDINGS_BEFORE_OFFER = 2


def trailing_misunderstandings(turns_misunderstood: Sequence[bool]) -> int:
    """Counts the misunderstood turns at the end of a conversation (oldest turn first)."""
    count = 0
    for misunderstood in reversed(turns_misunderstood):
        if not misunderstood:
            break
        count += 1
    return count


def should_offer_person(turns_misunderstood: Sequence[bool]) -> bool:
    """True when the latest turns were misunderstood often enough in a row to offer a person."""
    return trailing_misunderstandings(turns_misunderstood) >= MISUNDERSTANDINGS_BEFORE_OFFER
