"""Feeding the transcript store: Rasa's event broker (customer, assistant and agent messages with
what the assistant understood, pauses and resumes) plus what only the API and the domain tables
know (queue and agent notices, handoff reasons and ratings, complaint cases, assessments).
Everything is masked before it is stored; each source is read from a cursor, and a replay stores
nothing twice (`source_key` is unique) and changes nothing.

Rasa's SQL event broker (the default; `endpoints.yml`) writes one row per event to a table
`events(id, sender_id, data)`; in production the same JSON events arrive through RabbitMQ
(`bot.transcripts.consumer.RabbitMQConsumer`), and `ingest_rasa_events` stores both.

After each batch the touched conversations are summarised again (`refresh_conversations`): the
filterable `transcript_conversation` row, its intents, and the archive's service record with its
retention date. bot.archive decides retention; `purge_expired` removes what it says has expired.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.archive import service as archive_service
from bot.cases.crypto import decrypt_if_encrypted
from bot.cases.models import ComplaintCase
from bot.conversations.models import ConversationMessage
from bot.db import build_engine
from bot.entities.facts import staff_view as entities_for_staff
from bot.handoff import lifecycle as handoff_lifecycle
from bot.handoff.models import CallbackRequest, Handoff
from bot.suitability.models import COMPLETED, Assessment
from bot.text.masking import PERSONAL_STEPS, mask_step_answer, mask_text
from bot.text.normalize import normalize_text

from . import labels, outcomes
from .models import (
    TranscriptAnnotation,
    TranscriptConversation,
    TranscriptConversationEntity,
    TranscriptConversationIntent,
    TranscriptCursor,
    TranscriptDialogueState,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTag,
    TranscriptTerm,
)
from .search import index_terms

logger = logging.getLogger(__name__)

RASA_SOURCE = "rasa"
API_SOURCE = "api"
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_handle_fallback", "action_default_fallback")
# Replies that mean something happened, shown inline as events.
EVENT_REPLIES = {"utter_complaint_filed": "complaint_filed", "utter_assessment_result": "assessment_done"}
INDEXED_SENDERS = ("customer", "agent")
REQUESTED_SLOT = "requested_slot"
# Our forms keep their step in a dict slot under this key (complaint_draft, callback_state, case_lookup).
STAGE_KEY = "stage"
# Events after which no form is active any more.
DIALOGUE_RESETS = ("restart", "session_started")
BATCH = 1000
PREVIEW_CHARS = 200
PURGE_BATCH = 500
DEFAULT_RETENTION_DAYS = archive_service.DEFAULT_RETENTION_DAYS


# The transaction-scoped PostgreSQL advisory lock of the transcript copy (any constant of ours).
COPY_LOCK_KEY = 0x7472616E
# Times a copying transaction is tried when another copier stored the same events meanwhile.
COPY_ATTEMPTS = 3


def lock_for_copy(session: Session) -> None:
    """PostgreSQL: makes this transaction the only one copying into the transcript store until it
    ends (an advisory lock; call it first). SQLite, whose one write lock taken for a whole batch
    would keep customers' messages waiting while the batch is decrypted, masked and indexed, is
    served by `copy_transaction`'s lock file instead."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COPY_LOCK_KEY})


@contextmanager
def _sqlite_copy_lock(session_factory: Any) -> Iterator[None]:
    """Copiers of a SQLite transcript store take turns on a lock file beside the database file
    (they run on its host); customers' messages, which never take it, are not held up."""
    bind = session_factory.kw.get("bind")
    database = bind.url.database if bind is not None and bind.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.copy-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copy_transaction(session_factory: Any, work: Any) -> Any:
    """`work(session)` in a copying transaction, one copier at a time. Copiers overlap: the
    follower's rounds, `consume` by hand, a bare API's round, a restarted follower. Without the
    lock two of them copied the same new events and the second's commit failed on their source
    keys; now the second sees what the first stored and skips it. Tried again after a clash all
    the same (a copier without this lock, a database busy past its timeout)."""
    for attempt in range(1, COPY_ATTEMPTS + 1):
        try:
            with _sqlite_copy_lock(session_factory), session_factory.begin() as session:
                lock_for_copy(session)
                return work(session)
        except (IntegrityError, OperationalError):
            if attempt == COPY_ATTEMPTS:
                raise
            logger.info("another copier stored the same events; copying them again (attempt %d)", attempt + 1)


