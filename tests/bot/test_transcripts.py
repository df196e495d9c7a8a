"""The transcript store is fed from Rasa's real SQL event broker (events written by Rasa's own
SQLEventBroker) and the API's notices: masked, with what the assistant understood, and a replay
stores nothing twice. SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from sqlalchemy import create_engine, delete

from bot.conversations import service as conversation_service
from bot.conversations.models import ConversationMessage
from bot.transcripts import service as transcripts
from bot.transcripts.models import TranscriptCursor, TranscriptMessage


@pytest.fixture
def broker(tmp_path):
    """Rasa's SQL event broker on a file, as `endpoints.yml` configures it."""
    path = tmp_path / "rasa_events.db"
    rasa_broker = SQLEventBroker(dialect="sqlite", db=str(path))
    yield rasa_broker, create_engine(f"sqlite:///{path}")


@pytest.fixture
def store(session):
    """An empty transcript store over an empty message log (other tests may have committed
    messages to the shared database; the deletes are rolled back with the test)."""
    session.execute(delete(ConversationMessage))
    session.execute(delete(TranscriptMessage))
    session.execute(delete(TranscriptCursor))
    return session


def user(sender, text, intent, confidence=0.93, entities=(), customer="C0042"):
    return {
        "sender_id": sender,
        "event": "user",
        "timestamp": time.time(),
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": list(entities),
        },
        "metadata": {"customer_id": customer, "channel": "app"},
    }


def bot(sender, text, agent=None):
    event = {"sender_id": sender, "event": "bot", "timestamp": time.time(), "text": text, "data": {}}
    if agent:
        event["metadata"] = {"agent": agent, "message_id": 7}
    return event


def test_broker_events_become_masked_transcript_rows_once(store, broker):
    rasa_broker, engine = broker
    for event in [
        user(
            "conv-1",
            "我的手机是13812345678，信用卡年費怎麼收",
            "faq",
            entities=[{"entity": "phone", "value": "13812345678"}],
        ),
        {"sender_id": "conv-1", "event": "action", "name": "action_answer_faq", "timestamp": time.time()},
        bot("conv-1", "您好，信用卡年费因卡种而异……"),
        user("conv-1", "qwzx jkvb", "nlu_fallback", confidence=0.2),
        {
            "sender_id": "conv-1",
            "event": "action",
            "name": "action_handle_fallback",
            "timestamp": time.time(),
        },
        user("conv-1", "转人工", "request_human"),
        {"sender_id": "conv-1", "event": "pause", "timestamp": time.time()},
        bot("conv-1", "您好，我是人工客服，卡号6222021234567890123请勿发送", agent="小王"),
    ]:
        rasa_broker.publish(event)

    assert transcripts.consume_rasa_broker(store, engine) == 5
    rows = transcripts.conversation_transcript(store, "conv-1")
    assert [r.sender for r in rows] == ["customer", "assistant", "customer", "customer", "agent"]
    first = rows[0]
    assert first.text == "我的手机是138****5678，信用卡年費怎麼收"  # original wording, masked
    assert first.normalized_text == "我的手机是138****5678,信用卡年费怎么收"
    assert (first.intent, first.confidence, first.channel, first.customer_id) == ("faq", 0.93, "app", "C0042")
    assert first.entities == [
        {
            "entity": "phone",
            "label": "phone",
            "value": "138****5678",
            "display": "138****5678",
            "text": "138****5678",
        }
    ]
    assert [r.fallback for r in rows] == [False, False, True, False, False]
    assert rows[4].agent_name == "小王" and "6222021234567890123" not in rows[4].text

    # New events are read from the cursor; a full replay stores nothing twice.
    rasa_broker.publish(bot("conv-1", "好的"))
    assert transcripts.consume_rasa_broker(store, engine) == 1
    transcripts.reset_cursors(store)
    assert transcripts.consume_rasa_broker(store, engine) == 0
    assert len(transcripts.conversation_transcript(store, "conv-1")) == 6


def test_notices_only_the_api_writes_are_included(store):
    conversation, _ = conversation_service.open_conversation(session=store)
    conversation_service.post_message(
        session=store,
        conversation_id=conversation.id,
        sender="system",
        text="人工客服小王已接入，正在为您服务。",
        kind="handoff_started",
        agent_name="小王",
    )
    conversation_service.post_message(
        session=store, conversation_id=conversation.id, sender="agent", text="您好", agent_name="小王"
    )
    assert transcripts.consume_api_notices(store) == 1  # the agent's reply comes through Rasa
    [notice] = transcripts.conversation_transcript(store, conversation.id)
    assert (notice.sender, notice.text) == ("system", "人工客服小王已接入，正在为您服务。")
    transcripts.reset_cursors(store)
    assert transcripts.consume_api_notices(store) == 0
