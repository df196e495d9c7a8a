"""Handoffs to human agents, their append-only audit trail, agent presence and call-back requests."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import relationship

from bot.db import Base, UTCDateTime, utcnow
from bot.staff import models as staff_models  # noqa: F401  StaffAccount, for agent relationships


class Handoff(Base):
    """One request for a person in a conversation, from queueing to hand-back; every change goes
    through bot.handoff.service."""

    __tablename__ = "handoff"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        # At most one waiting or claimed handoff per conversation, even across API replicas.
        Index(
            "uq_handoff_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'claimed')"),
            postgresql_where=text("status IN ('waiting', 'claimed')"),
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), nullable=False, index=True)
    customer_id = Column(String(64), nullable=True, index=True)
    # bot.handoff.lifecycle.REASONS; priority from the reason, lower is served first.
    reason = Column(String(16), nullable=False)
    priority = Column(Integer, nullable=False)
    # bot.handoff.lifecycle.STATUSES.
    status = Column(String(16), nullable=False, index=True)
    agent_id = Column(Integer, ForeignKey("staff_account.id", ondelete="SET NULL"), nullable=True, index=True)
    requested_at = Column(UTCDateTime(), nullable=False)
    claimed_at = Column(UTCDateTime(), nullable=True)
    ended_at = Column(UTCDateTime(), nullable=True)
    satisfaction = Column(Integer, nullable=True)
    rated_at = Column(UTCDateTime(), nullable=True)
    # JSON the agent needs to pick up where the assistant stopped (e.g. a complaint draft); masked.
    context = Column(Text, nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    agent = relationship("StaffAccount", lazy="joined")


class CallbackRequest(Base):
    """A customer's request to be called back when no agent can take the conversation now."""

    __tablename__ = "callback_request"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), nullable=True, index=True)
    customer_id = Column(String(64), nullable=True, index=True)
    # Fernet-encrypted with the complaint cases' key (bot.cases.crypto), plus the masked form.
    phone_encrypted = Column(Text, nullable=False)
    phone_masked = Column(String(16), nullable=False)
    preferred_time = Column(String(50), nullable=True)
    # Why the customer wanted a person (bot.handoff.lifecycle reasons, or "callback" when they
    # asked for a call-back straight away); None for requests stored before it was recorded.
    reason = Column(String(16), nullable=True)
    # "requested" or "done".
    status = Column(String(16), nullable=False, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    done_at = Column(UTCDateTime(), nullable=True)
    done_by_id = Column(Integer, ForeignKey("staff_account.id", ondelete="SET NULL"), nullable=True)

    done_by = relationship("StaffAccount", lazy="joined")


class HandoffEvent(Base):
    """An audit row: who did what to a handoff or a call-back request and when. Only ever added."""

    __tablename__ = "handoff_event"
    __table_args__ = (CheckConstraint("(handoff_id IS NULL) <> (callback_id IS NULL)", name="one_subject"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoff.id", ondelete="CASCADE"), nullable=True, index=True)
    callback_id = Column(
        Integer, ForeignKey("callback_request.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # "customer", "assistant", "system" or "staff:<username>".
    actor = Column(String(80), nullable=False)
    action = Column(String(32), nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=True)
    # Never holds unmasked personal data.
    note = Column(Text, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class AgentPresence(Base):
    """Whether an agent is at the console: "online", "away" or "offline", refreshed by heartbeats."""

    __tablename__ = "agent_presence"

    staff_id = Column(Integer, ForeignKey("staff_account.id", ondelete="CASCADE"), primary_key=True)
    status = Column(String(16), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)

    staff = relationship("StaffAccount", lazy="joined")
