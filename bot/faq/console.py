"""What the knowledge-base console (/kb) shows: topics with their state, a topic's history with
warnings and previews, the audit trail and suggestions. Reads only; changes go through
bot/faq/service.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.bank import BankIdentity
from bot.errors import InvalidInput
from bot.faq import checks, quality, review
from bot.faq import service as faq_service
from bot.faq.answers import RenderedAnswer, render, topic_button
from bot.faq.catalog import Catalog, load_catalog
from bot.faq.models import FaqAnswerEvent, FaqAnswerVersion
from bot.staff import service as staff_service

SYSTEM_NAME = "系统导入"
PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Preview:
    """A wording as the chat widget would show it, with the reviewer's warnings; `error` is why
    the knowledge base would refuse it (None when it may be saved)."""

    text: str
    buttons: list[dict[str, str]]
    warnings: list[checks.AnswerWarning]
    error: str | None = None


def preview(
    *,
    topic_id: str,
    text: str,
    related: list[Any],
    published_text: str | None,
    bank: BankIdentity,
    catalog: Catalog | None = None,
) -> Preview:
    """How a wording reads to the customer, and what to look at before approving it."""
    catalog = catalog or load_catalog()
    faq_service.check_topic(topic_id, catalog)
    error = None
    try:
        answer = faq_service.checked_answer(topic_id=topic_id, text=text, related=related, catalog=catalog)
        rendered = render(answer, catalog=catalog, bank=bank)
        shown, buttons = rendered.text, rendered.buttons
    except InvalidInput as exc:  # still show what can be shown: the text as typed, known buttons
        error = exc.customer_message
        shown = text.strip()
        buttons = [
            topic_button(topic.id, topic.title)
            for topic in (catalog.current(item) for item in related if isinstance(item, str))
            if topic is not None
        ]
    warnings = checks.answer_warnings(
        rendered_text=shown, related=related, catalog=catalog, published_text=published_text
    )
    return Preview(shown, buttons, warnings, error)


@dataclass(frozen=True)
class TopicRow:
    topic_id: str
    title: str
    group: str
    group_label: str
    states: list[str]
    current: FaqAnswerVersion | None
    pending_count: int
    next_scheduled_at: datetime | None
    wording_count: int | None
    f1: float | None
    excerpt: str


def topic_rows(
    *,
    session: Session,
    now: datetime,
    report_dir: Path,
    q: str | None = None,
    group: str | None = None,
    state: str | None = None,
) -> tuple[list[TopicRow], datetime | None]:
    """The catalog's topics with their answer's state, filtered; and the time of the CV report."""
    catalog = load_catalog()
    states = faq_service.topic_states(session=session, now=now)
    counts = quality.wording_counts()
    report = quality.last_cross_validation(report_dir)
    needle = (q or "").strip().lower()
    rows = []
    for topic in catalog.topics.values():
        topic_state = states.get(topic.id) or faq_service.TopicState(topic.id, None, [], [])
        current = topic_state.current
        text = current.text if current else ""
        if group and topic.group != group:
            continue
        if state and state not in topic_state.states:
            continue
        if needle and not any(needle in value.lower() for value in (topic.id, topic.title, text)):
            continue
        rows.append(
            TopicRow(
                topic_id=topic.id,
                title=topic.title,
                group=topic.group,
                group_label=catalog.groups.get(topic.group, topic.group),
                states=topic_state.states,
                current=current,
                pending_count=len(topic_state.pending),
                next_scheduled_at=topic_state.scheduled[0].effective_at if topic_state.scheduled else None,
                wording_count=counts.get(topic.id) if counts else None,
                f1=report.f1.get(topic.id) if report else None,
                excerpt=text[:PREVIEW_CHARS],
            )
        )
    return rows, report.written_at if report else None


@dataclass
class VersionView:
    version: FaqAnswerVersion
    state: str
    rendered: RenderedAnswer
    warnings: list[checks.AnswerWarning] = field(default_factory=list)


def _rendered(
    version: FaqAnswerVersion, catalog: Catalog, bank: BankIdentity
) -> tuple[RenderedAnswer, str | None]:
    try:
        answer = faq_service.checked_answer(
            topic_id=version.topic_id, text=version.text, related=list(version.related or []), catalog=catalog
        )
    except InvalidInput as exc:  # a stored version the catalog no longer fits (a topic removed)
        return RenderedAnswer(version.topic_id, version.text, [], ""), exc.customer_message
    return render(answer, catalog=catalog, bank=bank, version_id=version.id), None


def topic_detail(
    *, session: Session, topic_id: str, now: datetime, bank: BankIdentity
) -> tuple[faq_service.TopicState, list[VersionView]]:
    """A topic's state and every version (newest first) rendered, with warnings on pending ones."""
    catalog = load_catalog()
    faq_service.check_topic(topic_id, catalog)
    state, versions = faq_service.topic_history(session=session, topic_id=topic_id, now=now)
    published_text = state.current.text if state.current else None
    views = []
    for version in versions:
        rendered, error = _rendered(version, catalog, bank)
        view = VersionView(version, faq_service.version_state(version, state), rendered)
        if version.status == review.PENDING:
            view.warnings = checks.answer_warnings(
                rendered_text=rendered.text,
                related=version.related or [],
                catalog=catalog,
                published_text=published_text if state.current and state.current.id != version.id else None,
            )
            if error:
                view.warnings.insert(0, checks.AnswerWarning("invalid", error))
        views.append(view)
    return state, views


def version_view(*, session: Session, version_id: int, now: datetime, bank: BankIdentity) -> VersionView:
    version = faq_service.get_version(session=session, version_id=version_id)
    _state, views = topic_detail(session=session, topic_id=version.topic_id, now=now, bank=bank)
    return next(view for view in views if view.version.id == version_id)


def staff_names(*, session: Session, usernames: list[str | None]) -> dict[str, str]:
    """Display names for the console (the system's imports by name too)."""
    names = staff_service.display_names(session=session, usernames=[u for u in usernames if u])
    names[review.SYSTEM_ACTOR] = SYSTEM_NAME
    return names


def audit_trail(*, session: Session, topic_id: str | None = None) -> list[FaqAnswerEvent]:
    return faq_service.events(session=session, topic_id=topic_id)
