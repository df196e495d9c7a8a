"""Reads a context-free fragment ("为什么不能用了", "怎么还没到", "开不了") as `fragment`.

The classifiers pick a topic from a generic verb (还, 开, 到, 用) or read "开不了" as a no; a
message that names nothing a topic could be about is a fragment, whatever they guessed: after an
FAQ answer the dialogue reads it as a follow-up of that topic, otherwise it asks what the customer
means (actions/conversation.py). The rule and its word classes are `bot.fragments`; this component
computes the lexicon (topic terms, fragment words, yes/no wordings) from the training data, the
FAQ catalogue, the jieba dictionary and the entity patterns at training time, and overrides only
the intents in `overridable` (an FAQ topic, a yes/no, the fallback, and withdrawing a complaint:
a bare "取消吧" names no complaint). Greetings, thanks, goodbye,
small talk, out-of-scope, complaints and dissatisfaction, person requests, follow-ups ("要多久"
is read against the last answer by its own action) and form answers keep their intent; urgent
signals are applied after this component.
"""

from __future__ import annotations

import json
import logging
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
from bot.fragments import Lexicon, build_lexicon, is_fragment, known_terms, names_platform
from rasa_components.intent_override import put_intent_first

logger = logging.getLogger(__name__)

LEXICON_FILE = "fragment_lexicon.json"
TOKENS_KEY = "text_tokens"


def _words(message: Message) -> list[str]:
    return [token.text for token in message.get(TOKENS_KEY, [])]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ContextFreeFragments(GraphComponent, IntentClassifier):
    """Overrides an FAQ topic, a yes/no or the fallback with `fragment` when the message names
    nothing (bot.fragments.is_fragment)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "fragment_intent": "fragment",
            # complaint_withdraw: a bare "取消吧" names no complaint to withdraw ("撤回投诉" names one).
            "overridable": ["faq", "affirm", "deny", "complaint_withdraw", DEFAULT_NLU_FALLBACK_INTENT_NAME],
            # out_of_scope only when the message names a platform and nothing else ("微信上为什么没有"):
            # 微信 or 苹果 made the classifiers think of another company, but nothing is asked of it.
            "overridable_with_platform": ["out_of_scope"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: Lexicon | None = None,
    ) -> None:
        self._config = config
        self._intent = config["fragment_intent"]
        self._overridable = set(config["overridable"])
        self._overridable_with_platform = set(config.get("overridable_with_platform", ()))
        self._model_storage = model_storage
        self._resource = resource
        self._lexicon = lexicon

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ContextFreeFragments:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        labelled = [
            (example.get(INTENT), example.get(TEXT) or "", _words(example))
            for example in training_data.intent_examples
        ]
        titles = [topic.title for topic in load_catalog().topics.values()]
        self._lexicon = build_lexicon(
            labelled, known_terms=known_terms(titles=titles), fragment_label=self._intent
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(
                json.dumps(
                    {
                        "terms": sorted(self._lexicon.terms),
                        "fragment_words": sorted(self._lexicon.fragment_words),
                        "yes_no_wordings": sorted(self._lexicon.yes_no_wordings),
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
        logger.info(
            "ContextFreeFragments knows %d topic terms and %d fragment words",
            len(self._lexicon.terms),
            len(self._lexicon.fragment_words),
        )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ContextFreeFragments:
        lexicon = None
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
            lexicon = Lexicon(
                terms=frozenset(data["terms"]),
                fragment_words=frozenset(data["fragment_words"]),
                yes_no_wordings=frozenset(data["yes_no_wordings"]),
            )
        except (ValueError, KeyError, FileNotFoundError):
            logger.warning("ContextFreeFragments has no lexicon; it will not intervene")
        return cls({**cls.get_default_config(), **config}, model_storage, resource, lexicon)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._lexicon is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if not text or text.startswith("/"):
                continue
            words = _words(message)
            if intent not in self._overridable and not (
                intent in self._overridable_with_platform and names_platform(words)
            ):
                continue
            if is_fragment(text, words, self._lexicon):
                put_intent_first(message, self._intent)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
