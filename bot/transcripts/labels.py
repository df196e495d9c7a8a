"""Chinese names for what staff read: intents (FAQ topics by their catalog title) and the buttons
customers pressed (a payload such as "/request_callback" is shown as the title "预约回电")."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.conversations import buttons as step_buttons
from bot.faq.catalog import load_catalog

LABELS_FILE = Path(__file__).with_name("intent_labels.yml")
FAQ = "faq"
CHITCHAT = "chitchat"
PAYLOAD_MAX_CHARS = 300


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")) or {}
    return {"intents": dict(data.get("intents") or {}), "chitchat": dict(data.get("chitchat") or {})}


def intent_label(intent: str | None) -> str:
    """The intent's Chinese name: "faq/card_lost" → "银行卡挂失", "request_human" → "转人工";
    an intent without a name is shown as it is."""
    if not intent:
        return "未识别"
    base, _, sub = intent.partition("/")
    labels = _labels()
    if sub and base == FAQ:
        topic = load_catalog().current(sub)  # a topic merged since: its successor's title
        return topic.title if topic else intent
    if sub and base == CHITCHAT:
        return "闲聊：" + labels["chitchat"].get(sub, sub)
    return labels["intents"].get(intent, intent)


def known_intents() -> set[str]:
    """The intents that have a label (FAQ topics excluded)."""
    return set(_labels()["intents"])


# Not a correction an NLU model can learn: "the assistant did not understand", and the bare
# retrieval intents (a correction names the topic: "faq/card_lost", "chitchat/weather").
NOT_CORRECTIONS = frozenset({"nlu_fallback", FAQ, CHITCHAT})


# An analyst's mark on a customer message: "no topic of the knowledge base covers this" (the note
# names the topic to add). Stored as an annotation's correct_intent, listed as a suggestion in the
# knowledge-base console, never exported as training data.
MISSING_TOPIC = "missing_topic"


def correction_intent(value: str | None) -> str | None:
    """The intent an analyst's correction names, in Rasa's spelling, or None when it names none:
    a labelled intent ("request_human"), an FAQ topic ("faq/card_lost", or just "card_lost"), or
    a small-talk topic ("chitchat/<id>"). Anything else never reaches the NLU or story exports."""
    value = (value or "").strip()
    base, slash, sub = value.partition("/")
    if slash:
        topic = load_catalog().current(sub) if base == FAQ else None
        if topic is not None:  # a topic merged since is taught as its successor
            return f"{FAQ}/{topic.id}"
        if base == CHITCHAT and sub in _labels()["chitchat"]:
            return value
        return None
    if value in known_intents() and value not in NOT_CORRECTIONS:
        return value
    topic = load_catalog().current(value)
    if topic is not None:
        return f"{FAQ}/{topic.id}"
    return None


def retrieval_intent(intent: str | None, parse_data: dict[str, Any]) -> str | None:
    """The full retrieval intent ("faq/card_lost") of an faq or chitchat turn, as Rasa names it
    in stories and NLU data, from the response selector's answer; otherwise the intent."""
    if intent not in (FAQ, CHITCHAT):
        return intent
    for selector in (parse_data.get("response_selector") or {}).values():
        if not isinstance(selector, dict):
            continue
        key = str(((selector.get("response") or {}).get("intent_response_key")) or "")
        if key.startswith(intent + "/"):
            return key
    return intent


def button_title(payload: str, offered: list[dict[str, Any]] | None) -> str | None:
    """What the customer saw on the button that sent `payload`: the title of the offered button
    with that payload, else one derived from it ("/faq_choose{…}" → the topic's title,
    "/request_callback" → the intent's label); None when the text is not a button payload."""
    for button in offered or []:
        if isinstance(button, dict) and button.get("payload") == payload and button.get("title"):
            return str(button["title"])
    if not payload.startswith("/"):
        return None
    press = step_buttons.read(payload)
    if press is not None:  # a button of an earlier step (no longer the latest offered)
        return press.choice
    name, _, rest = payload[1:].partition("{")
    if name == "faq_choose" and rest:
        try:
            entities = json.loads("{" + rest)
        except ValueError:
            entities = {}
        topic = load_catalog().current(str(entities.get("faq_topic") or ""))
        if topic:
            return topic.title
    label = _labels()["intents"].get(name)
    return label
