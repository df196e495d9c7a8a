"""Service records and retention.

Each conversation in the transcript store has one service record: its topics (the intents the
customer raised), its outcome, the satisfaction score and `retain_until` = last message +
`TRANSCRIPT_RETENTION_DAYS`. `purge_expired` removes records past that date together with the
conversation's whole transcript (messages, search terms, events, tags, annotations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import ANSWERED, ASSESSMENT_DONE, COMPLAINT_FILED, HANDED_OFF, ServiceRecord

if TYPE_CHECKING:
    from bot.transcripts.models import TranscriptConversation

PURGE_BATCH = 500


def outcome_of(*, handed_off: bool, complaint_filed: bool, assessment_done: bool) -> str:
    """The strongest outcome: a filed complaint, then an assessment, then a handoff."""
    if complaint_filed:
        return COMPLAINT_FILED
    if assessment_done:
        return ASSESSMENT_DONE
    if handed_off:
        return HANDED_OFF
    return ANSWERED


def record_conversation(*, session: Session, conversation: "TranscriptConversation", retention_days: int) -> ServiceRecord:
    """Creates or updates the service record of a summarised conversation."""
    record = session.get(ServiceRecord, conversation.conversation_id)
    if record is None:
        record = ServiceRecord(conversation_id=conversation.conversation_id)
        session.add(record)
    record.channel = conversation.channel
    record.customer_id = conversation.customer_id
    record.topics = conversation.intents
    record.outcome = outcome_of(handed_off=conversation.handed_off, complaint_filed=conversation.complaint_filed,
                                assessment_done=conversation.assessment_done)  # fmt: skip
    record.satisfaction = conversation.satisfaction
    record.started_at = conversation.started_at
    record.ended_at = conversation.last_message_at
    record.retain_until = conversation.last_message_at + timedelta(days=retention_days)
    return record


def expired_conversation_ids(*, session: Session, now: datetime) -> list[str]:
    """The conversations whose service record's retention date has passed."""
    return list(session.scalars(select(ServiceRecord.conversation_id).where(ServiceRecord.retain_until < now)))


@dataclass
class PurgeReport:
    conversations: int = 0
    messages: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    by_outcome: dict[str, int] = field(default_factory=dict)


def purge_expired(*, session: Session, now: datetime, dry_run: bool = False) -> PurgeReport:
    """Removes every conversation whose service record's retention date has passed; with
    `dry_run` only reports what would go."""
    from bot.transcripts.models import (
        TranscriptAnnotation,
        TranscriptConversation,
        TranscriptConversationEntity,
        TranscriptConversationIntent,
        TranscriptDialogueState,
        TranscriptEvent,
        TranscriptMessage,
        TranscriptTag,
        TranscriptTerm,
    )

    expired = select(ServiceRecord.conversation_id).where(ServiceRecord.retain_until < now)
    report = PurgeReport()
    for outcome, count, oldest, newest in session.execute(
        select(ServiceRecord.outcome, func.count(), func.min(ServiceRecord.ended_at), func.max(ServiceRecord.ended_at))
        .where(ServiceRecord.retain_until < now)
        .group_by(ServiceRecord.outcome)
    ):
        report.by_outcome[outcome] = count
        report.conversations += count
        report.oldest = oldest if report.oldest is None else min(report.oldest, oldest)
        report.newest = newest if report.newest is None else max(report.newest, newest)
    report.messages = session.scalar(
        select(func.count()).select_from(TranscriptMessage).where(TranscriptMessage.conversation_id.in_(expired))
    ) or 0
    if dry_run or not report.conversations:
        return report
    while True:
        ids = list(session.scalars(expired.limit(PURGE_BATCH)))
        if not ids:
            break
        for model in (TranscriptAnnotation, TranscriptTerm, TranscriptEvent, TranscriptTag,
                      TranscriptConversationIntent, TranscriptConversationEntity, TranscriptDialogueState,
                      TranscriptMessage,
                      TranscriptConversation, ServiceRecord):  # fmt: skip
            session.execute(delete(model).where(model.conversation_id.in_(ids)), execution_options={"synchronize_session": False})
        session.flush()
    return report