def _cursor(session: Session, source: str) -> TranscriptCursor:
    cursor = session.get(TranscriptCursor, source)
    if cursor is None:
        cursor = TranscriptCursor(source=source, position=0)
        session.add(cursor)
        session.flush()
    return cursor


def _mapping(value: Any) -> dict[str, Any]:
    """A Rasa event's nested object, or an empty one when it is missing or malformed."""
    return value if isinstance(value, dict) else {}


def _time(event: dict[str, Any]) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, tz=UTC)
    return datetime.now(UTC)


def message_from_event(event_id: int | str, sender_id: str, event: dict[str, Any]) -> dict[str, Any] | None:
    """The transcript row of one Rasa event (masked), or None for events that are not messages."""
    kind = event.get("event")
    metadata = _mapping(event.get("metadata"))
    common = {
        "source_key": f"{RASA_SOURCE}:{event_id}",
        "conversation_id": sender_id,
        "created_at": _time(event),
        "channel": metadata.get("channel"),
        "customer_id": metadata.get("customer_id"),
    }
    if kind == "user":
        raw = event.get("text") or ""
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        entities = entities_for_staff(parse.get("entities"))
        return {
            **common,
            "sender": "customer",
            "text": mask_text(raw),
            "normalized_text": mask_text(normalize_text(raw)),
            "intent": labels.retrieval_intent(intent.get("name"), parse),
            "confidence": intent.get("confidence"),
            "entities": entities or None,
            "fallback": intent.get("name") == FALLBACK_INTENT,
        }
    if kind == "bot":
        data = event.get("data") or {}
        custom = _mapping(data.get("custom"))
        body = event.get("text") or custom.get("text") or ""
        if not body:
            return None
        agent = metadata.get("agent")
        buttons = _buttons(data.get("buttons") or custom.get("buttons"))
        return {
            **common,
            "sender": "agent" if agent else "assistant",
            "text": mask_text(body),
            "agent_name": agent,
            "fallback": False,
            "buttons": buttons,
            "action_name": None if agent else metadata.get("utter_action"),
            "answer_version_id": None if agent else _answer_version_id(metadata),
        }
    return None


def _answer_version_id(metadata: Any) -> int | None:
    """The knowledge base's answer version id an FAQ reply's metadata names (actions/faq.py), or
    None (not an FAQ reply, or not an id)."""
    raw = metadata.get("faq_answer_version_id")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def _buttons(raw: Any) -> list[dict[str, str]] | None:
    """The offered buttons as [{"title", "payload"}] (masked), or None."""
    if not isinstance(raw, list):
        return None
    buttons = [
        {"title": mask_text(str(b.get("title") or "")), "payload": mask_text(str(b.get("payload") or ""))}
        for b in raw
        if isinstance(b, dict)
    ]
    return buttons or None


def _offered_buttons(session: Session, conversation_id: str, before: datetime) -> list[dict[str, Any]] | None:
    """The buttons of the latest assistant or system message that offered some."""
    return session.scalars(
        select(TranscriptMessage.buttons)
        .where(
            TranscriptMessage.conversation_id == conversation_id,
            TranscriptMessage.sender.in_(("assistant", "system")),
            TranscriptMessage.buttons.is_not(None),
            TranscriptMessage.created_at <= before,
        )
        .order_by(TranscriptMessage.created_at.desc(), TranscriptMessage.id.desc())
        .limit(1)
    ).first()


def _dialogue_state(
    session: Session, states: dict[str, TranscriptDialogueState], conversation_id: str
) -> TranscriptDialogueState:
    state = states.get(conversation_id)
    if state is None:
        state = session.get(TranscriptDialogueState, conversation_id)
        if state is None:
            state = TranscriptDialogueState(conversation_id=conversation_id)
            session.add(state)
        states[conversation_id] = state
    return state


def _follow_dialogue(state: TranscriptDialogueState, event: dict[str, Any]) -> None:
    """Keeps the active form, the slot it asked for and the form's own step, from Rasa's events."""
    kind = event.get("event")
    if kind == "active_loop":
        state.active_form = event.get("name") or None
        if state.active_form is None:
            state.requested_slot = None
            state.stage = None
    elif kind == "slot" and event.get("name") == REQUESTED_SLOT:
        value = event.get("value")
        state.requested_slot = str(value)[:64] if value else None
    elif kind == "slot" and isinstance(event.get("value"), dict) and STAGE_KEY in event["value"]:
        stage = event["value"][STAGE_KEY]
        state.stage = str(stage)[:32] if stage else None
    elif kind in DIALOGUE_RESETS:
        state.active_form = None
        state.requested_slot = None
        state.stage = None


