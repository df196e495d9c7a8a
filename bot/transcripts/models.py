"""The analysts' transcript store: every message of every conversation, masked at write time."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.sql.expression import false as sql_false

from bot.db import Base, UTCDateTime


class TranscriptMessage(Base):
    """One customer, assistant, agent or system message. Text is masked before it is stored;
    customer messages carry what the assistant understood."""

    __tablename__ = "transcript_message"
    __table_args__ = (Index("ix_transcript_message_conversation_time", "conversation_id", "created_at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    # Where it came from, unique so a replay stores nothing twice: "rasa:<SQL broker event id>",
    # "rasa:mq<hash>" (RabbitMQ: a hash of the event) or "api:<conversation_message id>".
    source_key = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False)
    # "customer", "assistant", "agent" or "system".
    sender = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    # Customer messages: the text as the NLU read it (simplified, half-width, digits), masked.
    normalized_text = Column(Text, nullable=True)
    intent = Column(String(100), nullable=True, index=True)
    confidence = Column(Float, nullable=True)
    entities = Column(JSON, nullable=True)
    fallback = Column(Boolean, nullable=False, default=False)
    agent_name = Column(String(64), nullable=True)
    # Assistant messages: the action that sent it (utter_… or the custom action), for test stories.
    action_name = Column(String(100), nullable=True)
    # FAQ answers: the knowledge base's answer version the customer was shown
    # (bot/faq/models.FaqAnswerVersion.id; not a foreign key, transcripts outlive versions).
    answer_version_id = Column(Integer, nullable=True, index=True)
    # Customer messages: the form that was active and the slot it had asked for when the message
    # came (a form answer: the NLU was not asked to understand free text), and the button payload
    # when the message was a button press (`text` then holds the button's title, as the customer
    # saw it).
    form = Column(String(64), nullable=True)
    requested_slot = Column(String(64), nullable=True)
    payload = Column(String(300), nullable=True)
    # Assistant and system messages: the buttons offered, [{"title", "payload"}].
    buttons = Column(JSON, nullable=True)
    channel = Column(String(16), nullable=True)
    customer_id = Column(String(64), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, index=True)


class TranscriptCursor(Base):
    """How far the consumer has read each source (the broker's last event id)."""

    __tablename__ = "transcript_cursor"

    source = Column(String(32), primary_key=True)
    position = Column(Integer, nullable=False, default=0)


class TranscriptConversation(Base):
    """One conversation as analysts filter it: recomputed from its messages, events and the
    handoff table whenever one of them changes (`service.refresh_conversations`)."""

    __tablename__ = "transcript_conversation"
    __table_args__ = (Index("ix_transcript_conversation_channel_started", "channel", "started_at"),)

    conversation_id = Column(String(255), primary_key=True)
    channel = Column(String(16), nullable=True)
    customer_id = Column(String(64), nullable=True)
    started_at = Column(UTCDateTime(), nullable=False, index=True)
    last_message_at = Column(UTCDateTime(), nullable=False)
    message_count = Column(Integer, nullable=False, default=0)
    # The first customer message (masked, shortened) for the list.
    first_customer_text = Column(String(200), nullable=True)
    # Intents of the customer's messages in the order first seen.
    intents = Column(JSON, nullable=True)
    min_confidence = Column(Float, nullable=True, index=True)
    fallback_count = Column(Integer, nullable=False, default=0)
    handed_off = Column(Boolean, nullable=False, default=False)
    handoff_reason = Column(String(16), nullable=True)
    complaint_filed = Column(Boolean, nullable=False, default=False)
    case_number = Column(String(16), nullable=True)
    assessment_done = Column(Boolean, nullable=False, default=False)
    satisfaction = Column(Integer, nullable=True, index=True)
    customer_message_count = Column(Integer, nullable=False, default=0, server_default="0")
    callback_requested = Column(Boolean, nullable=False, default=False, server_default=sql_false())
    # bot.transcripts.outcomes: self_service | handed_off | unresolved; None without a customer
    # message (such conversations are left out of the rates).
    outcome = Column(String(16), nullable=True, index=True)


class TranscriptDialogueState(Base):
    """Where each conversation's dialogue stands in Rasa's event stream (active form, requested
    slot, the form's own step), kept between broker batches so a customer message read in a later
    batch still knows whether it answered a form, and whether that answer was a name or a phone."""

    __tablename__ = "transcript_dialogue_state"

    conversation_id = Column(String(255), primary_key=True)
    active_form = Column(String(64), nullable=True)
    requested_slot = Column(String(64), nullable=True)
    # The `stage` of the form's state slot (complaint_draft, callback_state, case_lookup): "name",
    # "phone", "description" …; a personal one masks the next answer whole.
    stage = Column(String(32), nullable=True)


class TranscriptConversationIntent(Base):
    """How often each intent was detected in a conversation (the intent filter and chart)."""

    __tablename__ = "transcript_conversation_intent"
    __table_args__ = (Index("ix_transcript_conversation_intent_intent", "intent", "conversation_id"),)

    conversation_id = Column(String(255), primary_key=True)
    intent = Column(String(100), primary_key=True)
    message_count = Column(Integer, nullable=False)


class TranscriptConversationEntity(Base):
    """Which entity values a conversation's customer messages named, and how often (the entity
    filter: "conversations naming 中国工商银行", "conversations with an AMOUNT")."""

    __tablename__ = "transcript_conversation_entity"
    __table_args__ = (
        Index("ix_transcript_conversation_entity_entity_value", "entity", "value", "conversation_id"),
    )

    conversation_id = Column(String(255), primary_key=True)
    entity = Column(String(32), primary_key=True)
    # The value as stored on the message (masked like the text).
    value = Column(String(64), primary_key=True)
    message_count = Column(Integer, nullable=False)


class TranscriptTerm(Base):
    """The search index: each jieba term (search mode) of what a customer or agent wrote, once per
    message. Assistant replies and notices are the product's own wording and are not indexed."""

    __tablename__ = "transcript_term"

    term = Column(String(32), primary_key=True)
    conversation_id = Column(String(255), primary_key=True, index=True)
    message_id = Column(Integer, primary_key=True)


class TranscriptEvent(Base):
    """Handoff, case and assessment events shown inline in a transcript: from Rasa's events
    (pause, resume, the complaint-filed or assessment-result reply) and from the domain tables."""

    __tablename__ = "transcript_event"

    id = Column(Integer, primary_key=True, autoincrement=True)
    source_key = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    # handoff_requested, handback, complaint_filed, assessment_done, rating
    kind = Column(String(32), nullable=False)
    detail = Column(String(200), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)


class TranscriptTag(Base):
    """An analyst's tag on a conversation."""

    __tablename__ = "transcript_tag"

    conversation_id = Column(String(255), primary_key=True)
    tag = Column(String(50), primary_key=True, index=True)
    created_by = Column(String(80), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)


class TranscriptAnnotation(Base):
    """An analyst's note on one message, e.g. the intent it should have been."""

    __tablename__ = "transcript_annotation"

    id = Column(Integer, primary_key=True, autoincrement=True)
    message_id = Column(
        Integer, ForeignKey("transcript_message.id", ondelete="CASCADE"), nullable=False, index=True
    )
    conversation_id = Column(String(255), nullable=False, index=True)
    correct_intent = Column(String(100), nullable=True)
    note = Column(Text, nullable=True)
    author = Column(String(80), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
