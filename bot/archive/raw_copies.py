"""Retention of the raw copies of customer text, beside the masked transcript store.

Three places hold what customers typed (encrypted at rest, readable with the key): the API's
delivery log (`conversation` and `conversation_message`, our database), Rasa's SQL tracker store (table `events`: every user
message, and slots such as `complaint_draft` holding the phone and name) and Rasa's SQL event broker
(table `events(id, sender_id, data)`, the transcript consumer's source). They follow the transcript
store's rule: a conversation whose last message is older than `TRANSCRIPT_RETENTION_DAYS` goes,
from every copy at once, with its handoffs and call-back requests (masked context, encrypted
phone). Each copy judges age by its own clock (the log's message times, the
tracker's event timestamps); the broker table has no time column, so its rows go with the
conversations any other copy found expired. In production the broker is RabbitMQ, whose queue is
emptied as the consumer acknowledges, so only the tracker store and the log need purging.

The tracker and broker tables are Rasa's, reached through their own engines with plain SQL; this
module never imports Rasa.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.conversations.models import ActionEffect, Conversation, ConversationMessage
from bot.handoff.models import CallbackRequest, Handoff, HandoffEvent

RASA_EVENTS_TABLE = "events"
BATCH = 500
# Records of a conversation's handoffs, each with a conversation_id column.
HANDOFF_MODELS: tuple[Any, ...] = (Handoff, CallbackRequest)


@dataclass
class RawPurgeReport:
    """How many conversations and rows each raw copy lost (or would lose)."""

    conversations: set[str] = field(default_factory=set)
    api_messages: int = 0
    handoff_records: int = 0
    tracker_events: int = 0
    broker_events: int = 0


def expired_api_conversations(*, session: Session, cutoff: datetime) -> list[str]:
    """Conversations of the API log whose last activity and every message are older than `cutoff`."""
    recent = exists().where(
        ConversationMessage.conversation_id == Conversation.id, ConversationMessage.created_at >= cutoff
    )
    return list(
        session.scalars(select(Conversation.id).where(Conversation.last_activity_at < cutoff, ~recent))
    )


def expired_tracker_senders(*, connection: Connection, cutoff: datetime) -> list[str]:
    """Senders (conversation ids) of Rasa's tracker store whose newest event is older than `cutoff`."""
    if not _has_events_table(connection):
        return []
    return list(
        connection.execute(
            text(
                f"SELECT sender_id FROM {RASA_EVENTS_TABLE} GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
            ),
            {"cutoff": cutoff.timestamp()},
        ).scalars()
    )


def purge_api_log(*, session: Session, conversation_ids: Iterable[str]) -> int:
    """Removes the conversations and their messages from the API log; returns how many messages."""
    removed = 0
    for batch in _batches(conversation_ids):
        removed += (
            session.execute(
                delete(ConversationMessage).where(ConversationMessage.conversation_id.in_(batch)),
                execution_options={"synchronize_session": False},
            ).rowcount
            or 0
        )
        session.execute(
            delete(ActionEffect).where(ActionEffect.conversation_id.in_(batch)),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            delete(Conversation).where(Conversation.id.in_(batch)),
            execution_options={"synchronize_session": False},
        )
    session.flush()
    return removed


def purge_handoff_records(*, session: Session, conversation_ids: Iterable[str]) -> int:
    """Removes the conversations' handoffs and call-back requests (masked context, encrypted
    phone) with their events; returns how many handoffs and call-backs."""
    removed = 0
    for batch in _batches(conversation_ids):
        handoffs = select(Handoff.id).where(Handoff.conversation_id.in_(batch))
        callbacks = select(CallbackRequest.id).where(CallbackRequest.conversation_id.in_(batch))
        session.execute(
            delete(HandoffEvent).where(HandoffEvent.handoff_id.in_(handoffs)),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            delete(HandoffEvent).where(HandoffEvent.callback_id.in_(callbacks)),
            execution_options={"synchronize_session": False},
        )
        for model in HANDOFF_MODELS:
            removed += (
                session.execute(
                    delete(model).where(model.conversation_id.in_(batch)),
                    execution_options={"synchronize_session": False},
                ).rowcount
                or 0
            )
    session.flush()
    return removed


