"""Reading the transcript store: filters, the conversation list, one transcript, tags and
annotations. Everything here is masked text (masking happens at write time)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, asc, delete, desc, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select

from bot.errors import InvalidInput, NotFound
from bot.text.china_time import CHINA

from . import labels, outcomes
from .models import (
    TranscriptAnnotation,
    TranscriptConversation,
    TranscriptConversationEntity,
    TranscriptConversationIntent,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTag,
    TranscriptTerm,
)
from .search import query_terms

C = TranscriptConversation
SORTS = {
    "-started_at": (desc(C.started_at), desc(C.conversation_id)),
    "started_at": (asc(C.started_at), asc(C.conversation_id)),
    "min_confidence": (asc(C.min_confidence).nulls_last(), desc(C.started_at), desc(C.conversation_id)),
    "-message_count": (desc(C.message_count), desc(C.started_at), desc(C.conversation_id)),
    "-last_message_at": (desc(C.last_message_at), desc(C.conversation_id)),
}
MAX_TAG_CHARS = 50


@dataclass(frozen=True)
class ConversationFilter:
    """The list's filters; every dashboard figure returns the ones behind it."""

    date_from: date | None = None  # China dates, inclusive
    date_to: date | None = None
    channel: str | None = None
    intent: str | None = None
    max_confidence: float | None = None  # lowest customer-message confidence below this
    fallback: bool | None = None
    handed_off: bool | None = None
    handoff_reason: str | None = None
    complaint_filed: bool | None = None
    assessment_done: bool | None = None
    satisfaction: str | None = None  # "1".."5", "rated" or "unrated"
    tag: str | None = None
    q: str | None = None
    outcome: str | None = None  # bot.transcripts.outcomes.OUTCOMES
    customer_spoke: bool | None = None  # the customer wrote at least once
    entity: str | None = None  # a type (BANK), alone or with a value
    entity_value: str | None = None  # a value (中国工商银行), of that type or of any
    answer_version_id: int | None = None  # the assistant gave this FAQ answer version

    def params(self, **extra: Any) -> dict[str, str]:
        """Query parameters for the list (booleans as "true"/"false"); `extra` overrides."""
        values = {**asdict(self), **extra}
        out = {}
        for name, value in values.items():
            if value is None or value == "":
                continue
            out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out


def china_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


def conversation_ids(session: Session, filters: ConversationFilter) -> Select:
    """SELECT conversation_id of the conversations matching the filters."""
    return apply(select(C.conversation_id), filters)


def apply(statement: Select, filters: ConversationFilter) -> Select:
    """Adds the filters' conditions on transcript_conversation to a statement."""
    f = filters
    conditions = []
    if f.date_from:
        conditions.append(C.started_at >= china_day_start(f.date_from))
    if f.date_to:
        conditions.append(C.started_at < china_day_start(f.date_to + timedelta(days=1)))
    if f.channel:
        conditions.append(C.channel == f.channel)
    if f.intent:
        # "faq" also finds every FAQ topic ("faq/card_lost"): the retrieval intent and its parts.
        intent = TranscriptConversationIntent.intent
        matches = or_(intent == f.intent, intent.startswith(f.intent + "/", autoescape=True))
        conditions.append(
            C.conversation_id.in_(select(TranscriptConversationIntent.conversation_id).where(matches))
        )
    if f.outcome:
        if f.outcome not in outcomes.OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(outcomes.OUTCOMES)}, not {f.outcome!r}")
        conditions.append(C.outcome == f.outcome)
    if f.customer_spoke is not None:
        conditions.append(C.customer_message_count > 0 if f.customer_spoke else C.customer_message_count == 0)
    if f.max_confidence is not None:
        conditions.append(C.min_confidence < f.max_confidence)
    if f.fallback is not None:
        conditions.append(C.fallback_count > 0 if f.fallback else C.fallback_count == 0)
    for name in ("handed_off", "complaint_filed", "assessment_done"):
        value = getattr(f, name)
        if value is not None:
            conditions.append(getattr(C, name).is_(value))
    if f.handoff_reason:
        conditions.append(C.handoff_reason == f.handoff_reason)
    if f.satisfaction:
        if f.satisfaction == "rated":
            conditions.append(C.satisfaction.is_not(None))
        elif f.satisfaction == "unrated":
            conditions.append(C.satisfaction.is_(None))
        elif f.satisfaction.isdigit() and 1 <= int(f.satisfaction) <= 5:
            conditions.append(C.satisfaction == int(f.satisfaction))
        else:
            raise InvalidInput(f"satisfaction must be 1-5, rated or unrated, not {f.satisfaction!r}")
    if f.tag:
        conditions.append(
            C.conversation_id.in_(select(TranscriptTag.conversation_id).where(TranscriptTag.tag == f.tag))
        )
    if f.entity or f.entity_value:
        named = select(TranscriptConversationEntity.conversation_id)
        if f.entity:
            named = named.where(TranscriptConversationEntity.entity == f.entity)
        if f.entity_value:
            named = named.where(TranscriptConversationEntity.value == f.entity_value.strip())
        conditions.append(C.conversation_id.in_(named))
    if f.answer_version_id is not None:
        shown = select(TranscriptMessage.conversation_id).where(
            TranscriptMessage.answer_version_id == f.answer_version_id
        )
        conditions.append(C.conversation_id.in_(shown))
    if f.q and f.q.strip():
        conditions.append(C.conversation_id.in_(search_conversations(f.q)))
    return statement.where(and_(*conditions)) if conditions else statement


