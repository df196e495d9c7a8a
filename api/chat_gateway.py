"""The path of one customer message, shared by the REST and WebSocket chat endpoints:
store it, forward it to Rasa, store the replies. Database work runs in the threadpool.

While a person serves the conversation (bot.handoff) the message is still forwarded to Rasa,
which logs it but predicts nothing (the conversation is paused), and the agent's pushers are
woken; a waiting customer may leave the queue ("取消转人工"), and after a closed service the
customer's 1–5 rating is taken here."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import bank
from bot.cases import crypto as case_crypto
from bot.config import Settings
from bot.conversations import service as conversation_service
from bot.conversations.lifetime import Lifetime
from bot.conversations.models import ConversationMessage
from bot.db import utcnow
from bot.handoff import conversation as handoff_rules
from bot.handoff import usecases as handoff_usecases
from bot.leases import service as lease_service
from bot.ratelimit import service as ratelimit_service

from .errors import AssistantUnavailable
from .operations import Metrics
from .rasa_client import RasaClient, RasaUnavailable
from .realtime import QUEUE_TOPIC, Notifier, conversation_topic

logger = logging.getLogger(__name__)


ASSISTANT = "assistant"  # routes of a customer message
HANDOFF = handoff_usecases.HANDOFF
CANCELLED = handoff_usecases.CANCELLED
RATED = handoff_usecases.RATED

# Beyond Rasa's budget (RASA_TIMEOUT_SECONDS), the time a delivery may take to store the replies.
DELIVERY_MARGIN_SECONDS = 3
STALE = handoff_usecases.STALE


def message_view(message: ConversationMessage) -> dict[str, Any]:
    """A stored message as the chat clients see it. `kind` tells notices apart (queue position,
    an agent joining or leaving, the rating prompt); `agent_name` names the agent who wrote it."""
    payload = message.payload or {}
    view = {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": payload.get("buttons", []),
        "kind": payload.get("kind", handoff_rules.KIND_TEXT),
        "status": message.status,
        "created_at": message.created_at.isoformat(),
    }
    if payload.get("agent_name"):
        view["agent_name"] = payload["agent_name"]
    if message.sender != conversation_service.CUSTOMER:
        view["calls"] = bank.call_numbers(message.text, bank.configured())
    if message.client_message_id:  # lets a client recognise its own message after a reload
        view["client_message_id"] = message.client_message_id
    return view


def reply_view(message: ConversationMessage) -> dict[str, Any]:
    view = message_view(message)
    view.pop("status")
    return view


@dataclass
class Accepted:
    message_id: int
    text: str
    needs_delivery: bool
    replies: list[dict[str, Any]]
    metadata: dict[str, Any]
    route: str = ASSISTANT
    # The conversation had a handoff: make sure Rasa was not left paused before it answers.
    had_handoff: bool = False
    # An earlier delivery may have reached Rasa: ask its tracker before sending again.
    attempted: bool = False
    topics: list[str] = field(default_factory=list)


class ChatGateway:
    """Delivers customer messages to the assistant, or to the agent serving the conversation,
    without losing or duplicating any."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker,
        rasa: RasaClient,
        notifier: Notifier | None = None,
    ):
        self._settings = settings
        self._session_factory = session_factory
        self._rasa = rasa
        self._notifier = notifier or Notifier(poll_seconds=settings.realtime_poll_seconds)
        self.lifetime = Lifetime.from_settings(settings)
        self._holder = lease_service.new_holder_id()
        # api.operations.Metrics, set by the app (None: not counted).
        self.metrics: Metrics | None = None

    def authorize(self, conversation_id: str, token: str | None) -> None:
        """Raises unless the token opens the conversation and has not expired (sync; call from
        the threadpool)."""
        with self._session_factory.begin() as session:
            conversation_service.get_authorized(
                session=session, conversation_id=conversation_id, token=token, lifetime=self.lifetime
            )

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def last_message_id(self, conversation_id: str) -> int:
        with self._session_factory.begin() as session:
            return conversation_service.last_message_id(session=session, conversation_id=conversation_id)

    def in_transaction(self, work: Callable[[Any], Any]) -> Any:
        """Runs `work(session)` in one transaction (sync; call from the threadpool)."""
        with self._session_factory.begin() as session:
            return work(session)

    def authorized_pushes(self, conversation_id: str, token: str, after_id: int) -> list[dict[str, Any]]:
        """What a WebSocket pusher sends this round, after checking that the token still opens the
        conversation (expired or revoked tokens raise)."""
        with self._session_factory.begin() as session:
            conversation_service.get_authorized(
                session=session, conversation_id=conversation_id, token=token, lifetime=self.lifetime
            )
            return [
                reply_view(message)
                for message in conversation_service.pushed_messages(
                    session=session, conversation_id=conversation_id, after_id=after_id
                )
            ]

    def pushed_since(self, conversation_id: str, after_id: int) -> list[dict[str, Any]]:
        """Agent replies and notices after `after_id`: what a WebSocket client gets pushed."""
        with self._session_factory.begin() as session:
            return [
                reply_view(message)
                for message in conversation_service.pushed_messages(
                    session=session, conversation_id=conversation_id, after_id=after_id
                )
            ]

    @property
    def conversation_limit(self) -> ratelimit_service.Limit:
        return ratelimit_service.Limit(
            self._settings.rate_limit_conversation_per_minute, timedelta(minutes=1)
        )

    @property
    def ip_message_limit(self) -> ratelimit_service.Limit:
        return ratelimit_service.Limit(self._settings.rate_limit_ip_messages_per_minute, timedelta(minutes=1))

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
    ) -> Accepted:
        """Stores the message (sync; call from the threadpool). Two requests with one
        client_message_id at once: the unique constraint lets one insert; the other, once it
        sees that row, gets its answer or 409 while it is being answered."""
        args = (conversation_id, token, raw_text, client_message_id, client_ip)
        try:
            return self._accept_once(*args)
        except IntegrityError:
            if client_message_id is None:
                raise
        try:
            return self._accept_once(*args)
        except IntegrityError as exc:
            raise conversation_service.MessageInProgress(
                f"client_message_id {client_message_id!r} is being stored by another request"
            ) from exc

    def _accept_once(
        self,
        conversation_id: str,
        token: str | None,
        raw_text: str,
        client_message_id: str | None,
        client_ip: str | None,
    ) -> Accepted:
        with self._session_factory.begin() as session:
            conversation = conversation_service.get_authorized(
                session=session, conversation_id=conversation_id, token=token, lifetime=self.lifetime
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
                # The delivery lease: Rasa's budget and a margin to store the replies. A process
                # that dies while delivering loses it then, and a resend takes the message over.
                in_flight_timeout=timedelta(
                    seconds=self._settings.rasa_timeout_seconds + DELIVERY_MARGIN_SECONDS
                ),
                holder=f"{self._holder}:{uuid.uuid4().hex[:8]}",
            )
            # What Rasa and the actions may rely on: verified server-side, never sent by the client.
            # `message_id` travels into Rasa's tracker with the message: before delivering it
            # again, the tracker tells whether Rasa already applied it.
            metadata = {
                "customer_id": conversation.customer_id,
                "channel": conversation.channel,
                "message_id": accepted.message.id,
            }
            if client_ip:  # for the case lookups' lockouts per address; a keyed digest only
                metadata["address_key"] = case_crypto.address_key(client_ip)
            result = Accepted(
                message_id=accepted.message.id,
                text=accepted.message.text,
                needs_delivery=accepted.needs_delivery,
                replies=[reply_view(reply) for reply in accepted.replies],
                metadata=metadata,
                attempted=accepted.attempted,
            )
            if accepted.needs_delivery:
                self._route(session, conversation_id, result)
            return result

    def _route(self, session, conversation_id: str, result: Accepted) -> None:
        """Who answers the message: the agent (or the queue), the handoff rules, or the assistant."""
        outcome = handoff_usecases.read_customer_message(
            session=session, settings=self._settings, conversation_id=conversation_id, text=result.text
        )
        result.had_handoff = outcome.had_handoff
        if outcome.route is None:
            return
        result.route = outcome.route
        result.topics = [
            *map(conversation_topic, outcome.conversations),
            *([QUEUE_TOPIC] if outcome.queue_changed else []),
        ]
        if outcome.replies:
            result.replies = self._store_replies(session, result.message_id, outcome.replies)

    @staticmethod
    def _store_replies(session, message_id: int, replies: list[dict[str, Any]]) -> list[dict]:
        stored = conversation_service.record_replies(session=session, message_id=message_id, replies=replies)
        return [reply_view(reply) for reply in stored]

    def _record_handoff_message(self, conversation_id: str, message_id: int) -> list[dict]:
        """The message reached the agent's side; a waiting customer is told their place."""
        with self._session_factory.begin() as session:
            notices = handoff_usecases.waiting_notices(
                session=session, settings=self._settings, conversation_id=conversation_id
            )
            return self._store_replies(session, message_id, notices)

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
        started = time.monotonic()
        accepted = await run_in_threadpool(
            self._accept, conversation_id, token, text, client_message_id, client_ip
        )
        message_id, replies = accepted.message_id, accepted.replies
        if on_accepted is not None:
            await on_accepted(message_id)
        if accepted.needs_delivery:
            if accepted.route == ASSISTANT:
                replies = await self._ask_assistant(conversation_id, accepted)
            elif accepted.route == HANDOFF:
                await self._log_with_rasa(conversation_id, accepted)
                replies = await run_in_threadpool(self._record_handoff_message, conversation_id, message_id)
            elif accepted.route == CANCELLED:
                await self._log_with_rasa(conversation_id, accepted, resume=True)
            if accepted.topics:
                await self._notifier.publish(*accepted.topics)
        if self.metrics is not None:
            self.metrics.messages.labels(accepted.route if accepted.needs_delivery else "duplicate").inc()
            self.metrics.latency.observe(time.monotonic() - started)
        return {
            "message_id": message_id,
            "client_message_id": client_message_id,
            "replies": replies,
        }

    async def _ask_assistant(self, conversation_id: str, accepted: Accepted) -> list[dict]:
        """Exactly once: a message an earlier attempt may have delivered is answered from what
        Rasa applied (its tracker), and sent only when Rasa has not got it. An answer that lacks
        the actions' part because the action server failed is not a success: 503, and the
        resend delivers the message again (Rasa recorded it, but nothing came of it)."""
        try:
            raw_replies = None
            if accepted.attempted:
                raw_replies = await self._rasa.applied_replies(conversation_id, accepted.message_id)
                if raw_replies is not None:
                    logger.info(
                        "message %s was already applied by Rasa; answering from its tracker",
                        accepted.message_id,
                    )
            if raw_replies is None:
                # a hand-back whose resume did not reach Rasa
                if accepted.had_handoff and await self._rasa.ensure_resumed(conversation_id):
                    logger.info("conversation %s was still paused; resumed", conversation_id)
                raw_replies = await self._rasa.send_message(
                    sender=conversation_id, text=accepted.text, metadata=accepted.metadata
                )
                if not raw_replies:
                    await self._check_actions_answered(accepted.message_id)
        except RasaUnavailable as exc:
            if self.metrics is not None:
                self.metrics.rasa_errors.inc()
            logger.warning("message %s not delivered: %s", accepted.message_id, exc)
            await run_in_threadpool(self._record_failure, accepted.message_id)
            raise AssistantUnavailable(str(exc), message_id=accepted.message_id) from exc
        return await run_in_threadpool(self._record_replies, accepted.message_id, raw_replies)

    async def _check_actions_answered(self, message_id: int) -> None:
        """Rasa answered nothing. Every turn of this assistant says something, so an action
        failed ("actions events are lost" in Rasa's log: the action server is down, frozen past
        ACTION_TIMEOUT_SECONDS, or it raised): RasaUnavailable, never a silent 200. The health
        check is not the test (a frozen server may answer it a moment later); it says which."""
        try:
            await self._rasa.action_server_health()
            state = "up"
        except RasaUnavailable as exc:
            state = f"down ({exc})"
        raise RasaUnavailable(
            f"Rasa answered message {message_id} with nothing; the action server is {state}"
        )

    async def _log_with_rasa(self, conversation_id: str, accepted: Accepted, resume: bool = False):
        """During a handoff: Rasa records the message but, paused, predicts nothing. The message is
        already stored for the agent, so Rasa being down loses nothing the customer or agent sees."""
        try:
            raw_replies = await self._rasa.send_message(
                sender=conversation_id, text=accepted.text, metadata=accepted.metadata
            )
            if raw_replies:  # not paused (the pause never reached Rasa): keep the person in charge
                logger.warning("conversation %s answered during a handoff; pausing", conversation_id)
                if not resume:
                    await self._rasa.append_events(conversation_id, [{"event": "pause"}])
            if resume:
                await self._rasa.resume(conversation_id)
        except RasaUnavailable as exc:
            if self.metrics is not None:
                self.metrics.rasa_errors.inc()
            logger.warning("message %s of a handoff not logged in Rasa: %s", accepted.message_id, exc)
