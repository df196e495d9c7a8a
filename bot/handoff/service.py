"""Handing a conversation to a human agent: the queue, claiming, hand-back, presence and call-backs.

Every change of a handoff or call-back is one call that leaves a handoff_event row. Functions take
the session as a keyword argument and flush; the caller owns the transaction. `actor` names who
acted in the audit trail: "customer", "assistant", "system" or "staff:<username>". `now` defaults
to the current time; tests pass it explicitly.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.cases.crypto import CaseCipher, default_cipher
from bot.conversations.models import Conversation, ConversationMessage
from bot.db import utcnow
from bot.errors import Forbidden
from bot.staff import roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount
from bot.text.masking import mask_mobile, mask_text
from bot.text.phones import parse_mobile

from . import conversation as rules
from . import hours, lifecycle
from .errors import (
    AlreadyClaimed,
    CallbackNotFound,
    HandoffNotFound,
    IllegalHandoffTransition,
    InvalidHandoffField,
    NotHandoffAgent,
)
from .models import AgentPresence, CallbackRequest, Handoff, HandoffEvent

PRESENCE_STATUSES = ("online", "away", "offline")
CALLBACK_REQUESTED = "requested"
CALLBACK_DONE = "done"
CALLBACK_STATUSES = (CALLBACK_REQUESTED, CALLBACK_DONE)
# Why a call-back was requested: the reason of the handoff it replaced, or "callback" when the
# customer asked for a call-back straight away.
CALLBACK_REASON = "callback"
CALLBACK_REASON_LABELS = {**lifecycle.REASON_LABELS, CALLBACK_REASON: "客户预约回电"}
# The assistant's confirmation is stored just after the request itself.
CALLBACK_CONFIRMATION_WINDOW = timedelta(seconds=30)
MAX_PREFERRED_TIME_CHARS = 50
MAX_NOTE_CHARS = 1000
# Fewer recent claims than this and the wait estimate is the configured default.
MIN_WAIT_SAMPLES = 3
DEFAULT_WAIT_SAMPLE_SIZE = 20
DEFAULT_WAIT = timedelta(minutes=5)
DEFAULT_PRESENCE_WINDOW = timedelta(minutes=5)


# --- small helpers -------------------------------------------------------------------------------


def _record(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    handoff: Handoff | None = None,
    callback: CallbackRequest | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
) -> HandoffEvent:
    event = HandoffEvent(
        handoff_id=handoff.id if handoff is not None else None,
        callback_id=callback.id if callback is not None else None,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    session.add(event)
    if handoff is not None:
        handoff.updated_at = now
    session.flush()
    return event


def _note(note: str | None) -> str | None:
    """A staff note, masked (no personal data in the audit trail) and bounded."""
    if note is None or not note.strip():
        return None
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidHandoffField(
            f"note longer than {MAX_NOTE_CHARS}", customer_message=f"备注请控制在{MAX_NOTE_CHARS}字以内。"
        )
    return mask_text(note)


def _is_supervisor(staff: StaffAccount) -> bool:
    return roles.has_role(staff.role, (roles.SUPERVISOR,))


def holds_or_supervises(staff: StaffAccount, handoff: Handoff) -> bool:
    """The agent who holds the conversation, or a supervisor: who may end it or read it live."""
    return handoff.agent_id == staff.id or _is_supervisor(staff)


def _require_agent(staff: StaffAccount) -> None:
    if not roles.has_role(staff.role, (roles.AGENT,)):
        raise Forbidden(f"role {staff.role!r} may not take conversations")


# --- requesting and reading ----------------------------------------------------------------------


def get_handoff(*, session: Session, handoff_id: int) -> Handoff:
    """The handoff with this id; HandoffNotFound otherwise."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HandoffNotFound(f"no handoff {handoff_id}")
    return handoff


