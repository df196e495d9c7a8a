"""Tables of customer conversations and their message delivery log."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.cases.crypto import EncryptedText
from bot.db import Base, UTCDateTime, utcnow


class Conversation(Base):
    """A customer's chat; only the holder of its token may read or write it."""

    __tablename__ = "conversation"

    id = Column(String(32), primary_key=True)
    token_hash = Column(String(64), nullable=False)
    channel = Column(String(16), nullable=False)
    customer_id = Column(String(64), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    last_activity_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    messages = relationship(
        "ConversationMessage",
        back_populates="conversation",
        order_by="ConversationMessage.id",
        lazy="raise",
    )


class ConversationMessage(Base):
    """One message of a conversation, written before it is forwarded so nothing accepted is lost."""

    __tablename__ = "conversation_message"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "client_message_id", name="uq_conversation_message_client_message_id"
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # "customer", "assistant" or "agent".
    sender = Column(String(16), nullable=False)
    # Encrypted at rest (the customer's own words, kept until the retention purge).
    text = Column(EncryptedText, nullable=False, default="")
    # Buttons and other structured content of assistant replies.
    payload = Column(JSON, nullable=True)
    client_message_id = Column(String(64), nullable=True)
    # Customer messages: "received" until the assistant answered, then "delivered"; "failed"
    # when the assistant could not be reached (the customer may resend with the same client id).
    status = Column(String(16), nullable=False)
    # Assistant messages point at the customer message they answer.
    reply_to_id = Column(Integer, ForeignKey("conversation_message.id"), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages", lazy="raise")


class ActionEffect(Base):
    """The record an action made for one customer message (bot.conversations.effects); identifiers
    only, removed with the conversation."""

    __tablename__ = "action_effect"
    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id", "action", name="uq_action_effect_message_action"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), nullable=False)
    message_id = Column(String(64), nullable=False)
    action = Column(String(64), nullable=False)
    record = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
