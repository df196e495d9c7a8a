"""The entity components inside Rasa: SpacyNLP loads the pipeline directory scripts/train.py
builds (through Rasa's own loader and version check), SpacyEntityExtractor reads the ruler's
matches, EntityResolver gives them values. Run on Rasa's own Message objects after the normaliser,
as in config.yml."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message

from rasa_components.entity_resolver import EntityResolver
from rasa_components.normalizer import ChineseNormalizer


@pytest.fixture(scope="module")
def components(tmp_path_factory, entity_pipeline):
    from bot.entities.pipeline import save_pipeline

    directory = tmp_path_factory.mktemp("spacy") / "bank_entities-test"
    save_pipeline(entity_pipeline, directory)
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**SpacyNLP.get_default_config(), "model": str(directory), "case_sensitive": True}
    spacy_nlp = SpacyNLP.create(config, storage, Resource("spacy"), context)
    extractor = SpacyEntityExtractor.create(
        SpacyEntityExtractor.get_default_config(), storage, Resource("ext"), context
    )
    resolver = EntityResolver.create({}, storage, Resource("res"), context)
    normalizer = ChineseNormalizer.create({}, storage, Resource("norm"), context)
    return normalizer, spacy_nlp, extractor, resolver


def parse(components, text: str, entities: list | None = None) -> list[dict]:
    normalizer, spacy_nlp, extractor, resolver = components
    message = Message(data={"text": text, **({"entities": entities} if entities else {})})
    model = spacy_nlp.provide()
    messages = normalizer.process([message])
    messages = spacy_nlp.process(messages, model)
    messages = extractor.process(messages, model)
    return resolver.process(messages, model)[0].get("entities")


def test_entities_get_values_and_keep_the_customers_words(components):
    entities = parse(components, "上周五手机银行转了五千块到工行")
    assert [(e["entity"], e["value"], e["additional_info"]["text"], e["extractor"]) for e in entities] == [
        ("DATE", entities[0]["value"], "上周五", "EntityResolver"),
        ("CHANNEL", "手机银行", "手机银行", "EntityResolver"),
        ("AMOUNT", "5000", "5000块", "EntityResolver"),  # the normaliser wrote 五千块 as 5000块
        ("BANK", "中国工商银行", "工行", "EntityResolver"),
    ]
    assert entities[0]["additional_info"]["precision"] == "day"
    # Offsets refer to the text the NLU read (normalised), like every NLU component's.
    assert entities[2]["start"] == 9 and entities[2]["end"] == 14


def test_bare_numbers_and_everyday_words_are_dropped(components):
    assert parse(components, "贷款30万20年月供多少") == [
        {
            "entity": "AMOUNT",
            "start": 2,
            "end": 5,
            "value": "300000",
            "extractor": "EntityResolver",
            "additional_info": {"text": "30万", "currency": "CNY", "approximate": False},
        },
    ]
    assert parse(components, "千万别在加工行业的平安里办卡") == []


def test_entities_of_other_extractors_are_left_alone(components):
    payload = [
        {
            "entity": "faq_topic",
            "value": "transfer_fee",
            "start": 0,
            "end": 5,
            "extractor": "RegexMessageHandler",
        }
    ]
    assert parse(components, "转账手续费", payload) == payload
