"""The knowledge base's answers: what the assistant says for each FAQ topic, read at run time.

The answers live in `bot/faq/answers/<group>.yml` (or the directory FAQ_ANSWERS_DIR names), one
entry per topic of the catalog (bot/faq/catalog.yml):

    transfer_limit:
      text: "转账限额因渠道……也可致电本行客服热线{bank_hotline}查询。"
      related: [transfer_limit_adjust, class2_account]

`related` lists the buttons under the answer: a topic id becomes a button titled as the catalog
names the topic (clicking it asks for that topic's answer); `{intent: complain, title: 我要投诉}`
starts a flow. `{bank_name}`, `{bank_hotline}`, `{bank_fraud_line}` and `{bank_website}` are filled
in from the settings (bot/bank.py), so no answer holds a number of its own.

The answers are not part of the trained model (scripts/train.py leaves this directory out of the
model's inputs). These files are what a new install starts from: the migration step imports every
topic's answer into the database as its first published version (bot/faq/service.py), and from
then on staff change answers with review in the /kb console; the action server serves the
published version from the database (bot/faq/published.py). A topic with no version in the
database yet is answered from these files. An edit that does not parse or names an unknown topic
is refused with an error in the log, and the previous answers stay. Each answer carries a version
(a hash of its text and buttons); an answer from the database also carries its version id, which
the reply's metadata and the transcript record, so a transcript says which wording a customer saw.
"""

from __future__ import annotations

import hashlib
import json
import logging
import string
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.bank import BankIdentity
from bot.faq.catalog import Catalog, load_catalog

log = logging.getLogger(__name__)

ANSWERS_DIR = Path(__file__).with_name("answers")
PLACEHOLDERS = frozenset({"bank_name", "bank_hotline", "bank_fraud_line", "bank_website"})
# The name a FAQ reply carries in its metadata (`utter_action`), as Rasa names a response: the
# transcripts, the dashboard and the story export read it.
ANSWER_NAME_PREFIX = "utter_faq/"


class AnswerError(ValueError):
    """The answers on disk are not a valid knowledge base."""


@dataclass(frozen=True)
class IntentButton:
    """A button that starts a flow rather than another answer ("我要投诉" → /complain)."""

    intent: str
    title: str


@dataclass(frozen=True)
class Answer:
    topic_id: str
    text: str  # with {bank_hotline}-style placeholders
    related: tuple[str | IntentButton, ...]
    version: str


@dataclass(frozen=True)
class RenderedAnswer:
    """An answer as the customer receives it."""

    topic_id: str
    text: str
    buttons: list[dict[str, str]]
    version: str  # a hash of text and buttons
    # The database's answer version (bot/faq/models.FaqAnswerVersion), the one the transcript
    # keeps; None when answered from the files.
    version_id: int | None = None

    @property
    def name(self) -> str:
        return f"{ANSWER_NAME_PREFIX}{self.topic_id}"


def topic_button(topic_id: str, title: str) -> dict[str, str]:
    """The button that asks for a topic's answer."""
    payload = json.dumps({"faq_topic": topic_id}, ensure_ascii=False)
    return {"title": title, "payload": f"/faq_choose{payload}"}


def render(
    answer: Answer, *, catalog: Catalog, bank: BankIdentity, version_id: int | None = None
) -> RenderedAnswer:
    buttons = []
    for item in answer.related:
        if isinstance(item, IntentButton):
            buttons.append({"title": item.title, "payload": f"/{item.intent}"})
        else:
            buttons.append(topic_button(item, catalog.topics[item].title))
    text = answer.text.format(**bank.slots())
    return RenderedAnswer(answer.topic_id, text, buttons, answer.version, version_id)


