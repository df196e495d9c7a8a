"""The path of one customer message, shared by the REST and WebSocket chat endpoints:
store it, forward it to Rasa, store the replies. Database work runs in the threadpool."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.conversations import service as conversation_service
from bot.conversations.models import ConversationMessage
from bot.db import utcnow
from bot.ratelimit import service as ratelimit_service

from .errors import AssistantUnavailable
from .rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


def message_view(message: ConversationMessage) -> dict[str, Any]:
    """A stored message as the chat clients see it."""
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": (message.payload or {}).get("buttons", []),
        "status": message.status,
        "created_at": message.created_at.isoformat(),
    }


def reply_view(message: ConversationMessage) -> dict[str, Any]:
    view = message_view(message)
    view.pop("status")
    return view


class ChatGateway:
    """Delivers customer messages to the assistant without losing or duplicating any."""

    def __init__(self, *, settings: Settings, session_factory: sessionmaker, rasa: RasaClient):
        self._settings = settings
        self._session_factory = session_factory
        self._rasa = rasa

    def authorize(self, conversation_id: str, token: str | None) -> None:
        """Raises unless the token opens the conversation (sync; call from the threadpool)."""
        with self._session_factory.begin() as session:
            conversation_service.get_authorized(
                session=session, conversation_id=conversation_id, token=token
            )

    @property
    def conversation_limit(self) -> ratelimit_service.Limit:
        return ratelimit_service.Limit(
            self._settings.rate_limit_conversation_per_minute, timedelta(minutes=1)
        )

    @property
    def ip_message_limit(self) -> ratelimit_service.Limit:
        return ratelimit_service.Limit(
            self._settings.rate_limit_ip_messages_per_minute, timedelta(minutes=1)
        )

    @staticmethod
    def check_rate(session, key: str, limit: ratelimit_service.Limit) -> None:
        """Counts one hit; raises RateLimited (429) over the limit."""
        ratelimit_service.hit(session=session, key=key, limit=limit, now=utcnow())

    def _accept(
        self,
        conversation_id: str,
        token: str | None,
        raw_text: str,
        client_message_id: str | None,
        client_ip: str | None,
    ) -> tuple[int, str, bool, list[dict[str, Any]], dict[str, Any]]:
        with self._session_factory.begin() as session:
            conversation = conversation_service.get_authorized(
                session=session, conversation_id=conversation_id, token=token
            )
            self.check_rate(session, f"conversation:{conversation_id}", self.conversation_limit)
            if client_ip:
                self.check_rate(session, f"ip:{client_ip}:messages", self.ip_message_limit)
            text = conversation_service.prepare_customer_text(
                raw_text, max_chars=self._settings.max_message_chars
            )
            accepted = conversation_service.accept_customer_message(
                session=session,
                conversation=conversation,
                text=text,
                client_message_id=client_message_id,
                in_flight_timeout=timedelta(seconds=self._settings.rasa_timeout_seconds + 5),
            )
            # What Rasa and the actions may rely on: verified server-side, never sent by the client.
            metadata = {"customer_id": conversation.customer_id, "channel": conversation.channel}
            return (
                accepted.message.id,
                accepted.message.text,
                accepted.needs_delivery,
                [reply_view(reply) for reply in accepted.replies],
                metadata,
            )

    def _record_replies(self, message_id: int, replies: list[dict[str, Any]]) -> list[dict]:
        with self._session_factory.begin() as session:
            stored = conversation_service.record_replies(
                session=session, message_id=message_id, replies=replies
            )
            return [reply_view(reply) for reply in stored]

    def _record_failure(self, message_id: int) -> None:
        with self._session_factory.begin() as session:
            conversation_service.record_failure(session=session, message_id=message_id)

    async def exchange(
        self,
        *,
        conversation_id: str,
        token: str | None,
        text: str,
        client_message_id: str | None = None,
        on_accepted: Callable[[int], Awaitable[None]] | None = None,
        client_ip: str | None = None,
    ) -> dict[str, Any]:
        """Stores the customer's message, gets the assistant's replies and stores them too.

        `on_accepted` is awaited with the message id once the message is safely stored.
        """
        message_id, clean_text, needs_delivery, replies, metadata = await run_in_threadpool(
            self._accept, conversation_id, token, text, client_message_id, client_ip
        )
        if on_accepted is not None:
            await on_accepted(message_id)
        if needs_delivery:
            try:
                raw_replies = await self._rasa.send_message(
                    sender=conversation_id, text=clean_text, metadata=metadata
                )
            except RasaUnavailable as exc:
                logger.warning("message %s not delivered: %s", message_id, exc)
                await run_in_threadpool(self._record_failure, message_id)
                raise AssistantUnavailable(str(exc), message_id=message_id) from exc
            replies = await run_in_threadpool(self._record_replies, message_id, raw_replies)
        return {
            "message_id": message_id,
            "client_message_id": client_message_id,
            "replies": replies,
        }
