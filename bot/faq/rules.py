"""How the assistant picks an FAQ answer from the response selector's ranking.

The selector spreads its confidence over ~90 topics, so a right answer often has 0.3–0.7;
what matters is how far ahead of the runner-up it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Below this the best topic is a guess: ask the customer to say more.
MIN_CONFIDENCE = 0.08
# At or above this the best topic is answered whatever the runner-up has.
CONFIDENT_ENOUGH = 0.85
# A runner-up with at least this share of the best one's confidence is "close":
# the customer is asked "您是想咨询A，还是B？".
CLOSE_RATIO = 0.6


@dataclass(frozen=True)
class Choice:
    """Either one topic to answer, or two to offer, or neither (ask to rephrase)."""

    answer: str | None = None
    offer: tuple[str, str] | None = None


def choose_topic(ranking: Sequence[tuple[str, float]]) -> Choice:
    """Picks from (topic id, confidence) pairs, best first."""
    if not ranking or ranking[0][1] < MIN_CONFIDENCE:
        return Choice()
    best_id, best = ranking[0]
    if len(ranking) == 1 or best >= CONFIDENT_ENOUGH:
        return Choice(answer=best_id)
    second_id, second = ranking[1]
    if second >= CLOSE_RATIO * best:
        return Choice(offer=(best_id, second_id))
    return Choice(answer=best_id)
