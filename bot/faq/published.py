"""The published answers as the action server serves them, from the database.

Each process keeps every approved version in memory and, before each answer, reads one number:
the revision of the approved answers (`faq_answer_revision`, a primary-key read). When another
replica has approved a version the number differs and this process reloads, so an approval
reaches customers at the next answer on every replica, with no new model and no restart. A
scheduled version needs no reload: which version is current is decided by the time of each answer.

If the database cannot be read, the answers last loaded stay in service (logged); a process that
never loaded any, or a topic with no version in the database yet, answers from the repository's
files (bot/faq/answers), the wording a new install starts from.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from bot.bank import BankIdentity
from bot.faq import review
from bot.faq import service as faq_service
from bot.faq.answers import (
    Answer,
    AnswerError,
    AnswerStore,
    RenderedAnswer,
    configured_store,
    parse_entry,
    render,
)
from bot.faq.catalog import Catalog, load_catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedVersion:
    id: int
    number: int
    effective_at: datetime
    answer: Answer


class PublishedAnswers:
    """This process's copy of the approved answers, reloaded when the revision changes."""

    def __init__(self, *, catalog: Catalog | None = None, files: AnswerStore | None = None) -> None:
        self._catalog = catalog or load_catalog()
        self._files = files
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._versions: dict[str, list[PublishedVersion]] = {}

    def _load(self, session: Session, revision: int) -> None:
        versions: dict[str, list[PublishedVersion]] = {}
        for row in faq_service.approved_versions(session=session):
            if row.topic_id in self._catalog.retired:  # merged: its successor's versions serve
                continue
            try:
                answer = parse_entry(row.topic_id, {"text": row.text, "related": row.related}, self._catalog)
            except AnswerError as exc:  # e.g. a button to a topic removed without a successor
                log.error("answer version %s of %s cannot be served: %s", row.id, row.topic_id, exc)
                continue
            versions.setdefault(row.topic_id, []).append(
                PublishedVersion(row.id, row.number, row.effective_at, answer)
            )
        with self._lock:
            self._versions, self._revision = versions, revision
        log.info("FAQ answers loaded from the database at revision %s", revision)

    def refresh(self, *, session: Session) -> None:
        """Reloads the approved answers when another process (or this one) changed them."""
        current = faq_service.revision(session=session)
        if current != self._revision:
            self._load(session, current)

    def kept(self, error: Exception) -> None:
        """Logs that the database could not be read: the answers last loaded stay in service."""
        log.error(
            "FAQ answers could not be read from the database, keeping revision %s: %s", self._revision, error
        )

    def current(self, topic_id: str, *, now: datetime) -> PublishedVersion | None:
        """The version serving customers now, or None when the database holds none for the topic."""
        versions = self._versions.get(topic_id) or []
        chosen, _scheduled = review.current_and_scheduled(
            (review.ApprovedVersion(v.id, v.effective_at) for v in versions), now=now
        )
        return next((v for v in versions if chosen and v.id == chosen.id), None)

    def rendered(self, topic_id: str, *, bank: BankIdentity, now: datetime) -> RenderedAnswer:
        """The topic's answer as the customer receives it now (with its version id)."""
        version = self.current(topic_id, now=now)
        if version is None:
            log.warning(
                "FAQ topic %s has no published version in the database: answering from the files", topic_id
            )
            files = self._files or configured_store()
            return render(files.answer(topic_id), catalog=self._catalog, bank=bank)
        return render(version.answer, catalog=self._catalog, bank=bank, version_id=version.id)


@lru_cache(maxsize=1)
def published_answers() -> PublishedAnswers:
    """This process's published answers (built on first use, never at import time)."""
    return PublishedAnswers()
