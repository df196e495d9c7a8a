"""Request and response bodies of the agent console API (queue, handoffs, presence, call-backs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictStr

HandoffStatus = Literal["waiting", "claimed", "handed_back", "closed", "cancelled", "expired"]
HandoffReason = Literal["request", "misunderstood", "complaint", "questionnaire", "fraud", "distress"]
PresenceStatus = Literal["online", "away", "offline"]


class HandoffRead(BaseModel):
    id: int
    conversation_id: str
    customer_id: str | None
    reason: HandoffReason
    reason_label: str
    priority: int = Field(..., description="Lower is served first (0 fraud/distress, 1 complaint, 2 other).")
    status: HandoffStatus
    status_label: str
    agent: str | None = Field(None, description="Username of the agent holding the conversation.")
    agent_name: str | None
    requested_at: datetime
    claimed_at: datetime | None
    ended_at: datetime | None
    satisfaction: int | None
    context: dict[str, Any] | None = Field(None, description="What the assistant collected (masked).")


class QueueItem(HandoffRead):
    position: int
    estimated_wait_minutes: int


class QueueRead(BaseModel):
    items: list[QueueItem]
    agents_online: int
    service_open: bool = Field(..., description="Inside agent service hours now.")
    wait_samples: int = Field(..., description="Recent claims behind the estimate; 0 means the default.")


class HandoffNote(BaseModel):
    note: StrictStr | None = Field(None, max_length=1000, description="Internal; masked before storing.")


class PresenceUpdate(BaseModel):
    status: PresenceStatus


class PresenceRead(BaseModel):
    status: PresenceStatus
    updated_at: datetime
    agents_online: int


class CallbackRead(BaseModel):
    id: int
    conversation_id: str | None
    customer_id: str | None
    reason: str | None = Field(
        None, description="A handoff reason, or 'callback' (asked for one straight away)."
    )
    reason_label: str
    conversation_url: str | None = Field(None, description="The console page showing the conversation.")
    phone_masked: str
    preferred_time: str | None
    status: Literal["requested", "done"]
    created_at: datetime
    done_at: datetime | None
    done_by: str | None


class CallbackPhoneRead(BaseModel):
    id: int
    phone: str


class AgentMessageCreate(BaseModel):
    text: StrictStr = Field(..., description="The agent's reply (1–1000 characters).")


class AgentMessageRead(BaseModel):
    id: int
    sender: Literal["customer", "assistant", "agent", "system"]
    text: str = Field(..., description="Customer messages are masked (phone, ID, card numbers, e-mail).")
    buttons: list[dict[str, str]] = []
    kind: str = "text"
    agent_name: str | None = None
    created_at: datetime


class ConversationMessagesRead(BaseModel):
    handoff: HandoffRead
    messages: list[AgentMessageRead]


class CallbackMessagesRead(BaseModel):
    callback: CallbackRead
    messages: list[AgentMessageRead]


class AssessmentStanding(BaseModel):
    status: Literal["valid", "expired"]
    status_label: str
    level: str | None = Field(..., description="C1–C5.")
    taken_at: datetime | None
    expires_at: datetime | None
    questionnaire_version: int | None


class CustomerCase(BaseModel):
    number: str
    status: str
    status_label: str
    business: str | None
    reason: str | None
    received_at: datetime
    due_at: datetime
    description: str = Field(..., description="Masked, at most 200 characters.")
    contact_phone: str | None = Field(..., description="Masked.")


class UnderstoodTurn(BaseModel):
    text: str = Field(..., description="Masked.")
    intent: str | None
    intent_label: str
    confidence: float
    faq_topic: str | None = Field(..., description="The FAQ topic of an FAQ turn.")
    entities: list[dict[str, str]] = Field(..., description="{entity, label, value, display, text}, masked.")


class Understanding(BaseModel):
    turns: list[UnderstoodTurn] = Field(..., description="Customer turns, latest last (at most 50).")
    slots: dict[str, str] = Field(..., description="Filled slots, masked and shortened.")
    active_form: str | None
    paused: bool


class HandoffContextRead(BaseModel):
    handoff: HandoffRead
    customer_id: str | None
    assessment: AssessmentStanding | None = Field(..., description="The latest risk assessment.")
    cases: list[CustomerCase] = Field(..., description="The customer's complaint cases.")
    understanding: Understanding | None = Field(
        ..., description="What the assistant understood; None while Rasa cannot be asked."
    )
