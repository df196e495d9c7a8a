"""Exports of the (masked) transcript store.

- `csv_lines` / `jsonl_lines`: the messages of the conversations matching a filter, yielded
  chunk by chunk from a server-side cursor (`yield_per`), so a million messages stream in
  constant memory. CSV has one row per message, every text cell neutralised against formula
  injection (`spreadsheet_cell`); JSONL one line per conversation
  (`{"conversation": {...}, "messages": [...]}`).
- `nlu_corrections_yaml`: annotated corrections as Rasa NLU training data (version "3.1").
- `test_story_yaml`: one conversation as a Rasa test story (user turns with their intent, the
  analyst's correction when there is one, and the assistant's actions).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import labels
from .models import TranscriptAnnotation, TranscriptConversation, TranscriptMessage
from .query import ConversationFilter, apply, conversation_item, get_conversation

CSV_COLUMNS = [
    "conversation_id",
    "channel",
    "customer_id",
    "seq",
    "created_at",
    "sender",
    "agent_name",
    "text",
    "normalized_text",
    "intent",
    "confidence",
    "fallback",
    "entities",
]
STREAM_ROWS = 2000
# What makes Excel, WPS or LibreOffice read a cell as a formula (OWASP "CSV injection"): = + - @,
# a tab or carriage return, and their full-width forms, which Chinese input methods produce.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_cell(value: Any) -> Any:
    """A text cell as a spreadsheet shows it but never runs it: a leading quote before anything
    a formula could start with ("=HYPERLINK(…)" → "'=HYPERLINK(…)"). Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _messages(
    session: Session, filters: ConversationFilter
) -> Iterator[tuple[TranscriptMessage, TranscriptConversation]]:
    """Messages of matching conversations, grouped by conversation, in time order."""
    statement = apply(
        select(TranscriptMessage, TranscriptConversation).join(
            TranscriptConversation,
            TranscriptConversation.conversation_id == TranscriptMessage.conversation_id,
        ),
        filters,
    ).order_by(TranscriptMessage.conversation_id, TranscriptMessage.created_at, TranscriptMessage.id)
    result = session.execute(statement.execution_options(yield_per=STREAM_ROWS))
    for message, conversation in result:
        yield message, conversation
        session.expunge(message)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def csv_lines(session: Session, filters: ConversationFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads UTF-8 Chinese only with a byte-order mark
    writer.writerow(CSV_COLUMNS)
    current, seq = None, 0
    for rows, (message, conversation) in enumerate(_messages(session, filters), start=1):
        seq = seq + 1 if message.conversation_id == current else 1
        current = message.conversation_id
        writer.writerow(
            [
                spreadsheet_cell(cell)
                for cell in (
                    message.conversation_id,
                    conversation.channel,
                    conversation.customer_id,
                    seq,
                    _iso(message.created_at),
                    message.sender,
                    message.agent_name or "",
                    message.text,
                    message.normalized_text or "",
                    message.intent or "",
                    "" if message.confidence is None else f"{message.confidence:.4f}",
                    "true" if message.fallback else "false",
                    json.dumps(message.entities, ensure_ascii=False) if message.entities else "",
                )
            ]
        )
        if rows % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def jsonl_lines(session: Session, filters: ConversationFilter) -> Iterator[str]:
    current: dict[str, Any] | None = None
    for message, conversation in _messages(session, filters):
        if current is None or current["conversation"]["conversation_id"] != message.conversation_id:
            if current is not None:
                yield json.dumps(current, ensure_ascii=False, default=_json) + "\n"
            item = conversation_item(conversation, [])
            item.pop("tags")
            current = {"conversation": item, "messages": []}
        current["messages"].append(
            {
                "seq": len(current["messages"]) + 1,
                "sender": message.sender,
                "text": message.text,
                "normalized_text": message.normalized_text,
                "intent": message.intent,
                "confidence": message.confidence,
                "entities": message.entities or [],
                "fallback": message.fallback,
                "agent_name": message.agent_name,
                "created_at": message.created_at,
            }
        )
    if current is not None:
        yield json.dumps(current, ensure_ascii=False, default=_json) + "\n"


def _block(text: str, indent: str) -> str:
    """A YAML literal block scalar holding one line of text."""
    return "|\n" + indent + " ".join(text.split()) + "\n"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def nlu_corrections_yaml(session: Session, filters: ConversationFilter | None = None) -> str:
    """Customer messages an analyst gave the correct intent for, as Rasa NLU data (masked text)."""
    statement = (
        select(TranscriptAnnotation.correct_intent, TranscriptMessage.text)
        .join(TranscriptMessage, TranscriptMessage.id == TranscriptAnnotation.message_id)
        .where(TranscriptAnnotation.correct_intent.is_not(None))
        .order_by(TranscriptAnnotation.correct_intent, TranscriptAnnotation.id)
    )
    if filters is not None:
        statement = statement.where(
            TranscriptAnnotation.conversation_id.in_(
                apply(select(TranscriptConversation.conversation_id), filters)
            )
        )
    by_intent: dict[str, list[str]] = {}
    for stored, text in session.execute(statement):
        intent = labels.correction_intent(stored)
        if intent is None:  # stored before corrections were checked: never written raw
            continue
        examples = by_intent.setdefault(intent, [])
        cleaned = " ".join(text.split())
        if cleaned and cleaned not in examples:
            examples.append(cleaned)
    lines = ['version: "3.1"', "# Corrections from the analyst console (personal data masked).", "nlu:"]
    if not by_intent:
        lines[-1] = "nlu: []"
    for intent, examples in by_intent.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in examples)
    return "\n".join(lines) + "\n"


def test_story_yaml(session: Session, conversation_id: str) -> str:
    """One conversation as a Rasa test story: each customer turn with its intent (the analyst's
    correction when there is one) followed by the assistant's actions."""
    get_conversation(session=session, conversation_id=conversation_id)
    stored = dict(
        session.execute(
            select(TranscriptAnnotation.message_id, TranscriptAnnotation.correct_intent)
            .where(
                TranscriptAnnotation.conversation_id == conversation_id,
                TranscriptAnnotation.correct_intent.is_not(None),
            )
            .order_by(TranscriptAnnotation.id)
        ).all()
    )
    # Only corrections that name a known intent (older rows were not checked when stored).
    corrections = {message_id: labels.correction_intent(intent) for message_id, intent in stored.items()}
    steps: list[str] = []
    last_action = None
    for message in session.scalars(
        select(TranscriptMessage)
        .where(TranscriptMessage.conversation_id == conversation_id)
        .order_by(TranscriptMessage.created_at, TranscriptMessage.id)
    ):
        if message.sender == "customer":
            intent = corrections.get(message.id) or message.intent
            if not intent or not message.text.strip():
                continue
            # A button press is replayed as what it sent (its payload), not the title shown.
            steps.append(
                "  - user: " + _block(message.payload or message.text, "      ") + f"    intent: {intent}\n"
            )
            last_action = None
        elif message.sender == "assistant" and message.action_name and message.action_name != last_action:
            steps.append(f"  - action: {message.action_name}\n")
            last_action = message.action_name
    name = _quoted(f"会话 {conversation_id}（分析台导出）")
    return 'version: "3.1"\nstories:\n' + f"- story: {name}\n  steps:\n" + "".join(steps)
