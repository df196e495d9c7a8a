"""The FAQ topic catalog (bot/faq/catalog.yml): titles, groups and follow-up links."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).with_name("catalog.yml")


@dataclass(frozen=True)
class Topic:
    id: str
    group: str
    title: str


@dataclass(frozen=True)
class Catalog:
    aspects: dict[str, str]
    groups: dict[str, str]
    topics: dict[str, Topic]
    group_followups: dict[str, dict[str, str]]
    topic_followups: dict[str, dict[str, str]]
    unknown_aspect: str

    def aspect_name(self, aspect: str) -> str:
        """How the assistant names a follow-up aspect ("手续费或费用")."""
        return self.aspects.get(aspect, self.unknown_aspect)

    def topic(self, topic_id: str | None) -> Topic | None:
        """The topic with this id, or None."""
        return self.topics.get(topic_id or "")

    def followup(self, *, last_topic_id: str | None, aspect: str) -> Topic | None:
        """The topic answering `aspect` after `last_topic_id`, or None if nothing fits."""
        last = self.topic(last_topic_id)
        if last is None:
            return None
        target = self.topic_followups.get(last.id, {}).get(aspect) or self.group_followups.get(
            last.group, {}
        ).get(aspect)
        return self.topic(target)


def parse_catalog(data: dict) -> Catalog:
    """Builds a catalog from its YAML content, checking every reference."""
    aspects = dict(data["aspects"])
    groups = dict(data["groups"])
    topics: dict[str, Topic] = {}
    for entry in data["topics"]:
        if entry["id"] in topics:
            raise ValueError(f"duplicate FAQ topic {entry['id']}")
        if entry["group"] not in groups:
            raise ValueError(f"topic {entry['id']} has unknown group {entry['group']}")
        topics[entry["id"]] = Topic(id=entry["id"], group=entry["group"], title=entry["title"])
    followups = data.get("followups", {})
    group_followups = {k: dict(v or {}) for k, v in followups.get("groups", {}).items()}
    topic_followups = {k: dict(v or {}) for k, v in followups.get("topics", {}).items()}
    for source, links in [*group_followups.items(), *topic_followups.items()]:
        for aspect, target in links.items():
            if aspect not in aspects:
                raise ValueError(f"follow-up of {source} has unknown aspect {aspect}")
            if target not in topics:
                raise ValueError(f"follow-up {source}.{aspect} points at unknown topic {target}")
    return Catalog(aspects, groups, topics, group_followups, topic_followups, str(data["unknown_aspect"]))


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog shipped with the bot."""
    return parse_catalog(yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")))
