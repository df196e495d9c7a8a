"""What an action did for one customer message, so that a message delivered twice does it once.

The API resends a message Rasa may already have handled (its process died mid-turn, or Rasa gave
up waiting for an action that went on and finished). A resent message carries the API's message
id again, and an action that changes records (files a complaint, stores an assessment) looks here
first: if it already ran for this message, it answers from the record it made then instead of
making a second one. A row holds identifiers only (a case number, an assessment id), no customer
text; it goes with its conversation when the conversation is purged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import utcnow

from .models import ActionEffect

R = TypeVar("R")


@dataclass(frozen=True)
class EffectKey:
    """One action's run for one message of one conversation."""

    conversation_id: str
    message_id: str
    action: str


def recall(*, session: Session, key: EffectKey) -> str | None:
    """The record the action made for this message, or None when it has not run for it."""
    return session.scalar(
        select(ActionEffect.record).where(
            ActionEffect.conversation_id == key.conversation_id,
            ActionEffect.message_id == key.message_id,
            ActionEffect.action == key.action,
        )
    )


def remember(*, session: Session, key: EffectKey, record: str) -> None:
    """Notes the record the action made, in the transaction that made it: a second run for the
    same message that raced this one fails on the unique key and changes nothing."""
    session.add(
        ActionEffect(
            conversation_id=key.conversation_id,
            message_id=key.message_id,
            action=key.action,
            record=record,
            created_at=utcnow(),
        )
    )
    session.flush()


def once(
    *,
    session: Session,
    key: EffectKey | None,
    make: Callable[[], R],
    record_of: Callable[[R], str],
    find: Callable[[str], R],
) -> R:
    """`make()` the first time this action runs for this message; afterwards `find()` what it
    made then. Without a key (a message that did not come through the API) it always makes."""
    earlier = recall(session=session, key=key) if key is not None else None
    if earlier is not None:
        return find(earlier)
    made = make()
    if key is not None:
        remember(session=session, key=key, record=record_of(made))
    return made
