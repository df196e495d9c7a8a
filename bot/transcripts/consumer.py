"""Rasa's RabbitMQ event broker (production) into the transcript store.

Rasa's `PikaEventBroker` publishes every tracker event as a JSON message (with `sender_id`) to a
fanout exchange bound to the queues of `endpoints.production.yml`. `RabbitMQConsumer` reads one
such queue in batches, stores each batch with `service.ingest_rasa_events` in one transaction and
acknowledges the batch only after the commit: a crash or a database error leaves the messages
in the queue, and RabbitMQ delivers them again. The messages carry no id, so each event's key is
derived from its content (`event_key`); a redelivered or republished event gets the same key
and stores nothing twice (`source_key` is unique).

Database work is synchronous and runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from sqlalchemy.orm import sessionmaker

from . import service

logger = logging.getLogger(__name__)

BATCH = 500
# A batch that is not full is stored this long after its first message arrived.
FLUSH_SECONDS = 1.0
# Wait after a failed batch before taking the (redelivered) messages again.
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class RabbitMQSettings:
    """Where Rasa publishes (the RABBITMQ_* variables of endpoints.production.yml)."""

    host: str = "127.0.0.1"
    port: int = 5672
    username: str = "guest"
    password: str = "guest"
    queue: str = "rasa_events"

    @property
    def url(self) -> str:
        """An AMQP URL; a host that already is one (amqp://, amqps://) is used as given, as Rasa does."""
        if self.host.startswith("amqp"):
            return self.host
        credentials = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}"
        return f"amqp://{credentials}@{self.host}:{self.port}/"


def event_key(event: dict[str, Any]) -> str:
    """A stable id for a broker message without one: sender, timestamp, event type and a hash of
    its text (or action name). 40 hex characters, so the stored key stays within 64."""
    text = event.get("text") or event.get("name") or ""
    identity = json.dumps(
        [
            event.get("sender_id"),
            event.get("timestamp"),
            event.get("event"),
            hashlib.sha256(str(text).encode("utf-8")).hexdigest(),
        ],
        ensure_ascii=False,
    )
    return "mq" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:38]


def broker_rows(bodies: list[bytes]) -> list[tuple[str, str, dict[str, Any]]]:
    """The (key, sender_id, event) rows of message bodies; a body that is not a Rasa event
    (no JSON object, no sender) is logged and left out."""
    rows = []
    for body in bodies:
        try:
            event = json.loads(body)
        except (TypeError, ValueError):
            event = None
        if not isinstance(event, dict) or not event.get("sender_id"):
            logger.warning("skipping a broker message that is not a Rasa event: %r", body[:200])
            continue
        rows.append((event_key(event), str(event["sender_id"]), event))
    return rows


class RabbitMQConsumer:
    """Reads Rasa's events from one RabbitMQ queue into the transcript store."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker,
        settings: RabbitMQSettings,
        retention_days: int = service.DEFAULT_RETENTION_DAYS,
        batch: int = BATCH,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.retention_days = retention_days
        self.batch = batch
        self.flush_seconds = flush_seconds

    def store(self, bodies: list[bytes]) -> int:
        """Stores one batch in its own transaction (committed on return); returns new messages."""
        rows = broker_rows(bodies)
        if not rows:
            return 0
        with self.session_factory.begin() as session:
            return service.ingest_rasa_events(session, rows, retention_days=self.retention_days)

    async def _open(self) -> tuple[aio_pika.abc.AbstractRobustConnection, AbstractQueue]:
        connection = await aio_pika.connect_robust(self.settings.url)
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.batch)
        # Declared as Rasa declares it (durable), so either may start first.
        queue = await channel.declare_queue(self.settings.queue, durable=True)
        return connection, queue

    async def _settle(self, messages: list[AbstractIncomingMessage]) -> int:
        """Stores the messages, then acks them; on failure puts them back in the queue and raises."""
        try:
            stored = await asyncio.to_thread(self.store, [m.body for m in messages])
        except BaseException:
            await messages[-1].nack(multiple=True, requeue=True)
            raise
        await messages[-1].ack(multiple=True)
        return stored

    async def drain(self) -> int:
        """Stores everything waiting in the queue, then returns how many new messages."""
        connection, queue = await self._open()
        total = 0
        try:
            while True:
                messages: list[AbstractIncomingMessage] = []
                while len(messages) < self.batch:
                    message = await queue.get(no_ack=False, fail=False)
                    if message is None:
                        break
                    messages.append(message)
                if not messages:
                    return total
                total += await self._settle(messages)
        finally:
            await connection.close()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consumes until `stop` is set: a batch is stored when full or `flush_seconds` after
        its first message; a failed batch is logged and redelivered after RETRY_SECONDS."""
        stop = stop or asyncio.Event()
        connection, queue = await self._open()
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        tag = await queue.consume(inbox.put, no_ack=False)
        logger.info("consuming Rasa events from RabbitMQ queue %r", self.settings.queue)
        try:
            while not stop.is_set():
                messages = await self._collect(inbox, stop)
                if not messages:
                    continue
                try:
                    stored = await self._settle(messages)
                    logger.info("stored %d new transcript messages from %d events", stored, len(messages))
                except Exception:
                    logger.exception("storing %d broker events failed; they stay queued", len(messages))
                    await _wait(stop, RETRY_SECONDS)
        finally:
            await queue.cancel(tag)
            await connection.close()

    async def _collect(self, inbox: asyncio.Queue, stop: asyncio.Event) -> list[AbstractIncomingMessage]:
        messages: list[AbstractIncomingMessage] = []
        try:
            messages.append(await asyncio.wait_for(inbox.get(), timeout=self.flush_seconds))
        except TimeoutError:
            return messages
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_seconds
        while len(messages) < self.batch and not stop.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                messages.append(await asyncio.wait_for(inbox.get(), timeout=remaining))
            except TimeoutError:
                break
        return messages


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
