"""Every intent the domain declares, and every small-talk topic the NLU data teaches, has a
Chinese name for the consoles (bot/transcripts/intent_labels.yml); FAQ topics take theirs from the
catalog."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.faq.catalog import load_catalog
from bot.transcripts import labels

ROOT = Path(__file__).resolve().parents[2]


def domain_intents() -> set[str]:
    intents: set[str] = set()
    data = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
    for entry in data.get("intents") or []:
        intents.add(entry if isinstance(entry, str) else next(iter(entry)))
    return intents


def retrieval_topics(prefix: str) -> set[str]:
    topics: set[str] = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            name = str(block.get("intent") or "")
            if name.startswith(prefix + "/"):
                topics.add(name)
    return topics


def test_every_domain_intent_has_a_chinese_name():
    missing = sorted(domain_intents() - labels.known_intents())
    assert missing == [], f"add these to bot/transcripts/intent_labels.yml: {missing}"


def test_small_talk_and_faq_topics_are_named():
    for topic in retrieval_topics("chitchat"):
        assert labels.intent_label(topic) != "闲聊：" + topic.split("/", 1)[1], topic
    for topic in retrieval_topics("faq"):
        assert labels.intent_label(topic) == load_catalog().topic(topic.split("/", 1)[1]).title