def _customer_turn(
    row: dict[str, Any], state: TranscriptDialogueState, offered: list[dict[str, Any]] | None
) -> None:
    """Marks a form answer (the NLU's guess about it is ignored: never a fallback), masks it whole
    when the step asked for a name, phone, address or identity number, and shows a button press by
    the button's title, keeping the payload."""
    if state.active_form and state.requested_slot:
        row["form"] = state.active_form
        row["requested_slot"] = state.requested_slot
        row["fallback"] = False
        personal = PERSONAL_STEPS.get(state.stage or "")
        if personal:
            row["text"] = mask_step_answer(personal, row["text"])
            row["normalized_text"] = mask_step_answer(personal, row.get("normalized_text") or "")
            row["entities"] = None
            return
    raw = row["text"]
    title = labels.button_title(raw, offered) if raw else None
    if title and title != raw:
        row["payload"] = raw[: labels.PAYLOAD_MAX_CHARS]
        row["text"] = mask_text(title)


# Source keys per IN (...) look-up: well under SQLite's limit of bound parameters.
SOURCE_KEYS_PER_QUERY = 500
# Asked once per event copied (built once; see README "Turn cost").
_EVENT_BY_SOURCE = select(TranscriptEvent.id).where(TranscriptEvent.source_key == bindparam("key"))


def _add_message(session: Session, row: dict[str, Any]) -> TranscriptMessage:
    message = TranscriptMessage(**row)
    session.add(message)
    return message


def _index_messages(session: Session, messages: list[TranscriptMessage]) -> None:
    """Stores a batch's new messages, then their search terms: one flush for the batch, not one
    per message (a third of the copy's time went to per-message flushes and look-ups)."""
    if not messages:
        return
    session.flush()  # the messages get their ids
    session.add_all(
        TranscriptTerm(term=term, conversation_id=message.conversation_id, message_id=message.id)
        for message in messages
        if message.sender in INDEXED_SENDERS
        for term in index_terms(message.text)
    )


def _known_sources(session: Session, keys: list[str]) -> set[str]:
    """Which of these source keys the transcript store already holds (a replayed round), asked
    once per batch."""
    known: set[str] = set()
    for start in range(0, len(keys), SOURCE_KEYS_PER_QUERY):
        chunk = keys[start : start + SOURCE_KEYS_PER_QUERY]
        known.update(
            session.scalars(
                select(TranscriptMessage.source_key).where(TranscriptMessage.source_key.in_(chunk))
            )
        )
    return known


def _store_event(
    session: Session,
    source_key: str,
    conversation_id: str,
    kind: str,
    created_at: datetime,
    detail: str | None = None,
) -> None:
    if session.scalar(_EVENT_BY_SOURCE, {"key": source_key}) is None:
        session.add(
            TranscriptEvent(
                source_key=source_key,
                conversation_id=conversation_id,
                kind=kind,
                detail=detail,
                created_at=created_at,
            )
        )


def _mark_fallback(session: Session, conversation_id: str, at: datetime) -> None:
    """A fallback action marks the customer message it answered (the latest one before it)."""
    latest = session.scalars(
        select(TranscriptMessage)
        .where(
            TranscriptMessage.conversation_id == conversation_id,
            TranscriptMessage.sender == "customer",
            TranscriptMessage.created_at <= at,
        )
        .order_by(TranscriptMessage.created_at.desc(), TranscriptMessage.id.desc())
        .limit(1)
    ).first()
    if latest is not None and not latest.fallback:
        latest.fallback = True


