"""Predicts `nlu_fallback` when a message shares no word with the training data.

The intent classifier always picks some intent and can be confident on text it has never seen
anything like (gibberish, random digits, emoji-only, Latin letters): a softmax over a closed set of
intents. A message without a single known word cannot have been understood, so the assistant
should ask the customer to rephrase instead of guessing.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.intent_override import put_intent_first

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"
TOKENS_KEY = "text_tokens"


def is_word(token: str) -> bool:
    """True for tokens that carry meaning: letters or digits, not punctuation, spaces or emoji."""
    return any(unicodedata.category(char)[0] in {"L", "N"} for char in token)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsFallback(GraphComponent, IntentClassifier):
    """Overrides the intent with `nlu_fallback` when no token of the message is known."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or set()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsFallback:
        return cls(config, model_storage, resource)

    @staticmethod
    def _words(message: Message) -> list[str]:
        return [t.text.lower() for t in message.get(TOKENS_KEY, []) if is_word(t.text)]

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary: set[str] = set()
        for example in training_data.intent_examples:
            vocabulary.update(self._words(example))
        self._vocabulary = vocabulary
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        logger.info("UnknownWordsFallback knows %d words", len(vocabulary))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsFallback:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("UnknownWordsFallback has no vocabulary; it will not intervene")
            words = []
        return cls(config, model_storage, resource, set(words))

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._vocabulary:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload naming an intent directly
            if any(word in self._vocabulary for word in self._words(message)):
                continue
            put_intent_first(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
