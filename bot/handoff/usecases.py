"""Handoff use cases: each changes state inside the caller's transaction and returns what each
party must be told (`Outcome`). The adapters (api/, actions/) only deliver it: the customer's
notices are already stored here as system messages or returned as replies to store; they wake
the pushers of `conversations` (and the agents' queue when `queue_changed`) and resume Rasa when
`resume_rasa` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import bank
from bot.config import Settings
from bot.conversations import service as conversation_service
from bot.conversations.models import Conversation, ConversationMessage
from bot.db import utcnow
from bot.staff.models import StaffAccount

from . import conversation as rules
from . import lifecycle
from . import service as handoff_service
from .models import Handoff

# How a customer message was routed by the handoff rules (None: the assistant answers it).
STALE = "stale"  # a button of a step that is over: answered here, nothing changes
HANDOFF = "handoff"  # an agent (or the queue) receives it
CANCELLED = "cancelled"  # it cancelled the wait
RATED = "rated"  # it rated a closed service


@dataclass
class Outcome:
    """What a handoff change means for everyone involved."""

    handoff: Handoff | None = None
    # Conversations whose customers have new messages to push (their chat windows).
    conversations: list[str] = field(default_factory=list)
    # The agents' queue changed (a handoff joined, was taken or left it).
    queue_changed: bool = False
    # Rasa takes the conversation back (the person left).
    resume_rasa: bool = False
    # For a customer message: its route, and the replies to store as its answer.
    route: str | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)
    had_handoff: bool = False
    # For an agent's reply: the stored message and who wrote it.
    message: ConversationMessage | None = None
    agent_name: str | None = None
    # For a request from the assistant (an action): what it says now, as Rasa message arguments
    # (`text`/`buttons` or `json_message`), whether Rasa pauses, whether a call-back was offered.
    messages: list[dict[str, Any]] = field(default_factory=list)
    pause_rasa: bool = False
    callback_offered: bool = False


def _notice(session: Session, conversation_id: str, text: str, **extra: Any) -> None:
    conversation_service.post_message(
        session=session,
        conversation_id=conversation_id,
        sender=conversation_service.SYSTEM,
        text=text,
        **extra,
    )


def post_queue_updates(*, session: Session, settings: Settings, left: list[Handoff]) -> list[str]:
    """Tells each customer still waiting behind the handoffs that just `left` the queue (claimed,
    cancelled, expired) their new place; returns their conversation ids."""
    options = {
        "sample_size": settings.agent_wait_sample_size,
        "default_wait": timedelta(minutes=settings.agent_default_wait_minutes),
        "presence_window": timedelta(minutes=settings.agent_presence_minutes),
    }
    notices = []
    for handoff in left:  # several leaving at once: one notice each, with the final place
        notices += handoff_service.queue_update_notices(session=session, left=handoff, **options)
    return handoff_service.post_queue_notices(session=session, notices=notices)


def read_customer_message(
    *, session: Session, settings: Settings, conversation_id: str, text: str, now: datetime | None = None
) -> Outcome:
    """Who answers a customer's message as far as a handoff goes: a stale cancel button is
    answered here, a waiting customer's "取消" cancels the wait, a message during a handoff goes to
    the agent, a rating after a closed service is recorded; otherwise the assistant (route None)."""
    now = now or utcnow()
    # Most conversations never had a handoff: one query tells, and names the active one when the
    # latest is still open (an older open one is looked for only when the latest is closed).
    latest = handoff_service.latest_handoff(session=session, conversation_id=conversation_id)
    if latest is None or latest.status in lifecycle.ACTIVE_STATUSES:
        active = latest
    else:
        active = handoff_service.active_handoff(session=session, conversation_id=conversation_id)
    pressed = rules.pressed_cancel(text, active)
    if pressed is False:  # an old "取消转人工": it cancels nothing and goes to nobody
        return Outcome(
            handoff=active,
            route=STALE,
            replies=[{"sender": "system", "text": rules.stale_cancel_text(active)}],
        )
    if active is not None:
        if active.status == lifecycle.WAITING and (pressed or rules.is_cancel_request(text)):
            cancelled = handoff_service.cancel(session=session, conversation_id=conversation_id, now=now)
            moved = post_queue_updates(session=session, settings=settings, left=[cancelled])
            notice = {"sender": "system", "text": rules.cancelled_text(), "kind": rules.KIND_ENDED}
            return Outcome(
                handoff=cancelled,
                route=CANCELLED,
                replies=[notice],
                queue_changed=True,
                conversations=[conversation_id, *moved],
            )
        return Outcome(handoff=active, route=HANDOFF, conversations=[conversation_id])
    if latest is None:
        return Outcome()
    rating = rules.rating_for(latest, text, now)
    if rating is None:
        return Outcome(handoff=latest, had_handoff=True)
    rate(session=session, conversation_id=conversation_id, satisfaction=rating, now=now)
    return Outcome(
        handoff=latest,
        had_handoff=True,
        route=RATED,
        replies=[{"sender": "system", "text": rules.rated_text(rating)}],
    )


def waiting_notices(*, session: Session, settings: Settings, conversation_id: str) -> list[dict[str, Any]]:
    """The answer to a message that reached the agent's side: a waiting customer is told their
    place (with the cancel button); a customer being served is told nothing."""
    position = handoff_service.queue_position(
        session=session,
        conversation_id=conversation_id,
        sample_size=settings.agent_wait_sample_size,
        default_wait=timedelta(minutes=settings.agent_default_wait_minutes),
        presence_window=timedelta(minutes=settings.agent_presence_minutes),
    )
    if position is None:
        return []
    return [
        {
            "sender": "system",
            "kind": rules.KIND_WAITING,
            "text": rules.waiting_ack_text(
                position.position, position.estimated_wait_minutes, known=position.estimate_known
            ),
            "buttons": rules.cancel_buttons(position.handoff.id),
        }
    ]


def rate(*, session: Session, conversation_id: str, satisfaction: int, now: datetime) -> None:
    """Records the customer's 1–5 rating of the latest closed service."""
    handoff_service.rate(session=session, conversation_id=conversation_id, satisfaction=satisfaction, now=now)