def ingest_rasa_events(
    session: Session,
    rows: Iterable[tuple[int | str, str, str | bytes | dict[str, Any]]],
    retention_days: int = DEFAULT_RETENTION_DAYS,
    touched: set[str] | None = None,
) -> int:
    """Stores the messages and events among broker rows (SQL broker id or RabbitMQ event key,
    sender_id, JSON data) and refreshes the conversations they touch; returns how many new
    messages. Given a `touched` set, the conversations are added to it instead, for the caller to
    refresh once after several batches."""
    stored = 0
    refresh_now = touched is None
    touched = set() if touched is None else touched
    last_action: dict[str, str] = {}
    states: dict[str, TranscriptDialogueState] = {}
    offered: dict[str, list[dict[str, Any]] | None] = {}
    rows = list(rows)
    known = _known_sources(session, [f"{RASA_SOURCE}:{event_id}" for event_id, _, _ in rows])
    new_messages: list[TranscriptMessage] = []
    # The newest customer message of this batch per conversation, which a fallback action marks.
    latest_customer: dict[str, TranscriptMessage] = {}
    # No flush before each look-up: the look-ups need nothing of this batch that is still
    # pending (buttons offered, dialogue states and the customer message a fallback marks are
    # followed in memory; source keys are unique per event); the batch's rows are flushed
    # together at the end.
    with session.no_autoflush:
        for event_id, sender_id, data in rows:
            try:
                event = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
            except (TypeError, ValueError):
                continue
            kind = event.get("event")
            key = f"{RASA_SOURCE}:{event_id}"
            if kind in ("active_loop", "slot", *DIALOGUE_RESETS):
                _follow_dialogue(_dialogue_state(session, states, sender_id), event)
                touched.add(sender_id)
                continue
            if kind == "action":
                name = event.get("name") or ""
                if name in FALLBACK_ACTIONS:
                    pending = latest_customer.get(sender_id)
                    if pending is not None:  # this batch's, not flushed yet
                        pending.fallback = True
                    else:
                        _mark_fallback(session, sender_id, _time(event))
                    touched.add(sender_id)
                if name != "action_listen":
                    last_action[sender_id] = name
                continue
            if kind in ("pause", "resume"):
                _store_event(
                    session,
                    key,
                    sender_id,
                    "handoff_requested" if kind == "pause" else "handback",
                    _time(event),
                )
                touched.add(sender_id)
                continue
            row = message_from_event(event_id, sender_id, event)
            if row is None:
                continue
            if row["sender"] == "customer":
                if sender_id not in offered:
                    offered[sender_id] = _offered_buttons(session, sender_id, row["created_at"])
                _customer_turn(row, _dialogue_state(session, states, sender_id), offered[sender_id])
            elif row.get("buttons"):
                offered[sender_id] = row["buttons"]
            if row["sender"] == "assistant":
                row["action_name"] = row.get("action_name") or last_action.get(sender_id)
                happened = EVENT_REPLIES.get(row.get("action_name") or "")
                if happened:
                    _store_event(session, key, sender_id, happened, row["created_at"])
            touched.add(sender_id)
            if row["source_key"] in known:
                if row["sender"] == "customer":  # stored by an earlier round: the database has it
                    latest_customer.pop(sender_id, None)
                continue
            known.add(row["source_key"])
            message = _add_message(session, row)
            new_messages.append(message)
            if message.sender == "customer":
                latest_customer[sender_id] = message
            stored += 1
    _index_messages(session, new_messages)
    session.flush()
    if refresh_now:
        refresh_conversations(session, touched, retention_days=retention_days)
    return stored


def consume_rasa_broker(
    session: Session, broker: Engine, batch: int = BATCH, retention_days: int = DEFAULT_RETENTION_DAYS
) -> int:
    """Reads the SQL event broker's `events` table from the stored cursor; returns new messages."""
    cursor = _cursor(session, RASA_SOURCE)
    touched: set[str] = set()
    total = 0
    while True:
        stored, last = copy_rasa_broker_batch(
            session, broker, cursor.position, batch, touched, retention_days
        )
        if last is None:
            break
        total += stored
        cursor.position = last
    refresh_conversations(session, touched, retention_days=retention_days)
    session.flush()
    return total


def rasa_broker_position(session: Session) -> int:
    """The id of the last SQL broker event copied and summarised."""
    return _cursor(session, RASA_SOURCE).position


