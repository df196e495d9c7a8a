"""The greeting a conversation opens with offers real FAQ topics as buttons the assistant answers
directly (the same "/faq_choose" payload it uses when it offers topics itself)."""

from __future__ import annotations

import pytest

from bot.conversations.welcome import parse_welcome, welcome
from bot.faq.catalog import load_catalog


def test_the_shipped_welcome_suggests_real_topics_by_their_titles():
    shown = welcome()
    assert shown["text"].startswith("您好") and 3 <= len(shown["buttons"]) <= 6
    catalog = load_catalog()
    titles = {topic.title for topic in catalog.topics.values()}
    faq_buttons = [b for b in shown["buttons"] if b["payload"].startswith("/faq_choose")]
    assert faq_buttons and all(b["title"] in titles for b in faq_buttons)
    assert {"title": "转人工客服", "payload": "/request_human"} in shown["buttons"]


def test_an_unknown_topic_is_refused_when_loading():
    with pytest.raises(ValueError, match="no_such_topic"):
        parse_welcome({"text": "您好", "suggestions": [{"topic": "no_such_topic"}]})
