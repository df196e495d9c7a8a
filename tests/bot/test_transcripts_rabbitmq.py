"""Rasa's RabbitMQ event broker (production) feeds the transcript store: events published by
Rasa's own PikaEventBroker to a uniquely named queue on the local RabbitMQ are stored masked,
acknowledged only after the commit, and a republished or redelivered event is stored once.
Skipped, with the reason, when RabbitMQ is unreachable. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid

import pytest
from sqlalchemy import delete

from bot.archive.models import ServiceRecord
from bot.db import build_session_factory
from bot.transcripts import service as transcripts
from bot.transcripts.consumer import RabbitMQConsumer, RabbitMQSettings, broker_rows, event_key
from bot.transcripts.models import (
    TranscriptConversation,
    TranscriptConversationIntent,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTerm,
)
from tests.conftest import run_async

RABBITMQ = ("127.0.0.1", 5672)


def _unreachable() -> str | None:
    try:
        socket.create_connection(RABBITMQ, timeout=2).close()
    except OSError as exc:
        return f"RabbitMQ at {RABBITMQ[0]}:{RABBITMQ[1]} is unreachable ({exc})"
    return None


async def _queue_length(settings: RabbitMQSettings) -> int:
    import aio_pika

    connection = await aio_pika.connect(settings.url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.queue, durable=True)
        return queue.declaration_result.message_count
    finally:
        await connection.close()


async def _delete(settings: RabbitMQSettings, exchange: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(settings.url)
    try:
        channel = await connection.channel()
        await channel.queue_delete(settings.queue)
        await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@pytest.fixture
def rabbitmq():
    """A fresh queue bound to a fresh exchange (so no other queue on the server gets our events)."""
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    name = f"bankbot_test_{uuid.uuid4().hex[:10]}"
    settings = RabbitMQSettings(
        host=RABBITMQ[0], port=RABBITMQ[1], username="guest", password="guest", queue=name
    )
    yield settings, name
    run_async(_delete(settings, name))


def publish(settings: RabbitMQSettings, exchange: str, events: list[dict], until=None) -> None:
    """Publishes with Rasa's PikaEventBroker, as `endpoints.production.yml` configures it, and
    waits until RabbitMQ holds every message (or until the `until` coroutine function says so)."""
    import rasa.shared.core.events  # noqa: F401  PikaEventBroker uses it without importing it (Rasa 3.6)
    from rasa.core.brokers.pika import PikaEventBroker

    async def go() -> None:
        before = await _queue_length(settings)

        async def queued() -> bool:
            return await _queue_length(settings) >= before + len(events)

        broker = PikaEventBroker(
            settings.host,
            settings.username,
            settings.password,
            port=settings.port,
            queues=[settings.queue],
            exchange_name=exchange,
            raise_on_failure=True,
            connection_attempts=1,
            event_loop=asyncio.get_running_loop(),
        )
        await broker.connect()
        try:
            for event in events:
                broker.publish(event)
            deadline = time.monotonic() + 15
            while not await (until or queued)():
                assert time.monotonic() < deadline, "the published events did not arrive"
                await asyncio.sleep(0.05)
        finally:
            await broker.close()

    run_async(go())


@pytest.fixture
def conversation(engine):
    """A fresh conversation id; its rows are removed afterwards (the consumer commits)."""
    conversation_id = f"mq-{uuid.uuid4().hex[:12]}"
    yield conversation_id
    with build_session_factory(engine).begin() as session:
        for model in (
            TranscriptTerm,
            TranscriptEvent,
            TranscriptConversationIntent,
            TranscriptMessage,
            TranscriptConversation,
            ServiceRecord,
        ):
            session.execute(delete(model).where(model.conversation_id == conversation_id))


def rasa_events(sender: str) -> list[dict]:
    """What Rasa publishes for a short conversation (fixed timestamps: a replay is identical)."""
    start = time.time()
    parse = {
        "intent": {"name": "faq", "confidence": 0.91},
        "entities": [{"entity": "phone", "value": "13812345678"}],
    }
    return [
        {
            "sender_id": sender,
            "event": "user",
            "timestamp": start,
            "text": "我的手机是13812345678，信用卡年费怎么收",
            "parse_data": {"text": "…", **parse},
            "metadata": {"customer_id": "C0042", "channel": "web"},
        },
        {"sender_id": sender, "event": "action", "name": "action_answer_faq", "timestamp": start + 0.1},
        {
            "sender_id": sender,
            "event": "bot",
            "timestamp": start + 0.2,
            "text": "您好，信用卡年费因卡种而异。",
            "data": {},
        },
        {
            "sender_id": sender,
            "event": "user",
            "timestamp": start + 1,
            "text": "qwzx jkvb",
            "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": []},
        },
        {"sender_id": sender, "event": "action", "name": "action_handle_fallback", "timestamp": start + 1.1},
        {
            "sender_id": sender,
            "event": "user",
            "timestamp": start + 2,
            "text": "转人工",
            "parse_data": {"intent": {"name": "request_human", "confidence": 0.97}, "entities": []},
        },
        {"sender_id": sender, "event": "pause", "timestamp": start + 2.1},
        {
            "sender_id": sender,
            "event": "bot",
            "timestamp": start + 3,
            "text": "您好，我是人工客服小王",
            "data": {},
            "metadata": {"agent": "小王"},
        },
    ]


def stored(engine, conversation_id: str) -> list[TranscriptMessage]:
    with build_session_factory(engine)() as session:
        return transcripts.conversation_transcript(session, conversation_id)


def test_published_events_are_stored_masked_once(engine, rabbitmq, conversation):
    settings, exchange = rabbitmq
    events = rasa_events(conversation)
    publish(settings, exchange, events)
    consumer = RabbitMQConsumer(session_factory=build_session_factory(engine), settings=settings, batch=3)

    assert run_async(consumer.drain()) == 5  # several batches of 3
    assert run_async(_queue_length(settings)) == 0, "every event is acknowledged"
    rows = stored(engine, conversation)
    assert [r.sender for r in rows] == ["customer", "assistant", "customer", "customer", "agent"]
    first = rows[0]
    assert first.text == "我的手机是138****5678，信用卡年费怎么收"
    assert (first.intent, first.confidence, first.channel, first.customer_id) == ("faq", 0.91, "web", "C0042")
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
    assert rows[4].agent_name == "小王"
    with build_session_factory(engine)() as session:
        summary = session.get(TranscriptConversation, conversation)
        assert (summary.message_count, summary.handed_off, summary.fallback_count) == (5, True, 1)
        assert session.get(ServiceRecord, conversation).outcome == "handed_off"

    # Rasa publishing the same events again (or RabbitMQ redelivering them) stores nothing twice.
    publish(settings, exchange, events)
    assert run_async(consumer.drain()) == 0
    assert run_async(_queue_length(settings)) == 0
    assert [r.id for r in stored(engine, conversation)] == [r.id for r in rows]


def test_a_failed_batch_is_not_acknowledged_and_comes_again(engine, rabbitmq, conversation, monkeypatch):
    settings, exchange = rabbitmq
    events = rasa_events(conversation)
    publish(settings, exchange, events)
    ingest = transcripts.ingest_rasa_events

    def crash_after_writing(session, rows, **kwargs):
        ingest(session, rows, **kwargs)
        session.flush()
        raise RuntimeError("database went away before the commit")

    monkeypatch.setattr(transcripts, "ingest_rasa_events", crash_after_writing)
    consumer = RabbitMQConsumer(session_factory=build_session_factory(engine), settings=settings)
    with pytest.raises(RuntimeError):
        run_async(consumer.drain())
    assert stored(engine, conversation) == [], "the transaction was rolled back"
    assert run_async(_queue_length(settings)) == len(events), "nothing was acknowledged"

    monkeypatch.setattr(transcripts, "ingest_rasa_events", ingest)
    assert run_async(consumer.drain()) == 5
    assert len(stored(engine, conversation)) == 5


def test_the_long_running_consumer_stores_batches_until_stopped(engine, rabbitmq, conversation):
    settings, exchange = rabbitmq
    consumer = RabbitMQConsumer(
        session_factory=build_session_factory(engine), settings=settings, flush_seconds=0.2
    )

    async def all_stored() -> bool:
        return len(await asyncio.to_thread(stored, engine, conversation)) == 5

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await asyncio.to_thread(publish, settings, exchange, rasa_events(conversation), all_stored)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    run_async(go())
    assert run_async(_queue_length(settings)) == 0


def test_event_keys_are_stable_and_bodies_that_are_no_events_are_skipped():
    event = {"sender_id": "c1", "event": "user", "timestamp": 1764567890.123456, "text": "你好"}
    assert event_key(event) == event_key(json.loads(json.dumps(event)))
    assert event_key(event) != event_key({**event, "text": "你好吗"})
    assert event_key(event) != event_key({**event, "timestamp": 1764567890.123457})
    assert len(f"{transcripts.RASA_SOURCE}:{event_key(event)}") <= 64
    rows = broker_rows(
        [b"not json", b"[1, 2]", json.dumps({"event": "user"}).encode(), json.dumps(event).encode()]
    )
    assert rows == [(event_key(event), "c1", event)]
