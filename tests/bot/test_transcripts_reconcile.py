"""Reconciling the transcript store with Rasa's tracker store: a Rasa server that crashed before
publishing its events to RabbitMQ leaves them only in its tracker store; `reconcile` stores those,
and nothing that RabbitMQ already delivered is stored twice. The tracker table has the columns of
Rasa 3.6's SQLTrackerStore (`make cluster-test` runs the same path against real Rasa servers)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.cases.crypto import default_cipher
from bot.db import build_engine, utcnow
from bot.transcripts import reconcile as reconcile_service
from bot.transcripts import service as transcripts
from bot.transcripts.consumer import broker_rows
from bot.transcripts.models import TranscriptMessage


@pytest.fixture
def tracker(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
    yield engine
    engine.dispose()


def turn(conversation_id: str, start: float, question: str, answer: str) -> list[dict]:
    return [
        {
            "event": "user",
            "timestamp": start,
            "text": question,
            "parse_data": {"intent": {"name": "faq", "confidence": 0.9}, "entities": []},
            "metadata": {"channel": "web"},
        },
        {"event": "action", "timestamp": start + 0.1, "name": "action_answer_faq"},
        {"event": "bot", "timestamp": start + 0.2, "text": answer, "data": {}, "metadata": {}},
        {"event": "action", "timestamp": start + 0.3, "name": "action_listen"},
    ]


def store_in_tracker(tracker, conversation_id: str, events: list[dict]) -> None:
    """What Rasa's SQLTrackerStore.save writes: the event without its sender, in `data`."""
    with tracker.begin() as connection:
        for event in events:
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                {"s": conversation_id, "t": event["event"], "ts": event["timestamp"], "d": json.dumps(event)},
            )


def published(conversation_id: str, events: list[dict]) -> list[bytes]:
    """What Rasa's PikaEventBroker publishes: the event with its sender."""
    return [json.dumps({"sender_id": conversation_id, **event}).encode() for event in events]


def customer_and_assistant(session, conversation_id: str) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(TranscriptMessage)
        .where(TranscriptMessage.conversation_id == conversation_id)
        .order_by(TranscriptMessage.created_at, TranscriptMessage.id)
    ).all()
    return [(row.sender, row.text) for row in rows]


def test_what_rabbitmq_never_delivered_is_backfilled_once(session, tracker):
    conversation_id = "reconcile-" + utcnow().strftime("%H%M%S%f")
    now = utcnow().timestamp()
    first = turn(conversation_id, now - 30, "信用卡年费怎么收？", "普卡首年免年费。")
    second = turn(conversation_id, now - 20, "手机银行转账限额是多少", "单笔限额以手机银行页面为准。")
    store_in_tracker(tracker, conversation_id, first + second)
    # RabbitMQ delivered the first turn; the Rasa server was killed before publishing the second.
    transcripts.ingest_rasa_events(session, broker_rows(published(conversation_id, first)))
    assert len(customer_and_assistant(session, conversation_id)) == 2

    stored = reconcile_service.reconcile(
        session=session, tracker=tracker, since=utcnow() - timedelta(hours=1)
    )

    assert stored == 2
    assert customer_and_assistant(session, conversation_id) == [
        ("customer", "信用卡年费怎么收？"),
        ("assistant", "普卡首年免年费。"),
        ("customer", "手机银行转账限额是多少"),
        ("assistant", "单笔限额以手机银行页面为准。"),
    ]
    # Again, and RabbitMQ redelivering late: nothing new.
    assert (
        reconcile_service.reconcile(session=session, tracker=tracker, since=utcnow() - timedelta(hours=1))
        == 0
    )
    transcripts.ingest_rasa_events(session, broker_rows(published(conversation_id, second)))
    assert len(customer_and_assistant(session, conversation_id)) == 4


def test_only_the_window_is_read(session, tracker):
    conversation_id = "reconcile-old-" + utcnow().strftime("%H%M%S%f")
    old = (utcnow() - timedelta(hours=5)).timestamp()
    store_in_tracker(tracker, conversation_id, turn(conversation_id, old, "你好", "您好！"))
    assert (
        reconcile_service.reconcile(session=session, tracker=tracker, since=utcnow() - timedelta(hours=2))
        == 0
    )
    assert customer_and_assistant(session, conversation_id) == []


def test_an_encrypted_tracker_store_is_read_too(session, tracker):
    """Our tracker store (rasa_components.stores.BankSQLTrackerStore) keeps `data` encrypted."""
    conversation_id = "reconcile-enc-" + utcnow().strftime("%H%M%S%f")
    events = turn(conversation_id, utcnow().timestamp() - 10, "我的电话13912345678", "好的。")
    with tracker.begin() as connection:
        for event in events:
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                {
                    "s": conversation_id,
                    "t": event["event"],
                    "ts": event["timestamp"],
                    "d": default_cipher().encrypt(json.dumps(event)),
                },
            )
    assert (
        reconcile_service.reconcile(session=session, tracker=tracker, since=utcnow() - timedelta(hours=1))
        == 2
    )
    assert customer_and_assistant(session, conversation_id) == [
        ("customer", "我的电话139****5678"),
        ("assistant", "好的。"),
    ]