def count_handoff_records(*, session: Session, conversation_ids: Iterable[str]) -> int:
    total = 0
    for batch in _batches(conversation_ids):
        for model in HANDOFF_MODELS:
            total += (
                session.scalar(
                    select(func.count()).select_from(model).where(model.conversation_id.in_(batch))
                )
                or 0
            )
    return total


def purge_rasa_events(*, connection: Connection, sender_ids: Iterable[str]) -> int:
    """Removes every row of the senders from a Rasa `events` table (tracker store or SQL broker);
    returns how many."""
    if not _has_events_table(connection):
        return 0
    removed = 0
    for batch in _batches(sender_ids):
        names = {f"s{i}": sender for i, sender in enumerate(batch)}
        placeholders = ", ".join(f":{name}" for name in names)
        removed += (
            connection.execute(
                text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id IN ({placeholders})"), names
            ).rowcount
            or 0
        )
    return removed


def count_rasa_events(*, connection: Connection, sender_ids: Iterable[str]) -> int:
    """How many rows of a Rasa `events` table belong to the senders (for a dry run)."""
    if not _has_events_table(connection):
        return 0
    total = 0
    for batch in _batches(sender_ids):
        names = {f"s{i}": sender for i, sender in enumerate(batch)}
        placeholders = ", ".join(f":{name}" for name in names)
        total += connection.execute(
            text(f"SELECT COUNT(*) FROM {RASA_EVENTS_TABLE} WHERE sender_id IN ({placeholders})"), names
        ).scalar_one()
    return total


def count_api_messages(*, session: Session, conversation_ids: Iterable[str]) -> int:
    total = 0
    for batch in _batches(conversation_ids):
        total += (
            session.scalar(
                select(func.count())
                .select_from(ConversationMessage)
                .where(ConversationMessage.conversation_id.in_(batch))
            )
            or 0
        )
    return total


def _has_events_table(connection: Connection) -> bool:
    return inspect(connection).has_table(RASA_EVENTS_TABLE)


def _batches(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(set(values))
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def purge_expired_copies(
    *,
    session: Session,
    cutoff: datetime,
    tracker: Connection | None = None,
    broker: Connection | None = None,
    also_expired: Iterable[str] = (),
    dry_run: bool = False,
) -> RawPurgeReport:
    """Removes (or with `dry_run` counts) every raw copy of the conversations whose last message is
    older than `cutoff` in the API log or the tracker store, or that the caller already found
    expired (`also_expired`: the transcript store's)."""
    report = RawPurgeReport()
    report.conversations.update(also_expired)
    report.conversations.update(expired_api_conversations(session=session, cutoff=cutoff))
    if tracker is not None:
        report.conversations.update(expired_tracker_senders(connection=tracker, cutoff=cutoff))
    expired = report.conversations
    if dry_run:
        report.api_messages = count_api_messages(session=session, conversation_ids=expired)
        report.handoff_records = count_handoff_records(session=session, conversation_ids=expired)
        report.tracker_events = (
            count_rasa_events(connection=tracker, sender_ids=expired) if tracker is not None else 0
        )
        report.broker_events = (
            count_rasa_events(connection=broker, sender_ids=expired) if broker is not None else 0
        )
        return report
    report.api_messages = purge_api_log(session=session, conversation_ids=expired)
    report.handoff_records = purge_handoff_records(session=session, conversation_ids=expired)
    if tracker is not None:
        report.tracker_events = purge_rasa_events(connection=tracker, sender_ids=expired)
    if broker is not None:
        report.broker_events = purge_rasa_events(connection=broker, sender_ids=expired)
    return report
