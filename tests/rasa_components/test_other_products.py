"""The other-company rule in the pipeline (rasa_components/other_products.py): which predicted
intents it turns into out_of_scope."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_components.other_products import OtherCompanyProducts


def parsed(text: str, intent: str) -> str:
    message = Message(data={TEXT: text, INTENT: {INTENT_NAME_KEY: intent, "confidence": 0.7}})
    OtherCompanyProducts(OtherCompanyProducts.get_default_config()).process([message])
    return message.get(INTENT)[INTENT_NAME_KEY]


@pytest.mark.parametrize(
    "text, intent",
    [
        ("Apple Pay里的卡自己没了", "fragment"),  # names a product: not context-free
        ("花呗怎么还是用不了", "fragment"),
        ("花呗额度为什么降了", "nlu_fallback"),
    ],
)
def test_another_companys_product_gets_the_scope_statement(text, intent):
    assert parsed(text, intent) == "out_of_scope"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("还是不行", "fragment"),  # names nothing: read in context
        ("微信里没有", "fragment"),  # WeChat alone is where customers look for our loan entry
        ("花呗乱扣我钱，我要投诉", "complain"),
        ("Apple Pay用不了，转人工", "request_human"),
    ],
)
def test_other_intents_and_plain_fragments_stay(text, intent):
    assert parsed(text, intent) == intent
