"""Waking WebSocket pushers when a conversation or the handoff queue changes, across API replicas.

The database is the source of truth: a pusher re-reads it after every wake-up and at least once
per poll interval, so a lost notification delays a message by at most that interval and never
loses it. Within one process a notification wakes the pushers at once; with `REALTIME_REDIS_URL`
set, notifications also travel over Redis pub/sub, so a message stored by one replica reaches a
WebSocket held by another at once. Without Redis (the embedded default) replicas still agree
through the database, within the poll interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .security import redact

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "bankchat:"
QUEUE_TOPIC = "queue"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription:
    """Topics one pusher follows. Clear it, read the database, then wait: a notification that
    arrives while reading is not missed."""

    def __init__(self, notifier: Notifier, topics: Iterable[str]):
        self._notifier = notifier
        self.topics = tuple(topics)
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when notified, False when the poll interval passed first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self._notifier._unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Notifier:
    def __init__(self, *, redis_url: str | None = None, poll_seconds: float = 1.0):
        self.redis_url = redis_url or None
        self.poll_seconds = poll_seconds
        self._subscriptions: dict[str, set[Subscription]] = defaultdict(set)
        self._redis: Any = None  # redis.asyncio client, when Redis is configured
        self._listener: asyncio.Task | None = None

    @property
    def pusher_poll_seconds(self) -> float:
        """How often a pusher re-reads the database without a notification: often without
        Redis (it is how other replicas' messages arrive), rarely with it (a safety net)."""
        return self.poll_seconds if self._redis is None else max(self.poll_seconds * 10, 5.0)

    async def start(self) -> None:
        if not self.redis_url:
            return
        import redis.asyncio as redis_asyncio  # only needed when Redis is configured

        self._redis = redis_asyncio.from_url(self.redis_url)
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
        self._listener = asyncio.create_task(self._listen(pubsub))
        logger.info("real-time notifications over Redis at %s", redact(self.redis_url))

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        if self._redis is not None:
            await self._redis.close()

    async def _listen(self, pubsub) -> None:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message and message.get("type") == "pmessage":
                    channel = message["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    self._wake(channel.removeprefix(CHANNEL_PREFIX))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: pushers keep polling the database meanwhile
                logger.warning("Redis notifications interrupted; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        subscription = Subscription(self, topics)
        for topic in subscription.topics:
            self._subscriptions[topic].add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        for topic in subscription.topics:
            self._subscriptions[topic].discard(subscription)
            if not self._subscriptions[topic]:
                del self._subscriptions[topic]

    def _wake(self, topic: str) -> None:
        for subscription in list(self._subscriptions.get(topic, ())):
            subscription.notify()

    async def publish(self, *topics: str) -> None:
        """Tells every pusher following these topics, here and (with Redis) on other replicas."""
        for topic in topics:
            self._wake(topic)
            if self._redis is not None:
                try:
                    await self._redis.publish(f"{CHANNEL_PREFIX}{topic}", "1")
                except Exception:  # the other replicas will see it when they poll
                    logger.warning("could not publish %s to Redis", topic, exc_info=True)