def content_version(text: str, related: tuple[str | IntentButton, ...]) -> str:
    body = json.dumps(
        [text, [item if isinstance(item, str) else [item.intent, item.title] for item in related]],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def parse_entry(topic_id: str, entry: Any, catalog: Catalog, *, retired_topic: bool = False) -> Answer:
    """One topic's answer ({text, related}) checked against the catalog and the placeholders.

    A button naming a retired topic (a version stored before a merge) becomes its successor's
    button; one that would then point at the answer's own topic, or repeat another, is left out.
    `retired_topic` reads a stored version of a retired topic itself (its history, never served).
    """
    if catalog.topic(topic_id) is None and not (retired_topic and topic_id in catalog.retired):
        raise AnswerError(f"answer for unknown topic {topic_id!r}")
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
        raise AnswerError(f"answer {topic_id!r} needs a non-empty text")
    text = entry["text"].strip()
    try:
        unknown = _placeholders(text) - PLACEHOLDERS
    except ValueError as exc:  # a lone "{" or "}"
        raise AnswerError(f"answer {topic_id!r}: {exc}") from exc
    if unknown:
        raise AnswerError(f"answer {topic_id!r} uses unknown placeholders {sorted(unknown)}")
    related: list[str | IntentButton] = []
    own = catalog.current(topic_id)
    for item in entry.get("related") or []:
        if isinstance(item, str):
            target = catalog.current(item)
            if target is None or item == topic_id:
                raise AnswerError(f"answer {topic_id!r} points at topic {item!r}, which it cannot")
            if target != own and target.id not in related:  # a merge may make it either
                related.append(target.id)
        elif isinstance(item, dict) and set(item) == {"intent", "title"}:
            related.append(IntentButton(str(item["intent"]), str(item["title"])))
        else:
            raise AnswerError(f"answer {topic_id!r} has a related entry it cannot read: {item!r}")
    return Answer(topic_id, text, tuple(related), content_version(text, tuple(related)))


def parse_answers(documents: dict[str, Any], catalog: Catalog) -> dict[str, Answer]:
    """Answers from the YAML documents (file name → content); every topic needs exactly one."""
    answers: dict[str, Answer] = {}
    for source, content in documents.items():
        if not isinstance(content, dict):
            raise AnswerError(f"{source}: expected topic: {{text, related}} entries")
        for topic_id, entry in content.items():
            if topic_id in answers:
                raise AnswerError(f"{source}: topic {topic_id!r} is answered twice")
            answers[topic_id] = parse_entry(str(topic_id), entry, catalog)
    missing = sorted(set(catalog.topics) - set(answers))
    if missing:
        raise AnswerError(f"topics without an answer: {missing}")
    return answers


def read_answers(directory: Path, catalog: Catalog) -> dict[str, Answer]:
    documents = {}
    for path in sorted(directory.glob("*.yml")):
        try:
            documents[path.name] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise AnswerError(f"{path.name}: {exc}") from exc
    return parse_answers(documents, catalog)


class AnswerStore:
    """The answers of one directory, read again when a file in it changes."""

    def __init__(self, directory: Path, catalog: Catalog | None = None) -> None:
        self.directory = directory
        self._catalog = catalog or load_catalog()
        self._lock = threading.Lock()
        self._signature = self._current_signature()
        self._answers = read_answers(directory, self._catalog)  # a broken first load fails loudly

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        stats = [(p.name, p.stat()) for p in sorted(self.directory.glob("*.yml"))]
        return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)

    def answers(self) -> dict[str, Answer]:
        signature = self._current_signature()
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    try:
                        self._answers = read_answers(self.directory, self._catalog)
                        log.info("FAQ answers reloaded from %s", self.directory)
                    except AnswerError as exc:
                        log.error("FAQ answers in %s refused, previous answers kept: %s", self.directory, exc)
                    self._signature = signature
        return self._answers

    def answer(self, topic_id: str) -> Answer:
        return self.answers()[topic_id]

    def rendered(self, topic_id: str, bank: BankIdentity) -> RenderedAnswer:
        return render(self.answer(topic_id), catalog=self._catalog, bank=bank)


@lru_cache(maxsize=4)
def _store(directory: Path) -> AnswerStore:
    return AnswerStore(directory)


def configured_store() -> AnswerStore:
    """This process's answers: FAQ_ANSWERS_DIR, by default the ones shipped in the repository."""
    from bot.config import load_settings

    return _store(load_settings().faq_answers_dir)
