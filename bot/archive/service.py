"""Service records and retention: this package decides how long a conversation is kept.

Each conversation in the transcript store has one service record: its topics (the intents the
customer raised), its outcome, the satisfaction score and `retain_until` = last message +
`TRANSCRIPT_RETENTION_DAYS`. A conversation whose record's date has passed is expired:
`bot.transcripts.service.purge_expired` removes its whole transcript together with the record
(`delete_records`), and `raw_copies` its raw copies. This package imports nothing of
bot.transcripts (the transcripts feed it), so the two never import each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import ANSWERED, ASSESSMENT_DONE, COMPLAINT_FILED, HANDED_OFF, ServiceRecord

# Three years, the default of TRANSCRIPT_RETENTION_DAYS (bot/config.py).
DEFAULT_RETENTION_DAYS = 1095


def outcome_of(*, handed_off: bool, complaint_filed: bool, assessment_done: bool) -> str:
    """The strongest outcome: a filed complaint, then an assessment, then a handoff."""
    if complaint_filed:
        return COMPLAINT_FILED
    if assessment_done:
        return ASSESSMENT_DONE
    if handed_off:
        return HANDED_OFF
    return ANSWERED


class ConversationSummary(Protocol):
    """What a service record is made of (bot.transcripts.models.TranscriptConversation)."""

    conversation_id: str
    channel: str | None
    customer_id: str | None
    intents: list[str] | None
    handed_off: bool
    complaint_filed: bool
    assessment_done: bool
    satisfaction: int | None
    started_at: datetime
    last_message_at: datetime


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Conversations whose last message is older than this are past retention."""
    return now - timedelta(days=retention_days)


def record_conversation(
    *, session: Session, conversation: ConversationSummary, retention_days: int
) -> ServiceRecord:
    """Creates or updates the service record of a summarised conversation."""
    record = session.get(ServiceRecord, conversation.conversation_id)
    if record is None:
        record = ServiceRecord(conversation_id=conversation.conversation_id)
        session.add(record)
    record.channel = conversation.channel
    record.customer_id = conversation.customer_id
    record.topics = conversation.intents
    record.outcome = outcome_of(
        handed_off=conversation.handed_off,
        complaint_filed=conversation.complaint_filed,
        assessment_done=conversation.assessment_done,
    )
    record.satisfaction = conversation.satisfaction
    record.started_at = conversation.started_at
    record.ended_at = conversation.last_message_at
    record.retain_until = conversation.last_message_at + timedelta(days=retention_days)
    return record


def expired_conversation_ids(*, session: Session, now: datetime) -> list[str]:
    """The conversations whose service record's retention date has passed."""
    return list(session.scalars(expired_ids(now=now)))


@dataclass
class PurgeReport:
    conversations: int = 0
    messages: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    by_outcome: dict[str, int] = field(default_factory=dict)


def expired_report(*, session: Session, now: datetime) -> PurgeReport:
    """How many conversations are past retention, by outcome, with the span of their last
    messages (`messages` is the transcript store's to count)."""
    report = PurgeReport()
    for outcome, count, oldest, newest in session.execute(
        select(
            ServiceRecord.outcome,
            func.count(),
            func.min(ServiceRecord.ended_at),
            func.max(ServiceRecord.ended_at),
        )
        .where(ServiceRecord.retain_until < now)
        .group_by(ServiceRecord.outcome)
    ):
        report.by_outcome[outcome] = count
        report.conversations += count
        report.oldest = oldest if report.oldest is None else min(report.oldest, oldest)
        report.newest = newest if report.newest is None else max(report.newest, newest)
    return report


def expired_ids(*, now: datetime):
    """A query of the conversation ids past retention (to select from, or to filter by)."""
    return select(ServiceRecord.conversation_id).where(ServiceRecord.retain_until < now)


def delete_records(*, session: Session, conversation_ids: Sequence[str]) -> None:
    """Removes the service records of conversations whose transcripts are removed."""
    session.execute(
        delete(ServiceRecord).where(ServiceRecord.conversation_id.in_(conversation_ids)),
        execution_options={"synchronize_session": False},
    )
