"""Complaint cases, their append-only audit trail, daily number counters, failed contact checks and
the short-lived access a passed check grants."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.db import Base, UTCDateTime, utcnow
from bot.staff import models as staff_models  # noqa: F401  StaffAccount, for ComplaintCase.assignee


class ComplaintCase(Base):
    """One complaint from receipt to closing; every change goes through bot.cases.service."""

    __tablename__ = "complaint_case"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint("extension_count BETWEEN 0 AND 2", name="extension_count_range"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(16), nullable=False, unique=True)
    # The unguessable lookup key (查询码, bot.cases.references) given to an anonymous complainant;
    # the sequential `number` alone never opens a case to a customer.
    reference = Column(String(12), nullable=False, unique=True)
    # The verified customer who filed it: only they see it online (no digits asked).
    customer_id = Column(String(64), nullable=True, index=True)
    # Personal data: Fernet-encrypted at rest, plus the masked form every screen shows.
    contact_phone_encrypted = Column(Text, nullable=True)
    contact_phone_masked = Column(String(16), nullable=True)
    customer_name_encrypted = Column(Text, nullable=True)
    customer_name_masked = Column(String(32), nullable=True)
    # JR/T 0169 codes (bot.cases.classification); None until known.
    channel_code = Column(String(8), nullable=True, index=True)
    business_code = Column(String(8), nullable=True, index=True)
    reason_code = Column(String(8), nullable=True, index=True)
    description = Column(Text, nullable=False)
    request = Column(Text, nullable=True)
    # When it happened, as the customer said it ("上周五", "2026年11月20日").
    occurred_when = Column(String(100), nullable=True)
    # What those words resolve to (bot/entities): the day in Asia/Shanghai, when they name one.
    occurred_on = Column(Date, nullable=True)
    # The sum in dispute, when the customer named one ("转了5000元" → 500000 hundredths, CNY):
    # whole hundredths of the currency unit (分 for yuan), exact on every database.
    amount_cents = Column(BigInteger, nullable=True)
    amount_currency = Column(String(3), nullable=True)
    intake_channel = Column(String(16), nullable=False)
    conversation_id = Column(String(32), nullable=True, index=True)
    # "received", "in_progress", "answered", "closed" or "withdrawn" (bot.cases.lifecycle).
    status = Column(String(16), nullable=False, index=True)
    received_at = Column(UTCDateTime(), nullable=False)
    # Deadlines count from here: the receipt, or the review request after a reopen.
    deadline_starts_at = Column(UTCDateTime(), nullable=False)
    due_at = Column(UTCDateTime(), nullable=False, index=True)
    extension_count = Column(Integer, nullable=False, default=0)
    extension_reason = Column(Text, nullable=True)
    extension_approval_note = Column(Text, nullable=True)
    assignee_id = Column(
        Integer, ForeignKey("staff_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    answer_text = Column(Text, nullable=True)
    answered_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    withdrawn_at = Column(UTCDateTime(), nullable=True)
    satisfaction = Column(Integer, nullable=True)
    rated_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    assignee = relationship("StaffAccount", lazy="joined")
    events = relationship(
        "ComplaintCaseEvent",
        order_by="ComplaintCaseEvent.id",
        lazy="select",
        passive_deletes=True,
    )


class ComplaintCaseEvent(Base):
    """An audit row: who did what to a case and when. Rows are only ever added."""

    __tablename__ = "complaint_case_event"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("complaint_case.id", ondelete="CASCADE"), nullable=False, index=True)
    # "customer", "assistant", "system" or "staff:<username>".
    actor = Column(String(80), nullable=False)
    action = Column(String(32), nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=True)
    # Never holds unmasked personal data.
    note = Column(Text, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ComplaintCaseCounter(Base):
    """The last sequence handed out for one day of receipt (Asia/Shanghai), e.g. 20261123 → 123.

    Incremented with an upsert inside the transaction that stores the case, so two API replicas
    never get the same number (the row lock serialises them on PostgreSQL).
    """

    __tablename__ = "complaint_case_counter"

    day = Column(String(8), primary_key=True)
    last_value = Column(Integer, nullable=False)


class ComplaintCaseCheckFailure(Base):
    """A failed lookup (reference + last four digits of the contact phone), counted per case,
    conversation and client address for the escalating lockouts (bot.ratelimit.lockout)."""

    __tablename__ = "complaint_case_check_failure"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("complaint_case.id", ondelete="CASCADE"), nullable=True, index=True)
    conversation_id = Column(String(32), nullable=True, index=True)
    # A keyed digest of the client's address (bot.cases.crypto.address_key), never the address.
    address_key = Column(String(64), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class ComplaintCaseAccess(Base):
    """A conversation that passed the contact check for a case may act on it (rate, withdraw)
    until `expires_at`; the action re-checks this row, not what the dialogue remembers."""

    __tablename__ = "complaint_case_access"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("complaint_case.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(String(32), nullable=False, index=True)
    granted_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False, index=True)