def search_conversations(query: str) -> Select:
    """Conversations with one customer or agent message holding every term of the query."""
    terms = query_terms(query)
    if not terms:
        # Only punctuation: nothing can match it.
        return select(TranscriptTerm.conversation_id).where(TranscriptTerm.term.is_(None))
    # One self-join per further term on the index's own order (conversation, message): the
    # database merges sorted index scans instead of grouping every row of common words.
    first = aliased(TranscriptTerm)
    statement = select(first.conversation_id).where(first.term == terms[0])
    for term in terms[1:]:
        other = aliased(TranscriptTerm)
        statement = statement.join(
            other,
            and_(
                other.term == term,
                other.conversation_id == first.conversation_id,
                other.message_id == first.message_id,
            ),
        )
    return statement


def list_conversations(
    *,
    session: Session,
    filters: ConversationFilter,
    sort: str = "-started_at",
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching conversations (with their tags) and how many match in all."""
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {sorted(SORTS)}")
    total = session.scalar(apply(select(func.count()).select_from(C), filters)) or 0
    rows = list(
        session.scalars(
            apply(select(C), filters).order_by(*SORTS[sort]).offset((page - 1) * page_size).limit(page_size)
        )
    )
    tags = tags_of(session, [row.conversation_id for row in rows])
    return [conversation_item(row, tags.get(row.conversation_id, [])) for row in rows], total


def tags_of(session: Session, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if ids:
        for conversation_id, tag in session.execute(
            select(TranscriptTag.conversation_id, TranscriptTag.tag)
            .where(TranscriptTag.conversation_id.in_(ids))
            .order_by(TranscriptTag.created_at, TranscriptTag.tag)
        ):
            out.setdefault(conversation_id, []).append(tag)
    return out


def conversation_item(row: TranscriptConversation, tags: list[str]) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "customer_id": row.customer_id,
        "started_at": row.started_at,
        "last_message_at": row.last_message_at,
        "message_count": row.message_count,
        "first_customer_text": row.first_customer_text,
        "intents": row.intents or [],
        "intent_labels": [labels.intent_label(intent) for intent in row.intents or []],
        "min_confidence": row.min_confidence,
        "fallback_count": row.fallback_count,
        "handed_off": row.handed_off,
        "handoff_reason": row.handoff_reason,
        "complaint_filed": row.complaint_filed,
        "case_number": row.case_number,
        "assessment_done": row.assessment_done,
        "satisfaction": row.satisfaction,
        "customer_message_count": row.customer_message_count,
        "callback_requested": row.callback_requested,
        "outcome": row.outcome,
        "outcome_label": outcomes.LABELS.get(row.outcome or "", "客户未发言"),
        "tags": tags,
    }


def get_conversation(*, session: Session, conversation_id: str) -> TranscriptConversation:
    """A conversation of the store; NotFound when there is none."""
    conversation = session.get(TranscriptConversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no transcript for conversation {conversation_id!r}")
    return conversation


def message_item(message: TranscriptMessage, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "normalized_text": message.normalized_text,
        "intent": message.intent,
        "intent_label": labels.intent_label(message.intent) if message.sender == "customer" else None,
        "confidence": message.confidence,
        "entities": message.entities or [],
        "fallback": message.fallback,
        "form": message.form,
        "requested_slot": message.requested_slot,
        "payload": message.payload,
        "buttons": message.buttons or [],
        "agent_name": message.agent_name,
        "action_name": message.action_name,
        "answer_version_id": message.answer_version_id,
        "created_at": message.created_at,
        "annotations": annotations,
    }


def annotation_item(note: TranscriptAnnotation) -> dict[str, Any]:
    return {
        "id": note.id,
        "message_id": note.message_id,
        "correct_intent": note.correct_intent,
        "note": note.note,
        "author": note.author,
        "created_at": note.created_at,
    }


def events_of(session: Session, conversation_id: str) -> list[dict[str, Any]]:
    """Inline events; one seen both in Rasa's stream and in a domain table is shown once (the
    domain one, which carries the case number or reason)."""
    events = list(
        session.scalars(
            select(TranscriptEvent)
            .where(TranscriptEvent.conversation_id == conversation_id)
            .order_by(TranscriptEvent.created_at, TranscriptEvent.id)
        )
    )
    from_domain = {e.kind for e in events if not e.source_key.startswith("rasa:")}
    return [
        {"kind": e.kind, "detail": e.detail, "created_at": e.created_at}
        for e in events
        if not (e.source_key.startswith("rasa:") and e.kind in from_domain)
    ]


def conversation_detail(*, session: Session, conversation_id: str) -> dict[str, Any]:
    """The whole transcript: messages with what was understood and their annotations, inline
    events and tags."""
    conversation = get_conversation(session=session, conversation_id=conversation_id)
    notes: dict[int, list[dict[str, Any]]] = {}
    for note in session.scalars(
        select(TranscriptAnnotation)
        .where(TranscriptAnnotation.conversation_id == conversation_id)
        .order_by(TranscriptAnnotation.id)
    ):
        notes.setdefault(note.message_id, []).append(annotation_item(note))
    tags = tags_of(session, [conversation_id]).get(conversation_id, [])
    messages = [
        message_item(m, notes.get(m.id, []))
        for m in session.scalars(
            select(TranscriptMessage)
            .where(TranscriptMessage.conversation_id == conversation_id)
            .order_by(TranscriptMessage.created_at, TranscriptMessage.id)
        )
    ]
    return {
        "conversation": conversation_item(conversation, tags),
        "messages": messages,
        "events": events_of(session, conversation_id),
        "tags": tags,
        "annotations": [note for group in notes.values() for note in group],
    }


def _clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").split())
    if not tag or len(tag) > MAX_TAG_CHARS:
        raise InvalidInput(f"a tag has 1 to {MAX_TAG_CHARS} characters")
    return tag


def add_tag(*, session: Session, conversation_id: str, tag: str, author: str, now: datetime) -> list[str]:
    """Tags a conversation (a second time changes nothing); returns its tags."""
    get_conversation(session=session, conversation_id=conversation_id)
    tag = _clean_tag(tag)
    if session.get(TranscriptTag, (conversation_id, tag)) is None:
        session.add(
            TranscriptTag(conversation_id=conversation_id, tag=tag, created_by=author, created_at=now)
        )
        session.flush()
    return tags_of(session, [conversation_id]).get(conversation_id, [])


def remove_tag(*, session: Session, conversation_id: str, tag: str) -> list[str]:
    """Removes a tag (absent: nothing happens); returns the remaining tags."""
    get_conversation(session=session, conversation_id=conversation_id)
    session.execute(
        delete(TranscriptTag).where(
            TranscriptTag.conversation_id == conversation_id, TranscriptTag.tag == " ".join(tag.split())
        )
    )
    session.flush()
    return tags_of(session, [conversation_id]).get(conversation_id, [])


def entity_values(*, session: Session, limit: int = 300) -> list[dict[str, Any]]:
    """The entity values conversations named, with how many conversations named each, most
    named first (the entity filter's choices)."""
    from bot.entities.facts import TYPE_LABELS

    rows = session.execute(
        select(TranscriptConversationEntity.entity, TranscriptConversationEntity.value, func.count())
        .group_by(TranscriptConversationEntity.entity, TranscriptConversationEntity.value)
        .order_by(desc(func.count()), TranscriptConversationEntity.entity, TranscriptConversationEntity.value)
        .limit(limit)
    )
    return [
        {"entity": entity, "label": TYPE_LABELS.get(entity, entity), "value": value, "count": count}
        for entity, value, count in rows
    ]


def all_tags(*, session: Session) -> list[dict[str, Any]]:
    """Every tag in use with how many conversations carry it, most used first."""
    return [
        {"tag": tag, "count": count}
        for tag, count in session.execute(
            select(TranscriptTag.tag, func.count())
            .group_by(TranscriptTag.tag)
            .order_by(desc(func.count()), TranscriptTag.tag)
        )
    ]


def annotate_message(
    *,
    session: Session,
    conversation_id: str,
    message_id: int,
    correct_intent: str | None,
    note: str | None,
    author: str,
    now: datetime,
) -> TranscriptAnnotation:
    """Records an analyst's correction or remark on one message of the conversation."""
    correct_intent = (correct_intent or "").strip() or None
    note = (note or "").strip() or None
    if not correct_intent and not note:
        raise InvalidInput("an annotation needs correct_intent or note")
    message = session.get(TranscriptMessage, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise NotFound(f"message {message_id} is not in conversation {conversation_id!r}")
    if correct_intent and message.sender != "customer":
        raise InvalidInput("only a customer message has an intent to correct")
    # missing_topic: a question the knowledge base lacks (listed by bot/faq/quality.missing_topics).
    if correct_intent and correct_intent != labels.MISSING_TOPIC:
        named = labels.correction_intent(correct_intent)
        if named is None:
            raise InvalidInput(
                f"correct_intent {correct_intent[:100]!r} is neither a known intent nor an FAQ topic",
                customer_message="正确意图须为已知意图或常见问题主题，例如 request_human、faq/card_lost；请从下拉列表中选择。",
            )
        correct_intent = named
    annotation = TranscriptAnnotation(
        message_id=message_id,
        conversation_id=conversation_id,
        correct_intent=correct_intent,
        note=note,
        author=author,
        created_at=now,
    )
    session.add(annotation)
    session.flush()
    return annotation


def delete_annotation(*, session: Session, conversation_id: str, annotation_id: int) -> None:
    annotation = session.get(TranscriptAnnotation, annotation_id)
    if annotation is None or annotation.conversation_id != conversation_id:
        raise NotFound(f"no annotation {annotation_id} in conversation {conversation_id!r}")
    session.delete(annotation)
    session.flush()
