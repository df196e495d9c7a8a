"""The FAQ topic catalog (bot/faq/catalog.yml): titles, groups, follow-up links, and the topics
retired into another (merged), whose ids still reach us from before the merge."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # Retired topic id → the current topic that answers its questions now (chains resolved).
    retired: dict[str, str] = field(default_factory=dict)

    def aspect_name(self, aspect: str) -> str:
        """How the assistant names a follow-up aspect ("手续费或费用")."""
        return self.aspects.get(aspect, self.unknown_aspect)

    def topic(self, topic_id: str | None) -> Topic | None:
        """The current topic with this id, or None (a retired id included)."""
        return self.topics.get(topic_id or "")

    def current(self, topic_id: str | None) -> Topic | None:
        """The topic that answers `topic_id` today: the topic itself, or the successor of a topic
        merged into another. For ids that come from before a release: a button payload in a
        customer's chat, the last topic of a conversation, a stored answer's buttons."""
        topic_id = topic_id or ""
        return self.topics.get(self.retired.get(topic_id, topic_id))

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
    retired = _retired(data.get("retired") or {}, topics)
    followups = data.get("followups", {})
    group_followups = {k: dict(v or {}) for k, v in followups.get("groups", {}).items()}
    topic_followups = {k: dict(v or {}) for k, v in followups.get("topics", {}).items()}
    for source, links in [*group_followups.items(), *topic_followups.items()]:
        for aspect, target in links.items():
            if aspect not in aspects:
                raise ValueError(f"follow-up of {source} has unknown aspect {aspect}")
            if target not in topics:
                raise ValueError(f"follow-up {source}.{aspect} points at unknown topic {target}")
    return Catalog(
        aspects, groups, topics, group_followups, topic_followups, str(data["unknown_aspect"]), retired
    )


def _retired(entries: dict[str, str], topics: dict[str, Topic]) -> dict[str, str]:
    """Retired id → its current successor, following a topic retired into one retired later."""
    resolved = {}
    for old in entries:
        if old in topics:
            raise ValueError(f"retired FAQ topic {old} is still a topic")
        seen, target = {old}, entries[old]
        while target in entries:
            if target in seen:
                raise ValueError(f"retired FAQ topic {old} is retired into itself")
            seen.add(target)
            target = entries[target]
        if target not in topics:
            raise ValueError(f"retired FAQ topic {old} points at unknown topic {target}")
        resolved[old] = target
    return resolved


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog shipped with the bot."""
    return parse_catalog(yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")))
