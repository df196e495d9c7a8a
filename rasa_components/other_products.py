"""Questions about other companies' products get the scope statement, not a neighbouring FAQ.

The classifiers learn topics from words: "Apple Pay里的卡被删了" shares 卡 and 删 with our card
topics, "花呗额度为什么降了" shares 额度 with our credit line. When the message names another
company's product (bot/scope/other_products.yml), does not name our bank, shows no money at
stake (a deduction, a refund not arrived, a theft), and the predicted FAQ topic (or the fallback)
does not serve it, the intent becomes `out_of_scope` with full confidence; the rule itself is
`bot.scope.other_product`. A `fragment` naming such a product ("Apple Pay里的卡自己没了") is not
context-free either: it gets the scope statement too. Intents other than faq, chitchat, fragment and
the fallback (a complaint, asking for a person, an urgent signal applied later in the pipeline) are
left alone.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.faq.catalog import load_catalog
from bot.scope import other_product
from rasa_components.intent_override import put_intent_first

OVERRIDABLE = {"faq", "chitchat", "fragment", DEFAULT_NLU_FALLBACK_INTENT_NAME}


def predicted_topic(message: Message) -> str | None:
    """The FAQ topic the response selector put first ("card_lost"), if any."""
    # The linear response selector answers under Rasa's "default" selector name (one selector for
    # faq/* and chitchat/*), so look at every selector rather than one by name.
    for selector in (message.get("response_selector") or {}).values():
        if not isinstance(selector, dict):
            continue
        key = ((selector.get("response") or {}).get("intent_response_key")) or ""
        if not key:
            ranking = selector.get("ranking") or []
            key = ranking[0].get("intent_response_key", "") if ranking else ""
        if key.startswith("faq/"):
            return key.split("/", 1)[1]
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OtherCompanyProducts(GraphComponent, IntentClassifier):
    """Overrides faq/chitchat/fallback with `out_of_scope_intent` for other companies' products."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"out_of_scope_intent": "out_of_scope"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._intent = config["out_of_scope_intent"]
        self._catalog = load_catalog()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherCompanyProducts:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if not text or text.startswith("/") or intent not in OVERRIDABLE:
                continue
            topic = predicted_topic(message) if intent == "faq" else None
            entry = self._catalog.topic(topic)
            if other_product(text, topic, entry.group if entry else None):
                put_intent_first(message, self._intent)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
