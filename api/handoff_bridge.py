"""What happens around a handoff change beyond its row: the customer is told (a system message
pushed to their chat), Rasa is resumed when the person leaves, the agent's replies are written
into the Rasa conversation, and every API replica's pushers are woken.

Each change is one transaction (the handoff row, its audit row and the customer's notice
together); Rasa and the notifications follow after the commit. If Rasa is down then, nothing is
lost: the messages are stored, and the chat gateway resumes a conversation left paused before
the assistant answers its next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.conversations import buttons as step_buttons
from bot.conversations import service as conversation_service
from bot.conversations.models import ConversationMessage
from bot.handoff import conversation as rules
from bot.handoff import usecases
from bot.handoff.models import Handoff
from bot.text.masking import mask_text

from .rasa_client import RasaClient, RasaUnavailable
from .realtime import QUEUE_TOPIC, Notifier, conversation_topic

logger = logging.getLogger(__name__)
T = TypeVar("T")


def agent_message_view(message: ConversationMessage) -> dict[str, Any]:
    """A conversation message as the agent console shows it: personal data masked."""
    payload = message.payload or {}
    return {
        "id": message.id,
        "sender": message.sender,
        # A button press reads as its choice ("取消转人工"), not as its payload.
        "text": mask_text(step_buttons.shown_text(message.text))
        if message.sender == conversation_service.CUSTOMER
        else message.text,
        "buttons": payload.get("buttons", []),
        "kind": payload.get("kind", rules.KIND_TEXT),
        "agent_name": payload.get("agent_name"),
        "created_at": message.created_at.isoformat(),
    }


class HandoffBridge:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker,
        rasa: RasaClient,
        notifier: Notifier,
    ):
        self._settings = settings
        self._session_factory = session_factory
        self._rasa = rasa
        self.notifier = notifier

    def _transaction(self, work: Callable[[Session], T]) -> T:
        with self._session_factory.begin() as session:
            return work(session)

    async def run(self, work: Callable[[Session], T]) -> T:
        return await run_in_threadpool(self._transaction, work)

    # --- agent actions ---------------------------------------------------------------------------

    async def claim(self, handoff_id: int, staff_id: int, view: Callable[[Handoff], T]) -> T:
        """The agent takes the conversation; the customer sees who is answering."""

        def work(session: Session):
            outcome = usecases.claim(
                session=session, settings=self._settings, handoff_id=handoff_id, staff_id=staff_id
            )
            assert outcome.handoff is not None, "a claim names its handoff"
            return outcome, view(outcome.handoff)

        outcome, result = await self.run(work)
        await self._deliver(outcome)
        return result

    async def end(
        self,
        handoff_id: int,
        staff_id: int,
        *,
        close: bool,
        note: str | None,
        view: Callable[[Handoff], T],
    ) -> T:
        """Hand-back (the assistant continues) or close (the customer is asked for a rating)."""

        def work(session: Session):
            outcome = usecases.end(
                session=session, handoff_id=handoff_id, staff_id=staff_id, close=close, note=note
            )
            assert outcome.handoff is not None, "an end names its handoff"
            return outcome, view(outcome.handoff)

        outcome, result = await self.run(work)
        await self._deliver(outcome)
        return result

    async def send(self, handoff_id: int, staff_id: int, text: str) -> dict[str, Any]:
        """The agent's reply: stored, pushed to the customer, and written into the Rasa
        conversation as a bot event with the agent's name."""

        def work(session: Session):
            outcome = usecases.reply(
                session=session,
                settings=self._settings,
                handoff_id=handoff_id,
                staff_id=staff_id,
                text=text,
            )
            assert outcome.handoff is not None and outcome.message is not None, "a reply is stored"
            return outcome.handoff.conversation_id, outcome.agent_name, agent_message_view(outcome.message)

        conversation_id, agent_name, view = await self.run(work)
        await self.notifier.publish(conversation_topic(conversation_id))
        event = {
            "event": "bot",
            "text": view["text"],
            "metadata": {"agent": agent_name, "message_id": view["id"]},
        }
        try:
            await self._rasa.append_events(conversation_id, [event])
        except RasaUnavailable as exc:  # stored and delivered; only Rasa's copy is missing
            logger.warning("agent message %s not recorded in Rasa: %s", view["id"], exc)
        return view

    # --- housekeeping ----------------------------------------------------------------------------

    async def expire_waiting(self, now: datetime | None = None) -> list[str]:
        """Customers nobody took in time are told, offered a call-back, and the assistant
        continues; returns their conversation ids."""

        def work(session: Session) -> tuple[list[str], list[str]]:
            return usecases.expire(session=session, settings=self._settings, now=now)

        conversation_ids, moved = await self.run(work)
        if moved:
            await self.notifier.publish(*map(conversation_topic, moved))
        for conversation_id in conversation_ids:
            await self._resume(conversation_id)
            await self.notifier.publish(conversation_topic(conversation_id))
        if conversation_ids:
            await self.notifier.publish(QUEUE_TOPIC)
        return conversation_ids

    async def _deliver(self, outcome: usecases.Outcome) -> None:
        """After the commit: Rasa takes the conversation back if asked, then the pushers wake."""
        if outcome.resume_rasa and outcome.handoff is not None:
            await self._resume(outcome.handoff.conversation_id)
        topics = [*map(conversation_topic, outcome.conversations)]
        await self.notifier.publish(*topics, *([QUEUE_TOPIC] if outcome.queue_changed else []))

    async def _resume(self, conversation_id: str) -> None:
        try:
            await self._rasa.resume(conversation_id)
        except RasaUnavailable as exc:  # the gateway resumes it before the next answer
            logger.warning("conversation %s not resumed in Rasa yet: %s", conversation_id, exc)