def active_handoff(*, session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's waiting or claimed handoff, or None (the assistant answers)."""
    statement = select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.status.in_(lifecycle.ACTIVE_STATUSES)
    )
    return session.scalars(statement).first()


# Asked for every customer message (bot.handoff.usecases.read_customer_message): built once.
_LATEST_HANDOFF = (
    select(Handoff)
    .where(Handoff.conversation_id == bindparam("conversation_id"))
    .order_by(Handoff.requested_at.desc(), Handoff.id.desc())
    .limit(1)
)


def latest_handoff(*, session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's most recent handoff in any status, or None."""
    return session.scalars(_LATEST_HANDOFF, {"conversation_id": conversation_id}).first()


def context_of(handoff: Handoff) -> dict | None:
    """The handoff's context (e.g. a complaint draft) as a dict."""
    return json.loads(handoff.context) if handoff.context else None


def request_handoff(
    *,
    session: Session,
    conversation_id: str,
    reason: str,
    customer_id: str | None = None,
    context: dict | None = None,
    actor: str = "assistant",
    now: datetime | None = None,
) -> Handoff:
    """Puts the conversation in the queue; while it already waits or talks to an agent, returns
    that handoff unchanged (a second 转人工 is not a second place in the queue)."""
    now = now or utcnow()
    if reason not in lifecycle.REASONS:
        raise InvalidHandoffField(f"unknown handoff reason {reason!r}", customer_message="转人工原因不正确。")
    if not conversation_id:
        raise InvalidHandoffField("conversation_id is empty")
    existing = active_handoff(session=session, conversation_id=conversation_id)
    if existing is not None:
        return existing
    table = Handoff.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # The partial unique index settles a race between two replicas: the loser's insert does
    # nothing and it reads the winner's handoff.
    statement = (
        insert(table)
        .values(
            conversation_id=conversation_id,
            customer_id=customer_id,
            reason=reason,
            priority=lifecycle.PRIORITY[reason],
            status=lifecycle.WAITING,
            requested_at=now,
            context=json.dumps(context, ensure_ascii=False) if context is not None else None,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[table.c.conversation_id],
            index_where=text("status IN ('waiting', 'claimed')"),
        )
    )
    inserted = session.execute(statement).rowcount == 1
    handoff = active_handoff(session=session, conversation_id=conversation_id)
    assert handoff is not None, "inserted or already active"
    if not inserted:
        return handoff
    _record(
        session,
        handoff=handoff,
        actor=actor,
        action="requested",
        now=now,
        to_status=lifecycle.WAITING,
        note=reason,
    )
    return handoff


def list_events(*, session: Session, handoff: Handoff) -> list[HandoffEvent]:
    """The handoff's audit trail, oldest first."""
    statement = select(HandoffEvent).where(HandoffEvent.handoff_id == handoff.id).order_by(HandoffEvent.id)
    return list(session.scalars(statement))


# --- the queue and its wait estimate -------------------------------------------------------------


@dataclass(frozen=True)
class WaitEstimate:
    """A typical wait: `per_position` for the first in line; `samples` recent claims behind it
    (0 means the configured default)."""

    per_position: timedelta
    samples: int

    def for_position(self, position: int, agents: int = 1) -> int:
        """Whole minutes (at least 1) for the customer at `position` (1 = next) with `agents`
        online: each agent takes one customer per typical wait."""
        rounds = math.ceil(position / max(agents, 1))
        return max(1, math.ceil(self.per_position.total_seconds() * rounds / 60))


@dataclass(frozen=True)
class QueueEntry:
    handoff: Handoff
    position: int
    estimated_wait_minutes: int
    # False while too few past waits exist to estimate from (the minutes are then the configured
    # default): customers are told that no estimate can be given yet, not a made-up figure.
    estimate_known: bool = True


def estimate_wait(
    *,
    session: Session,
    sample_size: int = DEFAULT_WAIT_SAMPLE_SIZE,
    default: timedelta = DEFAULT_WAIT,
) -> WaitEstimate:
    """The median wait (request → claim) of the last `sample_size` claimed handoffs, or `default`
    while there are fewer than MIN_WAIT_SAMPLES of them."""
    statement = (
        select(Handoff.requested_at, Handoff.claimed_at)
        .where(Handoff.claimed_at.is_not(None))
        .order_by(Handoff.claimed_at.desc(), Handoff.id.desc())
        .limit(sample_size)
    )
    waits = [(claimed - requested).total_seconds() for requested, claimed in session.execute(statement)]
    if len(waits) < MIN_WAIT_SAMPLES:
        return WaitEstimate(per_position=default, samples=0)
    return WaitEstimate(per_position=timedelta(seconds=statistics.median(waits)), samples=len(waits))


def _waiting_statement():
    return (
        select(Handoff)
        .where(Handoff.status == lifecycle.WAITING)
        .order_by(Handoff.priority, Handoff.requested_at, Handoff.id)
    )


def queue(
    *,
    session: Session,
    now: datetime | None = None,
    agents: int | None = None,
    sample_size: int = DEFAULT_WAIT_SAMPLE_SIZE,
    default_wait: timedelta = DEFAULT_WAIT,
    presence_window: timedelta = DEFAULT_PRESENCE_WINDOW,
) -> list[QueueEntry]:
    """Waiting handoffs, most urgent first then oldest first, with position and wait estimate
    (`agents` defaults to the agents online now)."""
    now = now or utcnow()
    if agents is None:
        agents = len(agents_online(session=session, now=now, within=presence_window))
    estimate = estimate_wait(session=session, sample_size=sample_size, default=default_wait)
    return [
        QueueEntry(
            handoff=h,
            position=i,
            estimated_wait_minutes=estimate.for_position(i, agents),
            estimate_known=estimate.samples > 0,
        )
        for i, h in enumerate(session.scalars(_waiting_statement()), start=1)
    ]


def _behind(session: Session, handoff: Handoff) -> set[int]:
    """Ids of the waiting handoffs queued after `handoff` (by priority, then time, then id)."""
    return set(
        session.scalars(
            select(Handoff.id).where(
                Handoff.status == lifecycle.WAITING,
                (Handoff.priority > handoff.priority)
                | ((Handoff.priority == handoff.priority) & (Handoff.requested_at > handoff.requested_at))
                | (
                    (Handoff.priority == handoff.priority)
                    & (Handoff.requested_at == handoff.requested_at)
                    & (Handoff.id > handoff.id)
                ),
            )
        )
    )


def moved_up(*, session: Session, left: Handoff, **queue_options: Any) -> list[QueueEntry]:
    """The waiting handoffs that stood behind `left` (just claimed, cancelled or expired): each
    has moved up one place, and its customer is told (`queue_update_notices`)."""
    behind = _behind(session, left)
    return [entry for entry in queue(session=session, **queue_options) if entry.handoff.id in behind]


def pushed_back_notices(
    *, session: Session, arrived: Handoff, **queue_options: Any
) -> list[tuple[str, dict[str, Any]]]:
    """(conversation id, notice) for each customer an urgent newcomer (fraud, distress) was put
    ahead of: their place changed, so they are told at once."""
    behind = _behind(session, arrived)
    return [
        (
            entry.handoff.conversation_id,
            {
                "sender": "system",
                "kind": rules.KIND_WAITING,
                "text": rules.moved_back_text(
                    entry.position, entry.estimated_wait_minutes, known=entry.estimate_known
                ),
                "buttons": rules.cancel_buttons(entry.handoff.id),
            },
        )
        for entry in queue(session=session, **queue_options)
        if entry.handoff.id in behind
    ]


def post_queue_notices(*, session: Session, notices: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Stores the notices for their conversations (one per conversation, the last wins; removed
    conversations are skipped) and returns the conversation ids told."""
    from bot.conversations import service as conversation_service

    latest = dict(notices)
    told = []
    for conversation_id, notice in latest.items():
        if session.get(Conversation, conversation_id) is None:
            continue
        conversation_service.post_message(
            session=session,
            conversation_id=conversation_id,
            sender=conversation_service.SYSTEM,
            text=notice["text"],
            kind=notice["kind"],
            buttons=notice["buttons"],
        )
        told.append(conversation_id)
    return told


def queue_update_notices(
    *, session: Session, left: Handoff, **queue_options: Any
) -> list[tuple[str, dict[str, Any]]]:
    """(conversation id, notice) for each customer whose place in the queue changed because
    `left` left it: pushed to them at once, not only when they next type."""
    return [
        (
            entry.handoff.conversation_id,
            {
                "sender": "system",
                "kind": rules.KIND_WAITING,
                "text": rules.moved_up_text(
                    entry.position, entry.estimated_wait_minutes, known=entry.estimate_known
                ),
                "buttons": rules.cancel_buttons(entry.handoff.id),
            },
        )
        for entry in moved_up(session=session, left=left, **queue_options)
    ]


@dataclass(frozen=True)
class QueuePosition:
    handoff: Handoff
    position: int
    ahead: int
    estimated_wait_minutes: int
    estimate_known: bool = True  # see QueueEntry


def queue_position(
    *,
    session: Session,
    conversation_id: str,
    now: datetime | None = None,
    agents: int | None = None,
    sample_size: int = DEFAULT_WAIT_SAMPLE_SIZE,
    default_wait: timedelta = DEFAULT_WAIT,
    presence_window: timedelta = DEFAULT_PRESENCE_WINDOW,
) -> QueuePosition | None:
    """Where the conversation's waiting handoff stands, or None when it is not waiting."""
    handoff = active_handoff(session=session, conversation_id=conversation_id)
    if handoff is None or handoff.status != lifecycle.WAITING:
        return None
    ahead = session.scalar(
        select(func.count(Handoff.id)).where(
            Handoff.status == lifecycle.WAITING,
            (Handoff.priority < handoff.priority)
            | ((Handoff.priority == handoff.priority) & (Handoff.requested_at < handoff.requested_at))
            | (
                (Handoff.priority == handoff.priority)
                & (Handoff.requested_at == handoff.requested_at)
                & (Handoff.id < handoff.id)
            ),
        )
    )
    now = now or utcnow()
    if agents is None:
        agents = len(agents_online(session=session, now=now, within=presence_window))
    estimate = estimate_wait(session=session, sample_size=sample_size, default=default_wait)
    return QueuePosition(
        handoff=handoff,
        position=ahead + 1,
        ahead=ahead,
        estimated_wait_minutes=estimate.for_position(ahead + 1, agents),
        estimate_known=estimate.samples > 0,
    )


# --- agents take, hand back and close ------------------------------------------------------------


def claim(*, session: Session, handoff_id: int, staff: StaffAccount, now: datetime | None = None) -> Handoff:
    """The agent takes the waiting conversation. Of two agents claiming at once exactly one wins:
    the update only applies while the row is still waiting (PostgreSQL makes the second wait for
    the first's row lock, then re-checks); the other gets AlreadyClaimed."""
    now = now or utcnow()
    _require_agent(staff)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == lifecycle.WAITING)
        .values(status=lifecycle.CLAIMED, agent_id=staff.id, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None:
        raise HandoffNotFound(f"no handoff {handoff_id}")
    if result.rowcount != 1:
        if handoff.status == lifecycle.CLAIMED:
            name = handoff.agent.display_name if handoff.agent else "其他坐席"
            if handoff.agent_id == staff.id:
                message = "您已接入该会话。"
            else:
                message = f"该会话已被{name}接入，请选择队列中的其他客户。"
            raise AlreadyClaimed(f"handoff {handoff_id} already claimed", customer_message=message)
        lifecycle.check_transition(handoff.status, lifecycle.CLAIMED)
    _record(
        session,
        handoff=handoff,
        actor=staff_service.actor_name(staff),
        action="claimed",
        now=now,
        from_status=lifecycle.WAITING,
        to_status=lifecycle.CLAIMED,
    )
    return handoff


def _end(
    session: Session,
    *,
    handoff_id: int,
    staff: StaffAccount,
    to_status: str,
    action: str,
    note: str | None,
    now: datetime,
) -> Handoff:
    handoff = get_handoff(session=session, handoff_id=handoff_id)
    lifecycle.check_transition(handoff.status, to_status)
    if not holds_or_supervises(staff, handoff):
        raise NotHandoffAgent(f"handoff {handoff_id} belongs to staff {handoff.agent_id}")
    from_status = handoff.status
    handoff.status = to_status
    handoff.ended_at = now
    _record(
        session,
        handoff=handoff,
        actor=staff_service.actor_name(staff),
        action=action,
        now=now,
        from_status=from_status,
        to_status=to_status,
        note=_note(note),
    )
    return handoff


def hand_back(
    *,
    session: Session,
    handoff_id: int,
    staff: StaffAccount,
    note: str | None = None,
    now: datetime | None = None,
) -> Handoff:
    """The agent returns the conversation to the assistant (its agent, or a supervisor)."""
    return _end(
        session,
        handoff_id=handoff_id,
        staff=staff,
        to_status=lifecycle.HANDED_BACK,
        action="handed_back",
        note=note,
        now=now or utcnow(),
    )


def close(
    *,
    session: Session,
    handoff_id: int,
    staff: StaffAccount,
    note: str | None = None,
    now: datetime | None = None,
) -> Handoff:
    """The agent ends the conversation (its agent, or a supervisor); the customer may then rate it."""
    return _end(
        session,
        handoff_id=handoff_id,
        staff=staff,
        to_status=lifecycle.CLOSED,
        action="closed",
        note=note,
        now=now or utcnow(),
    )


def record_agent_reply(
    *, session: Session, handoff_id: int, staff: StaffAccount, now: datetime | None = None
) -> Handoff:
    """Checks that the agent may reply in the conversation now (they hold it) and audits it."""
    handoff = get_handoff(session=session, handoff_id=handoff_id)
    if handoff.status != lifecycle.CLAIMED:
        raise IllegalHandoffTransition(
            f"handoff {handoff_id} is {handoff.status}",
            customer_message="该会话已不在人工服务中，消息未发送。",
        )
    if handoff.agent_id != staff.id:
        raise NotHandoffAgent(
            f"handoff {handoff_id} belongs to staff {handoff.agent_id}",
            customer_message="只有接入该会话的坐席可以回复。",
        )
    _record(
        session, handoff=handoff, actor=staff_service.actor_name(staff), action="replied", now=now or utcnow()
    )
    return handoff


def handoff_messages(
    *, session: Session, handoff: Handoff, after_id: int = 0, limit: int = 200
) -> list[ConversationMessage]:
    """The handoff's part of the conversation, what its agent (and a supervisor) may read: from
    the customer message that asked for the person (the last one stored before the request)
    until the handoff ended, plus the notices written as it ended (hand-back, rating prompt).
    What the customer said to the assistant before, and after the person left, is not shown;
    the agent's context pane summarises what the assistant collected, masked."""
    started_by = session.scalar(
        select(func.max(ConversationMessage.id)).where(
            ConversationMessage.conversation_id == handoff.conversation_id,
            ConversationMessage.sender == "customer",
            ConversationMessage.created_at <= handoff.requested_at,
        )
    )
    if started_by is None:
        started_by = session.scalar(
            select(func.min(ConversationMessage.id)).where(
                ConversationMessage.conversation_id == handoff.conversation_id,
                ConversationMessage.created_at >= handoff.requested_at,
            )
        )
    if started_by is None:
        return []
    statement = (
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == handoff.conversation_id,
            ConversationMessage.id >= started_by,
            ConversationMessage.id > after_id,
        )
        .order_by(ConversationMessage.id)
        .limit(limit)
    )
    messages = []
    for message in session.scalars(statement):
        after_end = handoff.ended_at is not None and message.created_at > handoff.ended_at
        if after_end and (message.sender != "system" or message.reply_to_id is not None):
            break  # the first message after the end that is not its notice
        messages.append(message)
    return messages


def agent_handoffs(
    *, session: Session, staff: StaffAccount, include_ended: bool = False, limit: int = 50
) -> list[Handoff]:
    """The conversations the agent holds (claimed), newest first; with `include_ended` also the
    ones they handed back or closed."""
    statuses = [lifecycle.CLAIMED]
    if include_ended:
        statuses += [lifecycle.HANDED_BACK, lifecycle.CLOSED]
    statement = (
        select(Handoff)
        .where(Handoff.agent_id == staff.id, Handoff.status.in_(statuses))
        .order_by(Handoff.claimed_at.desc(), Handoff.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


# --- the customer's side -------------------------------------------------------------------------


def cancel(
    *, session: Session, conversation_id: str, actor: str = "customer", now: datetime | None = None
) -> Handoff:
    """The customer leaves the queue; IllegalHandoffTransition once an agent has taken it."""
    now = now or utcnow()
    handoff = active_handoff(session=session, conversation_id=conversation_id)
    if handoff is None:
        raise HandoffNotFound(
            f"conversation {conversation_id} has no active handoff", customer_message="您当前没有在排队。"
        )
    if handoff.status != lifecycle.WAITING:
        raise IllegalHandoffTransition(
            f"a {handoff.status} handoff is not cancelled", customer_message="人工客服已接入，无需取消排队。"
        )
    handoff.status = lifecycle.CANCELLED
    handoff.ended_at = now
    _record(
        session,
        handoff=handoff,
        actor=actor,
        action="cancelled",
        now=now,
        from_status=lifecycle.WAITING,
        to_status=lifecycle.CANCELLED,
    )
    return handoff


def expire_waiting(*, session: Session, older_than: timedelta, now: datetime | None = None) -> list[Handoff]:
    """Expires handoffs that waited longer than `older_than` (the caller tells each customer and
    offers a call-back); returns them. Safe to run from every replica: only rows still waiting
    change, so a handoff claimed meanwhile stays claimed."""
    now = now or utcnow()
    candidates = list(
        session.scalars(
            select(Handoff.id).where(
                Handoff.status == lifecycle.WAITING, Handoff.requested_at < now - older_than
            )
        )
    )
    expired = []
    for handoff_id in candidates:
        result = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == lifecycle.WAITING)
            .values(status=lifecycle.EXPIRED, ended_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            _record(
                session,
                handoff=handoff,
                actor="system",
                action="expired",
                now=now,
                from_status=lifecycle.WAITING,
                to_status=lifecycle.EXPIRED,
            )
            expired.append(handoff)
    return expired


def rate(
    *,
    session: Session,
    conversation_id: str,
    satisfaction: int,
    actor: str = "customer",
    now: datetime | None = None,
) -> Handoff:
    """Stores the customer's satisfaction (1–5) with the conversation's last human service, once."""
    now = now or utcnow()
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise InvalidHandoffField(
            f"satisfaction {satisfaction!r} not in 1..5",
            customer_message="请用 1 到 5 分评价（5 分最满意）。",
        )
    handoff = latest_handoff(session=session, conversation_id=conversation_id)
    if handoff is None or handoff.status not in lifecycle.RATABLE_STATUSES:
        raise IllegalHandoffTransition(
            f"conversation {conversation_id} has no ended human service to rate",
            customer_message="人工服务结束后才能评价。",
        )
    if handoff.satisfaction is not None:
        raise IllegalHandoffTransition(
            f"handoff {handoff.id} already rated", customer_message="您已评价过本次人工服务，感谢您的反馈。"
        )
    handoff.satisfaction = satisfaction
    handoff.rated_at = now
    _record(session, handoff=handoff, actor=actor, action="rated", now=now, note=str(satisfaction))
    return handoff


# --- presence and availability -------------------------------------------------------------------


def set_presence(
    *, session: Session, staff: StaffAccount, status: str, now: datetime | None = None
) -> AgentPresence:
    """Records the agent's status; the console calls it as a heartbeat while open."""
    now = now or utcnow()
    _require_agent(staff)
    if status not in PRESENCE_STATUSES:
        raise InvalidHandoffField(f"unknown presence {status!r}", customer_message="在线状态不正确。")
    presence = session.get(AgentPresence, staff.id)
    if presence is None:
        presence = AgentPresence(staff_id=staff.id, status=status, updated_at=now)
        session.add(presence)
    else:
        presence.status = status
        presence.updated_at = now
    session.flush()
    return presence


def agents_online(
    *, session: Session, now: datetime | None = None, within: timedelta = DEFAULT_PRESENCE_WINDOW
) -> list[StaffAccount]:
    """Active agents and supervisors whose console said "online" within `within`."""
    now = now or utcnow()
    statement = (
        select(StaffAccount)
        .join(AgentPresence, AgentPresence.staff_id == StaffAccount.id)
        .where(
            AgentPresence.status == "online",
            AgentPresence.updated_at >= now - within,
            StaffAccount.active.is_(True),
            StaffAccount.role.in_((roles.AGENT, roles.SUPERVISOR, roles.ADMIN)),
        )
        .order_by(StaffAccount.id)
    )
    return list(session.scalars(statement))


@dataclass(frozen=True)
class QueueAvailability:
    """Whether a customer can join the queue now; otherwise why not ("closed" or "no_agent") and
    when agents next start work (offer a call-back)."""

    available: bool
    reason: str | None
    next_opening: datetime | None
    hours_text: str


def can_queue(*, session: Session, settings, now: datetime | None = None) -> QueueAvailability:
    """Service time and at least one agent online: the customer may queue; else offer a call-back."""
    now = now or utcnow()
    hours_text = hours.describe_hours(settings)
    if not hours.is_service_time(now, settings):
        return QueueAvailability(False, "closed", hours.next_opening(now, settings), hours_text)
    online = agents_online(
        session=session, now=now, within=timedelta(minutes=settings.agent_presence_minutes)
    )
    if not online:
        return QueueAvailability(False, "no_agent", None, hours_text)
    return QueueAvailability(True, None, None, hours_text)


# --- call-back requests --------------------------------------------------------------------------


def request_callback(
    *,
    session: Session,
    phone: str,
    preferred_time: str | None = None,
    conversation_id: str | None = None,
    customer_id: str | None = None,
    reason: str | None = None,
    actor: str = "customer",
    now: datetime | None = None,
    cipher: CaseCipher | None = None,
) -> CallbackRequest:
    """Stores a call-back request with the phone encrypted (and masked for display), and why the
    customer wanted a person (a handoff reason, or CALLBACK_REASON when they asked for the
    call-back straight away)."""
    now = now or utcnow()
    mobile = parse_mobile(phone or "")
    if mobile is None:
        raise InvalidHandoffField(
            "callback phone is not a mainland mobile number",
            customer_message="请提供有效的11位手机号码，以便客服给您回电。",
        )
    preferred = (preferred_time or "").strip() or None
    if preferred is not None and len(preferred) > MAX_PREFERRED_TIME_CHARS:
        raise InvalidHandoffField(
            f"preferred time longer than {MAX_PREFERRED_TIME_CHARS}",
            customer_message=f"方便接听的时间请控制在{MAX_PREFERRED_TIME_CHARS}字以内。",
        )
    if reason is not None and reason not in CALLBACK_REASON_LABELS:
        raise InvalidHandoffField(f"unknown callback reason {reason!r}", customer_message="回电原因不正确。")
    cipher = cipher or default_cipher()
    callback = CallbackRequest(
        conversation_id=conversation_id,
        customer_id=customer_id,
        phone_encrypted=cipher.encrypt(mobile),
        phone_masked=mask_mobile(mobile),
        preferred_time=mask_text(preferred) if preferred else None,
        reason=reason,
        status=CALLBACK_REQUESTED,
        created_at=now,
    )
    session.add(callback)
    session.flush()
    _record(
        session,
        callback=callback,
        actor=actor,
        action="callback_requested",
        now=now,
        to_status=CALLBACK_REQUESTED,
    )
    return callback


def get_callback(*, session: Session, callback_id: int) -> CallbackRequest:
    """The call-back request with this id; CallbackNotFound otherwise."""
    callback = session.get(CallbackRequest, callback_id)
    if callback is None:
        raise CallbackNotFound(f"no callback request {callback_id}")
    return callback


def list_callbacks(
    *, session: Session, status: str | None = CALLBACK_REQUESTED, limit: int = 100
) -> list[CallbackRequest]:
    """Call-back requests, oldest first (the ones still to call by default; None: all)."""
    statement = select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id).limit(limit)
    if status is not None:
        if status not in CALLBACK_STATUSES:
            raise InvalidHandoffField(
                f"unknown callback status {status!r}", customer_message="回电状态不正确。"
            )
        statement = statement.where(CallbackRequest.status == status)
    return list(session.scalars(statement))


def callback_messages(
    *, session: Session, callback: CallbackRequest, limit: int = 100
) -> list[ConversationMessage]:
    """What the customer said before asking to be called back, for the agent who calls: the
    conversation's last `limit` messages up to the request (its confirmation included), oldest
    first. The caller masks customer text, as for a handoff."""
    if not callback.conversation_id:
        return []
    statement = (
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == callback.conversation_id,
            ConversationMessage.created_at <= callback.created_at + CALLBACK_CONFIRMATION_WINDOW,
        )
        .order_by(ConversationMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(statement))))


