"""bot.handoff.usecases: each change returns what each party is told."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from bot.config import load_settings
from bot.conversations import service as conversation_service
from bot.conversations.models import ConversationMessage
from bot.handoff import conversation as rules
from bot.handoff import lifecycle, usecases
from bot.handoff import service as handoff_service
from bot.handoff.errors import NotHandoffAgent
from bot.handoff.models import AgentPresence, CallbackRequest, Handoff, HandoffEvent
from bot.staff.models import StaffAccount

from .test_handoff import NOW

SETTINGS = load_settings()


@pytest.fixture
def clean(session):
    for model in (HandoffEvent, Handoff, CallbackRequest, AgentPresence):
        session.execute(delete(model))
    return session


def staff(session, role="agent") -> StaffAccount:
    account = StaffAccount(
        username=f"{role}-{uuid.uuid4().hex[:8]}",
        display_name="小王",
        role=role,
        password_hash="not-used",
        active=True,
        created_at=NOW,
    )
    session.add(account)
    session.flush()
    return account


def notices(session, conversation_id) -> list[tuple[str, str | None]]:
    rows = session.scalars(
        select(ConversationMessage).where(ConversationMessage.conversation_id == conversation_id)
    ).all()
    return [(m.text, (m.payload or {}).get("kind")) for m in rows if m.sender == "system"]


def waiting(session) -> tuple[str, Handoff]:
    conversation, _ = conversation_service.open_conversation(session=session)
    return conversation.id, handoff_service.request_handoff(
        session=session, conversation_id=conversation.id, reason="request", now=NOW
    )


def test_a_message_without_a_handoff_goes_to_the_assistant(clean):
    outcome = usecases.read_customer_message(
        session=clean, settings=SETTINGS, conversation_id=uuid.uuid4().hex, text="你好"
    )
    assert outcome.route is None and not outcome.had_handoff and outcome.replies == []


def test_cancel_while_waiting_tells_the_customer_and_the_queue(clean):
    conversation_id, _ = waiting(clean)
    outcome = usecases.read_customer_message(
        session=clean, settings=SETTINGS, conversation_id=conversation_id, text="不等了"
    )
    assert outcome.route == usecases.CANCELLED and outcome.queue_changed
    assert outcome.conversations == [conversation_id]
    assert outcome.replies == [{"sender": "system", "text": rules.cancelled_text(), "kind": rules.KIND_ENDED}]
    assert outcome.handoff.status == lifecycle.CANCELLED


def test_other_messages_while_waiting_go_to_the_agent_side(clean):
    conversation_id, _ = waiting(clean)
    outcome = usecases.read_customer_message(
        session=clean, settings=SETTINGS, conversation_id=conversation_id, text="我的卡被锁了"
    )
    assert outcome.route == usecases.HANDOFF and outcome.replies == []


def test_claim_then_close_then_rate(clean):
    conversation_id, handoff = waiting(clean)
    agent = staff(clean)
    claimed = usecases.claim(session=clean, settings=SETTINGS, handoff_id=handoff.id, staff_id=agent.id)
    assert claimed.queue_changed and not claimed.resume_rasa
    assert notices(clean, conversation_id) == [(rules.started_text("小王"), rules.KIND_STARTED)]
    ended = usecases.end(session=clean, handoff_id=handoff.id, staff_id=agent.id, close=True)
    assert ended.resume_rasa and ended.conversations == [conversation_id]
    assert notices(clean, conversation_id)[1:] == [
        (rules.service_ended_text(), rules.KIND_ENDED),
        (rules.closed_service_text(), rules.KIND_RATING),
    ]
    rated = usecases.read_customer_message(
        session=clean,
        settings=SETTINGS,
        conversation_id=conversation_id,
        text="5分",
        now=ended.handoff.ended_at + timedelta(minutes=1),
    )
    assert rated.route == usecases.RATED and rated.had_handoff
    assert rated.replies == [{"sender": "system", "text": rules.rated_text(5)}]


def test_only_the_holder_or_a_supervisor_may_end(clean):
    _, handoff = waiting(clean)
    holder, other, supervisor = staff(clean), staff(clean), staff(clean, role="supervisor")
    usecases.claim(session=clean, settings=SETTINGS, handoff_id=handoff.id, staff_id=holder.id)
    assert handoff_service.holds_or_supervises(holder, handoff)
    assert handoff_service.holds_or_supervises(supervisor, handoff)
    assert not handoff_service.holds_or_supervises(other, handoff)
    with pytest.raises(NotHandoffAgent):
        usecases.end(session=clean, handoff_id=handoff.id, staff_id=other.id, close=False)
    back = usecases.end(session=clean, handoff_id=handoff.id, staff_id=supervisor.id, close=False)
    assert back.handoff.status == lifecycle.HANDED_BACK