def copy_rasa_broker_batch(
    session: Session,
    broker: Engine,
    after: int,
    batch: int,
    touched: set[str],
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> tuple[int, int | None]:
    """Copies at most `batch` SQL broker events after id `after` (messages and events already
    copied are skipped by their source key) and adds their conversations to `touched`; returns the
    new messages and the last event id, None when there was nothing. The cursor is not moved:
    `finish_rasa_broker_round` does, with the summaries."""
    with broker.connect() as connection:
        rows = connection.execute(
            text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT :limit"),
            {"after": after, "limit": batch},
        ).all()
    if not rows:
        return 0, None
    # Rows of rasa_components.stores.BatchingSQLEventBroker are encrypted at rest.
    rows = [(event_id, sender_id, decrypt_if_encrypted(data)) for event_id, sender_id, data in rows]
    stored = ingest_rasa_events(session, rows, retention_days=retention_days, touched=touched)
    return stored, rows[-1][0]


# Broker events copied per transaction (a customer turn is about six events).
COPY_BATCH = 200


def copy_rasa_broker_file(session_factory: Any, events_db: str, batch: int = COPY_BATCH) -> int:
    """Copies the new events of Rasa's SQL broker (the SQLite file `events_db`, when it exists)
    into the transcript store, `batch` events per transaction; returns how many new messages.
    SQLite has one writer: a whole round in one transaction held the write lock for seconds
    while customers' messages waited to be stored. The touched conversations are summarised
    once, with the cursor, at the end (`consume_rasa_broker` does the same in one session)."""
    if not events_db or not Path(events_db).exists():
        return 0
    broker = build_engine(f"sqlite:///{events_db}")
    try:
        copy = partial(copy_transaction, session_factory)
        start = position = copy(rasa_broker_position)
        touched: set[str] = set()
        stored = 0
        while True:
            count, last = copy(
                lambda session, after=position: copy_rasa_broker_batch(session, broker, after, batch, touched)
            )
            if last is None:
                break
            stored, position = stored + count, last
        if position != start:
            copy(lambda session: finish_rasa_broker_round(session, position, touched))
        return stored
    finally:
        broker.dispose()


def finish_rasa_broker_round(
    session: Session, position: int, touched: set[str], retention_days: int = DEFAULT_RETENTION_DAYS
) -> None:
    """Summarises the touched conversations again and moves the cursor to `position`, together:
    should the process die before, the next round copies the same events again (skipping what
    is stored) and summarises their conversations."""
    refresh_conversations(session, touched, retention_days=retention_days)
    cursor = _cursor(session, RASA_SOURCE)
    cursor.position = max(cursor.position, position)
    session.flush()


def consume_api_notices(
    session: Session, batch: int = BATCH, retention_days: int = DEFAULT_RETENTION_DAYS
) -> int:
    """Copies the API's own notices (sender "system": queue, agent joined or left, rating prompt),
    which Rasa never sees; agent replies come through Rasa's broker with agent metadata."""
    cursor = _cursor(session, API_SOURCE)
    total = 0
    while True:
        notices = list(
            session.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.id > cursor.position)
                .order_by(ConversationMessage.id)
                .limit(batch)
            )
        )
        if not notices:
            return total
        touched = set()
        system = [message for message in notices if message.sender == "system"]
        known = _known_sources(session, [f"{API_SOURCE}:{message.id}" for message in system])
        new_messages = []
        for message in system:
            if f"{API_SOURCE}:{message.id}" in known:
                continue
            new_messages.append(
                _add_message(
                    session,
                    {
                        "source_key": f"{API_SOURCE}:{message.id}",
                        "conversation_id": message.conversation_id,
                        "sender": "system",
                        "text": mask_text(message.text),
                        "fallback": False,
                        "buttons": _buttons((message.payload or {}).get("buttons")),
                        "created_at": message.created_at,
                    },
                )
            )
            touched.add(message.conversation_id)
            total += 1
        _index_messages(session, new_messages)
        cursor.position = notices[-1].id
        session.flush()
        refresh_conversations(session, touched, retention_days=retention_days)


