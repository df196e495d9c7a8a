"""Reads a grievance about a subject with an FAQ topic as dissatisfaction, not as that topic.

"柜台让我等了两个小时", "没通知就扣了我年费", "客服电话永远打不通": the subject words (柜台, 年费,
客服电话) tie the message to a topic and the classifiers answer it, while the customer wants an
apology and the complaint or a person (utter_dissatisfaction_offer). The rule is
`bot.grievance.grievance` (its markers: bot/grievance/markers.yml); this component applies it to
the intents in `overridable` (an FAQ topic, small talk, a fragment, the fallback): the intent
becomes express_dissatisfaction, or complain when the customer also asks to complain ("年费乱扣，
我要投诉"), with full confidence. Left alone: complaints and dissatisfaction already, person
requests, other companies' products (out_of_scope), yes/no and form answers, follow-ups; an FAQ
topic of the fraud group (a scam victim's "骗人" keeps the fraud answer) or the complaint
channels ("投诉柜员态度差去哪反映": the answer's button starts the complaint), and urgent signals (the
fraud or distress handling applied after this component decides). Button payloads ("/…") are
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
from bot.grievance import grievance
from bot.handoff.conversation import urgent_reason
from rasa_components.intent_override import put_intent_first
from rasa_components.other_products import predicted_topic


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class Grievances(GraphComponent, IntentClassifier):
    """Overrides an FAQ topic, small talk, a fragment or the fallback with express_dissatisfaction
    (or complain) when the message is a grievance (bot.grievance.grievance)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "overridable": ["faq", "chitchat", "fragment", DEFAULT_NLU_FALLBACK_INTENT_NAME],
            # FAQ topics of these groups keep their answer whatever the wording.
            "kept_groups": ["fraud"],
            # ... and these topics: asking where to complain about a grievance ("投诉柜员态度差去哪
            # 反映") gets the channels, with the button that starts the complaint here.
            "kept_topics": ["complaint_channels"],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._overridable = set(config["overridable"])
        self._kept_groups = set(config["kept_groups"])
        self._kept_topics = set(config["kept_topics"])
        self._catalog = load_catalog()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Grievances:
        return cls({**cls.get_default_config(), **config})

    def _kept_topic(self, message: Message) -> bool:
        topic = predicted_topic(message)
        entry = self._catalog.topic(topic)
        return topic in self._kept_topics or (entry is not None and entry.group in self._kept_groups)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if not text or text.startswith("/") or intent not in self._overridable:
                continue
            reading = grievance(text)
            if reading is None or urgent_reason(text) is not None:
                continue
            if intent == "faq" and self._kept_topic(message):
                continue
            put_intent_first(message, reading)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
