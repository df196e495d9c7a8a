"""The knowledge base's answer versions: seeding from the repository, drafts, review and history.

Service functions take the session as a keyword argument and flush; the caller (an API request,
the migration step) owns the transaction. Every change leaves a `faq_answer_event` row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import Conflict, InvalidInput, NotFound
from bot.faq import review
from bot.faq.answers import Answer, AnswerError, IntentButton, parse_entry
from bot.faq.catalog import Catalog, load_catalog
from bot.faq.models import FaqAnswerEvent, FaqAnswerRevision, FaqAnswerVersion

REVISION_ROW = 1


def related_to_json(related: Iterable[str | IntentButton]) -> list[Any]:
    """Buttons as the answer files and the `related` column write them."""
    return [
        item if isinstance(item, str) else {"intent": item.intent, "title": item.title} for item in related
    ]


def checked_answer(*, topic_id: str, text: str, related: list[Any], catalog: Catalog | None = None) -> Answer:
    """The wording checked by the knowledge base's rules (known topic, placeholders and buttons);
    InvalidInput with the reason otherwise."""
    catalog = catalog or load_catalog()
    check_topic(topic_id, catalog)
    try:
        return parse_entry(topic_id, {"text": text, "related": related}, catalog)
    except AnswerError as exc:
        raise InvalidInput(str(exc), customer_message=_refusal(str(exc))) from exc


def check_topic(topic_id: str, catalog: Catalog) -> None:
    """NotFound unless the topic is in the catalog; a retired topic's says where it went."""
    if catalog.topic(topic_id) is not None:
        return
    successor = catalog.current(topic_id)
    if successor is not None:
        raise NotFound(
            f"FAQ topic {topic_id!r} was merged into {successor.id!r}",
            customer_message=f"这个主题已合并到“{successor.title}”，请在该主题下查看和修改答案。",
        )
    raise NotFound(f"no FAQ topic {topic_id!r}", customer_message="没有找到这个主题。")


def _refusal(reason: str) -> str:
    if "placeholder" in reason:
        return "答案中含有无法识别的占位符，只能使用 {bank_name}、{bank_hotline}、{bank_fraud_line}、{bank_website}。"
    if "points at topic" in reason:
        return "关联按钮指向的主题不存在（或指向本主题本身），请从主题列表中选择。"
    if "non-empty text" in reason:
        return "请填写答案内容。"
    if "related entry" in reason:
        return "关联按钮的格式无法识别。"
    return "答案格式有误，请检查花括号等特殊字符。"


def revision(*, session: Session) -> int:
    """The revision of the approved answers (0 before anything was published)."""
    return session.scalar(select(FaqAnswerRevision.revision).where(FaqAnswerRevision.id == REVISION_ROW)) or 0


def _bump_revision(session: Session, now: datetime) -> None:
    changed = session.execute(
        update(FaqAnswerRevision)
        .where(FaqAnswerRevision.id == REVISION_ROW)
        .values(revision=FaqAnswerRevision.revision + 1, changed_at=now)
    ).rowcount
    if not changed:
        session.add(FaqAnswerRevision(id=REVISION_ROW, revision=1, changed_at=now))
    session.flush()


def _audit(
    session: Session, version: FaqAnswerVersion, action: str, actor: str, comment: str | None, now: datetime
):
    session.add(
        FaqAnswerEvent(
            version_id=version.id,
            topic_id=version.topic_id,
            action=action,
            actor=actor,
            comment=comment,
            created_at=now,
        )
    )


def _next_number(session: Session, topic_id: str) -> int:
    latest = session.scalar(
        select(func.max(FaqAnswerVersion.number)).where(FaqAnswerVersion.topic_id == topic_id)
    )
    return (latest or 0) + 1


