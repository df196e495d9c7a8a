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
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.conversations import buttons as step_buttons
from bot.conversations import service as conversation_service
from bot.conversations.models import Conversation, ConversationMessage
from bot.handoff import conversation as rules
from bot.handoff import service as handoff_service
from bot.handoff.models import Handoff
from bot.staff.models import StaffAccount
from bot.text.masking import mask_text

from .rasa_client import RasaClient, RasaUnavailable
from .realtime import QUEUE_TOPIC, Notifier, conversation_topic

logger = logging.getLogger(__name__)
T = TypeVar("T")
SYSTEM = conversation_service.SYSTEM
AGENT = conversation_service.AGENT


def agent_message_view(message: ConversationMessage) -> dict[str, Any]:
    """A conversation message as the agent console shows it: personal data masked."""
    payload = message.payload or {}
    return {
        "id": message.id,
        "sender": message.sender,
        # A button press reads as its choice ("取消转人工"), not as its payload.
        "text": mask_text(step_buttons.shown_text(message.text))
        if message.sender == conversation_service.CUSTOMER else message.text,
        "buttons": payload.get("buttons", []),
        "kind": payload.get("kind", rules.KIND_TEXT),
        "agent_name": payload.get("agent_name"),
        "created_at": message.created_at.isoformat(),
    }


def _notice(session: Session, conversation_id: str, text: str, **extra: Any) -> None:
    conversation_service.post_message(
        session=session, conversation_id=conversation_id, sender=SYSTEM, text=text, **extra
    )


def post_queue_updates(session: Session, settings: Settings, left: list[Handoff]) -> list[str]:
    """Tells each customer still waiting behind the handoffs that just `left` the queue (claimed,
    cancelled, expired) their new place, pushed at once; returns their conversation ids."""
    options = {
        "sample_size": settings.agent_wait_sample_size,
        "default_wait": timedelta(minutes=settings.agent_default_wait_minutes),
        "presence_window": timedelta(minutes=settings.agent_presence_minutes),
    }
    notices = []
    for handoff in left:  # several leaving at once: one notice each, with the final place
        notices += handoff_service.queue_update_notices(session=session, left=handoff, **options)
    return handoff_service.post_queue_notices(session=session, notices=notices)


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
            staff = session.get(StaffAccount, staff_id)
            handoff = handoff_service.claim(session=session, handoff_id=handoff_id, staff=staff)
            _notice(
                session, handoff.conversation_id, rules.started_text(staff.display_name),
                kind=rules.KIND_STARTED, agent_name=staff.display_name,
            )  # fmt: skip
            moved = post_queue_updates(session, self._settings, [handoff])
            return handoff.conversation_id, moved, view(handoff)

        conversation_id, moved, result = await self.run(work)
        await self.notifier.publish(
            conversation_topic(conversation_id), QUEUE_TOPIC, *map(conversation_topic, moved)
        )
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
            staff = session.get(StaffAccount, staff_id)
            end = handoff_service.close if close else handoff_service.hand_back
            handoff = end(session=session, handoff_id=handoff_id, staff=staff, note=note)
            if close:  # one end notice, then the rating prompt (which does not say it again)
                _notice(session, handoff.conversation_id, rules.service_ended_text(), kind=rules.KIND_ENDED)
                _notice(session, handoff.conversation_id, rules.closed_service_text(),
                        kind=rules.KIND_RATING, buttons=rules.rating_buttons())  # fmt: skip
            else:
                _notice(session, handoff.conversation_id, rules.handed_back_text(), kind=rules.KIND_ENDED)
            return handoff.conversation_id, view(handoff)

        conversation_id, result = await self.run(work)
        await self._resume(conversation_id)
        await self.notifier.publish(conversation_topic(conversation_id), QUEUE_TOPIC)
        return result

    async def send(self, handoff_id: int, staff_id: int, text: str) -> dict[str, Any]:
        """The agent's reply: stored, pushed to the customer, and written into the Rasa
        conversation as a bot event with the agent's name."""

        def work(session: Session):
            staff = session.get(StaffAccount, staff_id)
            clean = conversation_service.prepare_customer_text(
                text, max_chars=self._settings.max_message_chars
            )
            handoff = handoff_service.record_agent_reply(
                session=session, handoff_id=handoff_id, staff=staff
            )
            message = conversation_service.post_message(
                session=session, conversation_id=handoff.conversation_id, sender=AGENT,
                text=clean, agent_name=staff.display_name,
            )  # fmt: skip
            return handoff.conversation_id, staff.display_name, agent_message_view(message)

        conversation_id, agent_name, view = await self.run(work)
        await self.notifier.publish(conversation_topic(conversation_id))
        event = {
            "event": "bot", "text": view["text"],
            "metadata": {"agent": agent_name, "message_id": view["id"]},
        }  # fmt: skip
        try:
            await self._rasa.append_events(conversation_id, [event])
        except RasaUnavailable as exc:  # stored and delivered; only Rasa's copy is missing
            logger.warning("agent message %s not recorded in Rasa: %s", view["id"], exc)
        return view

    # --- housekeeping ----------------------------------------------------------------------------

    async def expire_waiting(self, now: datetime | None = None) -> list[str]:
        """Customers nobody took in time are told, offered a call-back, and the assistant
        continues; returns their conversation ids."""
        older_than = timedelta(minutes=self._settings.handoff_max_wait_minutes)

        def work(session: Session) -> tuple[list[str], list[str]]:
            expired = handoff_service.expire_waiting(session=session, older_than=older_than, now=now)
            for handoff in expired:
                if session.get(Conversation, handoff.conversation_id) is None:
                    continue  # the conversation was removed meanwhile: nobody to tell
                _notice(session, handoff.conversation_id, rules.expired_text(),
                        kind=rules.KIND_ENDED, buttons=rules.callback_offer_buttons())  # fmt: skip
            moved = post_queue_updates(session, self._settings, expired) if expired else []
            return [handoff.conversation_id for handoff in expired], moved

        conversation_ids, moved = await self.run(work)
        if moved:
            await self.notifier.publish(*map(conversation_topic, moved))
        for conversation_id in conversation_ids:
            await self._resume(conversation_id)
            await self.notifier.publish(conversation_topic(conversation_id))
        if conversation_ids:
            await self.notifier.publish(QUEUE_TOPIC)
        return conversation_ids

    async def _resume(self, conversation_id: str) -> None:
        try:
            await self._rasa.resume(conversation_id)
        except RasaUnavailable as exc:  # the gateway resumes it before the next answer
            logger.warning("conversation %s not resumed in Rasa yet: %s", conversation_id, exc)

