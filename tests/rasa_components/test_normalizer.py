"""The NLU normaliser as config.yml runs it (`strip_fillers: true`): what the classifiers see of a
customer's message once the courtesies that carry no meaning are gone."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text.normalize import normalize_text
from rasa_components.normalizer import ChineseNormalizer


@pytest.fixture(scope="module")
def normalizer(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), "test")
    return ChineseNormalizer.create({"strip_fillers": True}, storage, Resource("norm"), context)


def seen(normalizer, text: str) -> str:
    return normalizer.process([Message(data={"text": text})])[0].get("text")


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("你好，请问转账限额是多少", "转账限额是多少"),
        ("亲 在吗？卡被冻结了", "卡被冻结了"),
        ("您好，麻烦问一下信用卡怎么还款", "信用卡怎么还款"),
        ("我想问一下怎么借钱", "怎么借钱"),
        ("不好意思，我把还款日忘了", "我把还款日忘了"),
    ],
)
def test_opening_courtesies_before_a_question_are_dropped(normalizer, typed, understood):
    assert seen(normalizer, typed) == understood


@pytest.mark.parametrize("typed", ["你好", "在吗", "您好，在吗？", "有人在吗", "不好意思", "你好啊"])
def test_a_courtesy_that_is_the_whole_message_stays(normalizer, typed):
    assert seen(normalizer, typed) == normalize_text(typed)


def test_repeated_punctuation_and_frequent_typos_are_tidied(normalizer):
    assert seen(normalizer, "手机银行登陆不上？？？") == "手机银行登录不上?"
    assert seen(normalizer, "话费冲值失败了！！！") == "话费充值失败了!"


def test_traditional_characters_are_still_simplified_first(normalizer):
    assert seen(normalizer, "請問轉帳限額是多少") == "转账限额是多少"


def test_training_examples_are_read_the_same_way(normalizer):
    data = TrainingData([Message(data={"text": "你好，请问怎么挂失", "intent": "faq"})])
    assert normalizer.process_training_data(data).training_examples[0].get("text") == "怎么挂失"


def test_button_payloads_are_left_alone(normalizer):
    assert seen(normalizer, "/greet") == "/greet"


def test_off_by_default_as_for_the_entity_pipeline():
    message = Message(data={"text": "你好，请问转账限额是多少"})
    assert ChineseNormalizer().process([message])[0].get("text") == normalize_text("你好，请问转账限额是多少")