def consume_domain_records(session: Session, retention_days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Refreshes conversations whose handoff (reason, rating), complaint case or assessment
    changed since the last round; returns how many conversations it refreshed."""
    touched: set[str] = set()
    handoffs = _cursor(session, "handoff")
    since = datetime.fromtimestamp(handoffs.position, tz=UTC)
    changed = session.execute(
        select(Handoff.conversation_id, Handoff.updated_at).where(Handoff.updated_at > since)
    ).all()
    for conversation_id, updated_at in changed:
        touched.add(conversation_id)
        handoffs.position = max(handoffs.position, int(updated_at.timestamp()))
    sources: tuple[tuple[str, Any], ...] = (("case", ComplaintCase), ("assessment", Assessment))
    for source, model in sources:
        cursor = _cursor(session, source)
        for record_id, conversation_id in session.execute(
            select(model.id, model.conversation_id).where(model.id > cursor.position).order_by(model.id)
        ):
            cursor.position = record_id
            if conversation_id:
                touched.add(conversation_id)
    session.flush()
    refresh_conversations(session, touched, retention_days=retention_days)
    return len(touched)


def reset_cursors(session: Session) -> None:
    """Reads every source again from the start (a replay; nothing is stored twice)."""
    session.execute(update(TranscriptCursor).values(position=0))


def _domain_events(session: Session, conversation_id: str) -> dict[str, Any]:
    """Stores the domain tables' facts about a conversation as inline events; returns them."""
    facts: dict[str, Any] = {
        "handoff_reason": None,
        "satisfaction": None,
        "case_number": None,
        "handed_off": False,
        "complaint_filed": False,
        "assessment_done": False,
        "callback_requested": False,
    }
    for callback in session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.conversation_id == conversation_id)
        .order_by(CallbackRequest.id)
    ):
        facts["callback_requested"] = True
        _store_event(
            session,
            f"callback:{callback.id}",
            conversation_id,
            "callback_requested",
            callback.created_at,
            callback.phone_masked,
        )
    for handoff in session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.requested_at)
    ):
        facts["handed_off"] = True
        facts["handoff_reason"] = facts["handoff_reason"] or handoff.reason
        label = handoff_lifecycle.REASON_LABELS.get(handoff.reason, handoff.reason)
        _store_event(
            session,
            f"handoff:{handoff.id}",
            conversation_id,
            "handoff_requested",
            handoff.requested_at,
            label,
        )
        if handoff.satisfaction:
            facts["satisfaction"] = handoff.satisfaction
            _store_event(
                session,
                f"rating:{handoff.id}",
                conversation_id,
                "rating",
                handoff.rated_at or handoff.updated_at,
                f"{handoff.satisfaction} 分",
            )
    for case in session.scalars(
        select(ComplaintCase)
        .where(ComplaintCase.conversation_id == conversation_id)
        .order_by(ComplaintCase.id)
    ):
        facts["complaint_filed"] = True
        facts["case_number"] = facts["case_number"] or case.number
        _store_event(
            session, f"case:{case.id}", conversation_id, "complaint_filed", case.received_at, case.number
        )
    for assessment in session.scalars(
        select(Assessment).where(
            Assessment.conversation_id == conversation_id, Assessment.status == COMPLETED
        )
    ):
        facts["assessment_done"] = True
        _store_event(
            session,
            f"assessment:{assessment.id}",
            conversation_id,
            "assessment_done",
            assessment.created_at,
            assessment.level,
        )
    return facts


def refresh_conversations(
    session: Session, conversation_ids: Iterable[str], retention_days: int = DEFAULT_RETENTION_DAYS
) -> None:
    """Summarises each conversation again from its stored messages, events and domain rows."""
    for conversation_id in sorted(set(conversation_ids)):
        _refresh_one(session, conversation_id, retention_days)
    session.flush()


