"""Gives the entities SpacyEntityExtractor found their values (bot.entities.resolve).

SpacyEntityExtractor reports what the entity_ruler matched: a label and the words. This component
replaces those entities with the resolved ones: bare numbers become amounts or disappear, words
that do not mean the entity here are dropped, and each value becomes what the dialogue needs
(5000元 → "5000", 上周五 → "2026-11-27" in Asia/Shanghai, 工行 → "中国工商银行"). The words as
the customer wrote them, and details such as a date's precision or an amount's currency, are in
`additional_info`. Entities of other extractors (button payloads) are left alone.

It reads the value table saved with the spaCy pipeline (the model SpacyNLP provides), so values and
patterns always come from the same build. Importing bot.entities.pipeline registers the pipeline's
tokenizer with spaCy before SpacyNLP loads it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.entities.pipeline import value_table  # also registers the tokenizer with spaCy
from bot.entities.resolve import Entity, resolve_entities
from bot.text.china_time import CHINA

SPACY_EXTRACTOR = SpacyEntityExtractor.__name__


def rasa_entity(entity: Entity, extractor: str) -> dict[str, Any]:
    """An entity in Rasa's shape, with the words and details in `additional_info`."""
    return {
        ENTITY_ATTRIBUTE_TYPE: entity.type,
        ENTITY_ATTRIBUTE_START: entity.start,
        ENTITY_ATTRIBUTE_END: entity.end,
        ENTITY_ATTRIBUTE_VALUE: entity.value,
        EXTRACTOR: extractor,
        "additional_info": {"text": entity.text, **entity.details},
    }


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class EntityResolver(GraphComponent, EntityExtractorMixin):
    """Turns SpacyEntityExtractor's matches into entities with values."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP, SpacyEntityExtractor]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityResolver:
        return cls()

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        values = value_table(model.model)
        now = datetime.now(CHINA)
        for message in messages:
            entities = message.get(ENTITIES, [])
            matches = [
                (e[ENTITY_ATTRIBUTE_TYPE], e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
                for e in entities
                if e.get(EXTRACTOR) == SPACY_EXTRACTOR
            ]
            others = [e for e in entities if e.get(EXTRACTOR) != SPACY_EXTRACTOR]
            resolved = resolve_entities(message.get(TEXT) or "", matches, values=values, now=now)
            message.set(
                ENTITIES,
                others + [rasa_entity(entity, self.name) for entity in resolved],
                add_to_output=True,
            )
        return messages
