"""Routes messages with signs of distress or fraud to a person, whatever the classifier guessed.

"我真的不想活了" must reach the distress answer (110/120/12356) and the front of the agents'
queue every time, not only when the statistical model happens to pick an intent whose action
looks for such signs. The signs themselves are a domain rule (`bot.handoff.conversation
.urgent_reason`); this component only makes sure the message lands on an intent that runs it:
when the predicted intent is not one of `aware_intents` (whose actions already check for urgent
signs: the FAQ answer, out-of-scope, the fallback and the person request itself), the intent
becomes `urgent_intent` with full confidence. Button payloads ("/…") are left alone.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.handoff.conversation import urgent_reason
from rasa_components.intent_override import put_intent_first


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UrgentSignals(GraphComponent, IntentClassifier):
    """Overrides the intent with `urgent_intent` for urgent messages the predicted intent's
    action would not escalate."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "urgent_intent": "request_human",
            "aware_intents": ["request_human", "faq", "out_of_scope", "nlu_fallback"],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._urgent_intent = config["urgent_intent"]
        self._aware_intents = set(config["aware_intents"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UrgentSignals:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or urgent_reason(text) is None:
                continue
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if predicted in self._aware_intents:
                continue
            put_intent_first(message, self._urgent_intent)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
