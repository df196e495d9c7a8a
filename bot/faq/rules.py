"""How the assistant picks an FAQ answer from the response selector's ranking.

The selector's confidences are calibrated on held-out folds of the training data
(`rasa_components/linear_classifiers.py`): a whole question usually gets its topic above 0.85.
Below that, what matters is how far ahead of the runner-up the best topic is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Below this the best topic is a guess: ask the customer to say more.
MIN_CONFIDENCE = 0.08
# At or above this the best topic is answered whatever the runner-up has.
CONFIDENT_ENOUGH = 0.85
# A runner-up with at least this share of the best one's confidence is "close":
# the customer is asked "您是想咨询A，还是B？".
CLOSE_RATIO = 0.6
# A message of at most this many characters (punctuation aside) is a bare business word such as
# "理财", "信用卡" or "密码": it names a business, not a question. The selector, trained on whole
# questions, is over-sure on such words, so any runner-up with at least this confidence is
# offered ("挂失", "年费" leave the runner-up near 0 and are answered).
BARE_TERM_MAX_CHARS = 4
BARE_TERM_RUNNER_UP = 0.005
# Answers of these groups are about money moving between banks: a bank the customer names
# ("转到工行要多久") stays with the conversation's transfer answers until another business comes up.
BANK_CONTEXT_GROUPS = ("transfer",)


@dataclass(frozen=True)
class Choice:
    """Either one topic to answer, or two to offer, or neither (ask to rephrase)."""

    answer: str | None = None
    offer: tuple[str, str] | None = None


def is_bare_term(text: str | None) -> bool:
    """ "理财", "信用卡？" — a short word or two rather than a question."""
    core = re.sub(r"[\W_]+", "", text or "")
    return 0 < len(core) <= BARE_TERM_MAX_CHARS


def choose_topic(ranking: Sequence[tuple[str, float]], bare_term: bool = False) -> Choice:
    """Picks from (topic id, confidence) pairs, best first; `bare_term` for a message that is
    only a business word (`is_bare_term`)."""
    if not ranking or ranking[0][1] < MIN_CONFIDENCE:
        return Choice()
    best_id, best = ranking[0]
    if bare_term and len(ranking) > 1 and ranking[1][1] >= BARE_TERM_RUNNER_UP:
        return Choice(offer=(best_id, ranking[1][0]))
    if len(ranking) == 1 or best >= CONFIDENT_ENOUGH:
        return Choice(answer=best_id)
    second_id, second = ranking[1]
    if second >= CLOSE_RATIO * best:
        return Choice(offer=(best_id, second_id))
    return Choice(answer=best_id)


def bank_for_answer(
    *, topic_group: str | None, named_banks: Sequence[str], remembered: str | None
) -> str | None:
    """The other bank an answer is about: the one named in this message, else the one named
    earlier in the transfer questions; None for answers outside the transfer group."""
    if topic_group not in BANK_CONTEXT_GROUPS:
        return None
    return named_banks[0] if named_banks else remembered