def request(
    *,
    session: Session,
    settings: Settings,
    conversation_id: str,
    reason: str,
    customer_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> Outcome:
    """The customer asks for a person: queued (Rasa pauses) with their place, told an agent
    already serves them, or, with nobody to take them, offered a call-back."""
    availability = handoff_service.can_queue(session=session, settings=settings)
    urgent = reason in (lifecycle.FRAUD, lifecycle.DISTRESS)
    if not availability.available:
        identity = bank.from_settings(settings)
        if availability.reason == "closed":
            text = rules.closed_text(
                availability.hours_text, availability.next_opening, identity, urgent=urgent
            )
        else:
            text = rules.no_agent_text(identity, urgent=urgent)
        return Outcome(
            messages=[{"text": text, "buttons": rules.callback_offer_buttons()}], callback_offered=True
        )
    already = handoff_service.active_handoff(session=session, conversation_id=conversation_id)
    handoff = handoff_service.request_handoff(
        session=session,
        conversation_id=conversation_id,
        reason=reason,
        customer_id=customer_id,
        context=context,
    )
    if already is None and handoff.status == lifecycle.WAITING:  # an urgent case goes ahead:
        # whoever it was put before is told their new place
        handoff_service.post_queue_notices(
            session=session,
            notices=handoff_service.pushed_back_notices(session=session, arrived=handoff),
        )
    position = handoff_service.queue_position(session=session, conversation_id=conversation_id)
    if position is None:  # already with an agent (a second 转人工 during the service)
        return Outcome(handoff=handoff, pause_rasa=True, messages=[{"text": rules.already_serving_text()}])
    waiting = {
        "kind": rules.KIND_WAITING,
        "text": rules.waiting_text(
            position.position, position.estimated_wait_minutes, reason, known=position.estimate_known
        ),
        "buttons": rules.cancel_buttons(position.handoff.id),
    }
    return Outcome(handoff=handoff, pause_rasa=True, messages=[{"json_message": waiting}])


def leave(*, session: Session, settings: Settings, conversation_id: str) -> Outcome:
    """The customer ended the conversation: a wait is cancelled, an agent serving it is told."""
    active = handoff_service.active_handoff(session=session, conversation_id=conversation_id)
    if active is None:
        return Outcome()
    if active.status == lifecycle.WAITING:
        cancelled = handoff_service.cancel(session=session, conversation_id=conversation_id)
        moved = post_queue_updates(session=session, settings=settings, left=[cancelled])
        return Outcome(handoff=cancelled, conversations=[conversation_id, *moved], queue_changed=True)
    _notice(session, conversation_id, rules.customer_left_text())
    return Outcome(handoff=active, conversations=[conversation_id])


def claim(*, session: Session, settings: Settings, handoff_id: int, staff_id: int) -> Outcome:
    """The agent takes the conversation; the customer is told who answers."""
    staff = session.get(StaffAccount, staff_id)
    handoff = handoff_service.claim(session=session, handoff_id=handoff_id, staff=staff)
    _notice(
        session,
        handoff.conversation_id,
        rules.started_text(staff.display_name),
        kind=rules.KIND_STARTED,
        agent_name=staff.display_name,
    )
    moved = post_queue_updates(session=session, settings=settings, left=[handoff])
    return Outcome(handoff=handoff, conversations=[handoff.conversation_id, *moved], queue_changed=True)


def reply(*, session: Session, settings: Settings, handoff_id: int, staff_id: int, text: str) -> Outcome:
    """The agent's reply, stored for the customer (the caller writes it into Rasa too)."""
    staff = session.get(StaffAccount, staff_id)
    clean = conversation_service.prepare_customer_text(text, max_chars=settings.max_message_chars)
    handoff = handoff_service.record_agent_reply(session=session, handoff_id=handoff_id, staff=staff)
    message = conversation_service.post_message(
        session=session,
        conversation_id=handoff.conversation_id,
        sender=conversation_service.AGENT,
        text=clean,
        agent_name=staff.display_name,
    )
    return Outcome(
        handoff=handoff,
        conversations=[handoff.conversation_id],
        message=message,
        agent_name=staff.display_name,
    )


def end(*, session: Session, handoff_id: int, staff_id: int, close: bool, note: str | None = None) -> Outcome:
    """Hand-back (the assistant continues) or close (the customer is asked for a rating)."""
    staff = session.get(StaffAccount, staff_id)
    finish = handoff_service.close if close else handoff_service.hand_back
    handoff = finish(session=session, handoff_id=handoff_id, staff=staff, note=note)
    if close:  # one end notice, then the rating prompt (which does not say it again)
        _notice(session, handoff.conversation_id, rules.service_ended_text(), kind=rules.KIND_ENDED)
        _notice(
            session,
            handoff.conversation_id,
            rules.closed_service_text(),
            kind=rules.KIND_RATING,
            buttons=rules.rating_buttons(),
        )
    else:
        _notice(session, handoff.conversation_id, rules.handed_back_text(), kind=rules.KIND_ENDED)
    return Outcome(
        handoff=handoff, conversations=[handoff.conversation_id], queue_changed=True, resume_rasa=True
    )


def expire(
    *, session: Session, settings: Settings, now: datetime | None = None
) -> tuple[list[str], list[str]]:
    """Customers nobody took in time are told and offered a call-back; returns the conversation
    ids whose wait expired (Rasa resumes them) and those whose queue place moved."""
    older_than = timedelta(minutes=settings.handoff_max_wait_minutes)
    expired = handoff_service.expire_waiting(session=session, older_than=older_than, now=now)
    for handoff in expired:
        if session.get(Conversation, handoff.conversation_id) is None:
            continue  # the conversation was removed meanwhile: nobody to tell
        _notice(
            session,
            handoff.conversation_id,
            rules.expired_text(),
            kind=rules.KIND_ENDED,
            buttons=rules.callback_offer_buttons(),
        )
    moved = post_queue_updates(session=session, settings=settings, left=expired) if expired else []
    return [handoff.conversation_id for handoff in expired], moved