def seed_from_files(*, session: Session, answers: dict[str, Answer], now: datetime) -> list[str]:
    """Imports the repository's answer of every topic that has no version in the database yet
    (a new install, or a topic a release added) as its published version 1; returns those topics.
    Topics already in the database keep their history: the files do not overwrite it."""
    known = set(session.scalars(select(FaqAnswerVersion.topic_id).distinct()))
    seeded = []
    for topic_id in sorted(set(answers) - known):
        answer = answers[topic_id]
        version = FaqAnswerVersion(
            topic_id=topic_id,
            number=1,
            text=answer.text,
            related=related_to_json(answer.related),
            status=review.APPROVED,
            effective_at=now,
            author=review.SYSTEM_ACTOR,
            reviewer=review.SYSTEM_ACTOR,
            created_at=now,
            decided_at=now,
        )
        session.add(version)
        session.flush()
        _audit(session, version, review.SEEDED, review.SYSTEM_ACTOR, None, now)
        seeded.append(topic_id)
    if seeded:
        _bump_revision(session, now)
    return seeded


def create_draft(
    *,
    session: Session,
    topic_id: str,
    text: str,
    related: list[Any],
    effective_from: datetime | None,
    note: str | None,
    author: str,
    now: datetime,
) -> FaqAnswerVersion:
    """Saves a new wording of a topic's answer, waiting for review."""
    answer = checked_answer(topic_id=topic_id, text=text, related=related)
    review.check_effective_from(effective_from)
    version = FaqAnswerVersion(
        topic_id=topic_id,
        number=_next_number(session, topic_id),
        text=answer.text,
        related=related_to_json(answer.related),
        status=review.PENDING,
        effective_from=effective_from,
        author=author,
        note=review.clean_comment(note, required=False),
        created_at=now,
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:  # another draft of the topic took this number a moment ago
        # The caller's transaction is spoiled and rolls back; the editor sends it again.
        raise Conflict(
            f"answer version {version.number} of {topic_id} was just taken",
            customer_message="同一主题刚刚有人提交了新版本，请刷新后重试。",
        ) from exc
    _audit(session, version, review.DRAFTED, author, version.note, now)
    session.flush()
    return version


def get_version(*, session: Session, version_id: int) -> FaqAnswerVersion:
    """Gets a version by its id; NotFound otherwise."""
    version = session.get(FaqAnswerVersion, version_id)
    if version is None:
        raise NotFound(f"no answer version {version_id}", customer_message="没有找到这个答案版本。")
    return version


def comparable_versions(
    *, session: Session, old_id: int, new_id: int
) -> tuple[FaqAnswerVersion, FaqAnswerVersion]:
    """Two versions of one topic, to compare; InvalidInput for versions of different topics."""
    before = get_version(session=session, version_id=old_id)
    after = get_version(session=session, version_id=new_id)
    if before.topic_id != after.topic_id:
        raise InvalidInput("versions of different topics", customer_message="只能比较同一主题的两个版本。")
    return before, after


def _locked(session: Session, version_id: int) -> FaqAnswerVersion:
    """The version, its row locked for the decision (two reviewers never both decide it)."""
    version = session.scalars(
        select(FaqAnswerVersion).where(FaqAnswerVersion.id == version_id).with_for_update()
    ).first()
    if version is None:
        raise NotFound(f"no answer version {version_id}", customer_message="没有找到这个答案版本。")
    return version


def approve(
    *, session: Session, version_id: int, reviewer: str, comment: str | None, now: datetime
) -> FaqAnswerVersion:
    """Approves a pending version written by someone else; it serves customers from its
    effective time (at once when none was asked for or it has passed)."""
    version = _locked(session, version_id)
    review.check_can_decide(status=version.status, author=version.author, reviewer=reviewer)
    # Rules may have changed since the draft was written (a related topic removed).
    checked_answer(topic_id=version.topic_id, text=version.text, related=list(version.related or []))
    comment = review.clean_comment(comment, required=False)
    version.status = review.APPROVED
    version.reviewer = reviewer
    version.review_comment = comment
    version.decided_at = now
    version.effective_at = max(version.effective_from, now) if version.effective_from else now
    session.flush()
    _audit(session, version, review.APPROVED, reviewer, version.review_comment, now)
    _bump_revision(session, now)
    return version


def reject(
    *, session: Session, version_id: int, reviewer: str, comment: str | None, now: datetime
) -> FaqAnswerVersion:
    """Sends a pending version back to its author with the reviewer's comment (required)."""
    version = _locked(session, version_id)
    review.check_can_decide(status=version.status, author=version.author, reviewer=reviewer)
    comment = review.clean_comment(comment, required=True)
    version.status = review.REJECTED
    version.reviewer = reviewer
    version.review_comment = comment
    version.decided_at = now
    session.flush()
    _audit(session, version, review.REJECTED, reviewer, version.review_comment, now)
    session.flush()
    return version


def withdraw(*, session: Session, version_id: int, author: str, now: datetime) -> FaqAnswerVersion:
    """Its author takes a pending version back."""
    version = _locked(session, version_id)
    review.check_can_withdraw(status=version.status, author=version.author, actor=author)
    version.status = review.WITHDRAWN
    version.decided_at = now
    session.flush()
    _audit(session, version, review.WITHDRAWN, author, None, now)
    session.flush()
    return version


def approved_versions(*, session: Session) -> list[FaqAnswerVersion]:
    """Every approved version (the answers that serve customers now or later, and earlier ones)."""
    return list(
        session.scalars(
            select(FaqAnswerVersion)
            .where(FaqAnswerVersion.status == review.APPROVED)
            .order_by(FaqAnswerVersion.topic_id, FaqAnswerVersion.effective_at, FaqAnswerVersion.id)
        )
    )


@dataclass(frozen=True)
class TopicState:
    """Where one topic's answer stands."""

    topic_id: str
    current: FaqAnswerVersion | None
    scheduled: list[FaqAnswerVersion]
    pending: list[FaqAnswerVersion]

    @property
    def states(self) -> list[str]:
        states = [review.PUBLISHED] if self.current else []
        if self.pending:
            states.append(review.PENDING)
        if self.scheduled:
            states.append(review.SCHEDULED)
        return states


def _current_and_scheduled(
    approved: list[FaqAnswerVersion], now: datetime
) -> tuple[FaqAnswerVersion | None, list[FaqAnswerVersion]]:
    by_id = {v.id: v for v in approved}
    current, scheduled = review.current_and_scheduled(
        (review.ApprovedVersion(v.id, v.effective_at) for v in approved), now=now
    )
    return (by_id[current.id] if current else None), [by_id[s.id] for s in scheduled]


def topic_states(*, session: Session, now: datetime) -> dict[str, TopicState]:
    """Every topic with versions: its current version, scheduled and pending ones."""
    rows = session.scalars(
        select(FaqAnswerVersion)
        .where(FaqAnswerVersion.status.in_((review.APPROVED, review.PENDING)))
        .order_by(FaqAnswerVersion.topic_id, FaqAnswerVersion.number)
    )
    grouped: dict[str, list[FaqAnswerVersion]] = {}
    for version in rows:
        grouped.setdefault(version.topic_id, []).append(version)
    states = {}
    for topic_id, versions in grouped.items():
        current, scheduled = _current_and_scheduled([v for v in versions if v.status == review.APPROVED], now)
        pending = [v for v in versions if v.status == review.PENDING]
        states[topic_id] = TopicState(topic_id, current, scheduled, pending)
    return states


def topic_history(
    *, session: Session, topic_id: str, now: datetime
) -> tuple[TopicState, list[FaqAnswerVersion]]:
    """A topic's state and every version of it, newest first."""
    versions = list(
        session.scalars(
            select(FaqAnswerVersion)
            .where(FaqAnswerVersion.topic_id == topic_id)
            .order_by(FaqAnswerVersion.number.desc())
        )
    )
    current, scheduled = _current_and_scheduled([v for v in versions if v.status == review.APPROVED], now)
    pending = [v for v in versions if v.status == review.PENDING]
    return TopicState(topic_id, current, scheduled, pending), versions


def version_state(version: FaqAnswerVersion, state: TopicState) -> str:
    return review.version_state(
        version.status,
        version_id=version.id,
        current_id=state.current.id if state.current else None,
        scheduled_ids=[v.id for v in state.scheduled],
    )


def events(*, session: Session, topic_id: str | None = None, limit: int = 200) -> list[FaqAnswerEvent]:
    """The audit trail, newest first (one topic's, or everyone's)."""
    statement = select(FaqAnswerEvent).order_by(FaqAnswerEvent.created_at.desc(), FaqAnswerEvent.id.desc())
    if topic_id:
        statement = statement.where(FaqAnswerEvent.topic_id == topic_id)
    return list(session.scalars(statement.limit(limit)))