def mark_callback_done(
    *,
    session: Session,
    callback_id: int,
    staff: StaffAccount,
    note: str | None = None,
    now: datetime | None = None,
) -> CallbackRequest:
    """The agent called the customer back."""
    now = now or utcnow()
    _require_agent(staff)
    callback = get_callback(session=session, callback_id=callback_id)
    if callback.status != CALLBACK_REQUESTED:
        raise IllegalHandoffTransition(
            f"callback {callback_id} is {callback.status}", customer_message="该回电请求已处理。"
        )
    callback.status = CALLBACK_DONE
    callback.done_at = now
    callback.done_by = staff
    _record(
        session,
        callback=callback,
        actor=staff_service.actor_name(staff),
        action="callback_done",
        now=now,
        from_status=CALLBACK_REQUESTED,
        to_status=CALLBACK_DONE,
        note=_note(note),
    )
    return callback


def reveal_callback_phone(
    *,
    session: Session,
    callback_id: int,
    staff: StaffAccount,
    now: datetime | None = None,
    cipher: CaseCipher | None = None,
) -> str:
    """The full phone number for the agent who calls back; the access is audited."""
    now = now or utcnow()
    _require_agent(staff)
    callback = get_callback(session=session, callback_id=callback_id)
    phone = (cipher or default_cipher()).decrypt(callback.phone_encrypted)
    assert phone is not None, "a call-back request always has a phone number"
    _record(
        session, callback=callback, actor=staff_service.actor_name(staff), action="phone_revealed", now=now
    )
    return phone
