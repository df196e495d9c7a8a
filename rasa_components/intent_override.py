"""Overriding a message's predicted intent while keeping the classifier's ranking behind it."""

from __future__ import annotations

from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message


def put_intent_first(message: Message, intent: str) -> None:
    """Makes `intent` the prediction with full confidence, ahead of the rest of the ranking
    (each other intent once, so `rasa test nlu` can still undo a fallback)."""
    chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.data[INTENT] = chosen
    ranking = [
        entry for entry in message.data.get(INTENT_RANKING_KEY, []) if entry.get(INTENT_NAME_KEY) != intent
    ]
    message.data[INTENT_RANKING_KEY] = [chosen, *ranking]