def _refresh_one(session: Session, conversation_id: str, retention_days: int) -> None:
    facts = _domain_events(session, conversation_id)
    session.flush()
    messages = session.execute(
        select(
            TranscriptMessage.sender,
            TranscriptMessage.text,
            TranscriptMessage.intent,
            TranscriptMessage.confidence,
            TranscriptMessage.fallback,
            TranscriptMessage.channel,
            TranscriptMessage.customer_id,
            TranscriptMessage.created_at,
            TranscriptMessage.entities,
        )
        .where(TranscriptMessage.conversation_id == conversation_id)
        .order_by(TranscriptMessage.created_at, TranscriptMessage.id)
    ).all()
    if not messages:
        return
    kinds = set(
        session.scalars(
            select(TranscriptEvent.kind).where(TranscriptEvent.conversation_id == conversation_id)
        )
    )
    customer = [m for m in messages if m.sender == "customer"]
    intents: dict[str, int] = {}
    for message in customer:
        if message.intent:
            intents[message.intent] = intents.get(message.intent, 0) + 1
    named: dict[tuple[str, str], int] = {}
    for message in customer:
        for key in {
            (str(e.get("entity"))[:32], str(e.get("value"))[:64])
            for e in message.entities or []
            if isinstance(e, dict) and e.get("entity")
        }:
            named[key] = named.get(key, 0) + 1
    confidences = [m.confidence for m in customer if m.confidence is not None]
    handed_off = (
        facts["handed_off"] or "handoff_requested" in kinds or any(m.sender == "agent" for m in messages)
    )
    state = session.get(TranscriptDialogueState, conversation_id)
    values = {
        "channel": next((m.channel for m in messages if m.channel), None),
        "customer_id": next((m.customer_id for m in messages if m.customer_id), None),
        "started_at": messages[0].created_at,
        "last_message_at": messages[-1].created_at,
        "message_count": len(messages),
        "first_customer_text": customer[0].text[:PREVIEW_CHARS] if customer else None,
        "intents": list(intents) or None,
        "min_confidence": min(confidences) if confidences else None,
        "fallback_count": sum(1 for m in customer if m.fallback),
        "handed_off": handed_off,
        "handoff_reason": facts["handoff_reason"],
        "complaint_filed": facts["complaint_filed"] or "complaint_filed" in kinds,
        "case_number": facts["case_number"],
        "assessment_done": facts["assessment_done"] or "assessment_done" in kinds,
        "satisfaction": facts["satisfaction"],
        "customer_message_count": len(customer),
        "callback_requested": facts["callback_requested"],
        "outcome": outcomes.outcome_of(
            customer_messages=len(customer),
            handed_off=handed_off,
            callback_requested=facts["callback_requested"],
            last_customer_fallback=bool(customer and customer[-1].fallback),
            unfinished_form=bool(state is not None and state.active_form),
        ),
    }
    conversation = session.get(TranscriptConversation, conversation_id)
    if conversation is None:
        conversation = TranscriptConversation(conversation_id=conversation_id, **values)
        session.add(conversation)
    else:
        for name, value in values.items():
            setattr(conversation, name, value)
    session.execute(
        delete(TranscriptConversationIntent).where(
            TranscriptConversationIntent.conversation_id == conversation_id
        )
    )
    session.add_all(
        TranscriptConversationIntent(conversation_id=conversation_id, intent=intent, message_count=count)
        for intent, count in intents.items()
    )
    session.execute(
        delete(TranscriptConversationEntity).where(
            TranscriptConversationEntity.conversation_id == conversation_id
        )
    )
    session.add_all(
        TranscriptConversationEntity(
            conversation_id=conversation_id, entity=entity, value=value, message_count=count
        )
        for (entity, value), count in named.items()
    )
    archive_service.record_conversation(
        session=session, conversation=conversation, retention_days=retention_days
    )


def conversation_transcript(session: Session, conversation_id: str) -> list[TranscriptMessage]:
    return list(
        session.scalars(
            select(TranscriptMessage)
            .where(TranscriptMessage.conversation_id == conversation_id)
            .order_by(TranscriptMessage.created_at, TranscriptMessage.id)
        )
    )


def purge_expired(*, session: Session, now: datetime, dry_run: bool = False) -> archive_service.PurgeReport:
    """Removes every conversation past retention (bot.archive decides which) with its whole
    transcript and service record; with `dry_run` only reports what would go."""
    report = archive_service.expired_report(session=session, now=now)
    expired = archive_service.expired_ids(now=now)
    report.messages = (
        session.scalar(
            select(func.count())
            .select_from(TranscriptMessage)
            .where(TranscriptMessage.conversation_id.in_(expired))
        )
        or 0
    )
    if dry_run or not report.conversations:
        return report
    while True:
        ids = list(session.scalars(expired.limit(PURGE_BATCH)))
        if not ids:
            break
        models: tuple[Any, ...] = (
            TranscriptAnnotation,
            TranscriptTerm,
            TranscriptEvent,
            TranscriptTag,
            TranscriptConversationIntent,
            TranscriptConversationEntity,
            TranscriptDialogueState,
            TranscriptMessage,
            TranscriptConversation,
        )
        for model in models:
            session.execute(
                delete(model).where(model.conversation_id.in_(ids)),
                execution_options={"synchronize_session": False},
            )
        archive_service.delete_records(session=session, conversation_ids=ids)
        session.flush()
    return report


def message_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TranscriptMessage)) or 0
