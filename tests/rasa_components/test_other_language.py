"""Which messages count as written in another language (rasa_components/other_language.py)."""

from __future__ import annotations

import pytest

from rasa_components.other_language import is_other_language


@pytest.mark.parametrize(
    "text",
    [
        "Can I open an account here?",
        "hello",
        "How do I reset my password",
        "口座を開設したいです",
        "계좌를 개설하고 싶어요",
        "Как открыть счёт?",
        "Je voudrais ouvrir un compte",
    ],
)
def test_messages_in_other_languages(text):
    assert is_other_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "ATM取不了钱",
        "ok",
        "yes",
        "no",
        "/greet",
        '/faq_choose{"faq_topic":"card_lost"}',
        "123456",
        "app登不上",
        "Apple Pay怎么绑卡",
        "ATM",
        "POS",
        "😊",
        "",
        "Apple Pay",
    ],
)
def test_chinese_messages_and_terms_chinese_customers_type(text):
    assert not is_other_language(text)
