"""Customer-facing sentences that Rasa does not render itself, one YAML file per flow or area
(bot/replies/<name>.yml: handoff, complaint, case_lookup, assessment, suitability, the API's
error messages `errors`, the agent console's `agent_quick_replies`), read once and filled in by
name.

Adapters (actions/, api/) never hold these sentences: they ask `replies("handoff").text(...)` or a
bot/ function that does. The Rasa domain keeps only what Rasa renders (utter_* responses).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPLIES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Replies:
    """The sentences of one flow, by key; `{name}` placeholders are filled by `text`."""

    flow: str
    sentences: dict[str, str]

    def text(self, key: str, **fields: Any) -> str:
        """The sentence `key` with its placeholders filled; KeyError names a missing key."""
        try:
            template = self.sentences[key]
        except KeyError:
            raise KeyError(f"no reply {key!r} in bot/replies/{self.flow}.yml") from None
        return template.format(**fields) if fields else template


def parse_replies(flow: str, data: Any) -> Replies:
    """Replies from a file's content: a flat mapping of key → sentence (folded lines joined)."""
    if not isinstance(data, dict):
        raise ValueError(f"bot/replies/{flow}.yml must be a mapping of key to sentence")
    sentences = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise ValueError(f"bot/replies/{flow}.yml: {key} is not a sentence")
        sentences[str(key)] = value.rstrip("\n")
    return Replies(flow=flow, sentences=sentences)


@cache
def replies(flow: str) -> Replies:
    """The sentences of `flow`, read from bot/replies/<flow>.yml once per process."""
    path = REPLIES_DIR / f"{flow}.yml"
    return parse_replies(flow, yaml.safe_load(path.read_text(encoding="utf-8")))
