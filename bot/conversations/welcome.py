"""The greeting a new conversation starts with, and the suggested questions under it
(bot/conversations/welcome.yml)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.faq.catalog import load_catalog

WELCOME_FILE = Path(__file__).with_name("welcome.yml")


def parse_welcome(data: dict[str, Any]) -> dict[str, Any]:
    """{"text", "buttons": [{"title", "payload"}]} from the file's content; an FAQ topic becomes
    the same choice button the assistant offers ("/faq_choose{…}" titled by the catalog)."""
    catalog = load_catalog()
    buttons = []
    for entry in data.get("suggestions") or []:
        if "topic" in entry:
            topic = catalog.topic(entry["topic"])
            if topic is None:
                raise ValueError(f"welcome suggests unknown FAQ topic {entry['topic']}")
            payload = "/faq_choose" + json.dumps({"faq_topic": topic.id}, ensure_ascii=False)
            buttons.append({"title": topic.title, "payload": payload})
        else:
            buttons.append({"title": str(entry["title"]), "payload": str(entry["payload"])})
    return {"text": str(data["text"]).strip(), "buttons": buttons}


@lru_cache(maxsize=1)
def welcome() -> dict[str, Any]:
    """The greeting and suggested questions shipped with the bot."""
    return parse_welcome(yaml.safe_load(WELCOME_FILE.read_text(encoding="utf-8")))
