"""Request and response bodies of the public chat API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictStr

from bot.conversations.service import MAX_TEXT_CHARS_AS_SENT


class SessionCreate(BaseModel):
    channel: Literal["web", "app"] = Field("web", description="Where the customer chats from.")
    identity_token: StrictStr | None = Field(
        None,
        description="The logged-in customer, signed by the bank's site or app (see README); "
        "omit for an anonymous customer.",
    )


class Button(BaseModel):
    title: str
    payload: str


class Welcome(BaseModel):
    text: str = Field(..., description="The greeting.")
    buttons: list[Button] = Field(..., description="Suggested questions (bot/conversations/welcome.yml).")


class SessionCreated(BaseModel):
    conversation_id: str
    customer_id: str | None = Field(None, description="The verified customer, if identified.")
    token: str = Field(..., description="Send as `Authorization: Bearer <token>` on every later call.")
    expires_at: datetime = Field(
        ..., description="The token ends then at the latest (CONVERSATION_MAX_HOURS)."
    )
    idle_timeout_seconds: int = Field(
        ..., description="The token also ends after this long without a message (CONVERSATION_IDLE_MINUTES)."
    )
    welcome: Welcome | None = Field(None, description="What to show first.")


class SessionResume(BaseModel):
    identity_token: StrictStr | None = Field(
        None,
        description="The customer signed in now (omit when nobody is): it must be the one the "
        "conversation was opened for.",
    )


class SessionResumed(BaseModel):
    conversation_id: str
    customer_id: str | None
    expires_at: datetime
    idle_timeout_seconds: int


class MessageCreate(BaseModel):
    text: StrictStr = Field(
        ...,
        max_length=MAX_TEXT_CHARS_AS_SENT,
        description="The customer's message: 1 to 1,000 characters (MAX_MESSAGE_CHARS) after "
        f"removing surrounding whitespace and control characters; at most {MAX_TEXT_CHARS_AS_SENT:,} "
        "characters as sent.",
    )
    client_message_id: StrictStr | None = Field(
        None,
        max_length=64,
        description="The client's own id; resending with the same id never duplicates a message.",
    )


MessageKind = Literal["text", "handoff_waiting", "handoff_started", "handoff_ended", "rating", "case_number"]
KIND_DESCRIPTION = (
    "text: an ordinary message; handoff_waiting: queue position while waiting for a person; "
    "handoff_started / handoff_ended: an agent joined / left (agent_name says who); "
    "rating: asks for a 1–5 rating (a service by a person or a complaint's handling), its "
    'buttons\' payloads are "1分"…"5分"; case_number: a filed complaint\'s number (TS + 14 '
    "digits) in the text, shown on its own with a copy button."
)


CALLS_DESCRIPTION = (
    "Phone numbers the text gives, as written in it (the bank's hotline and fraud line, 110, 120, "
    "96110, 12356): clients show them as tap-to-call links (tel: with the digits)."
)


class Reply(BaseModel):
    id: int
    sender: Literal["assistant", "agent", "system"] = Field(
        ..., description="system: notices about the service (queue, agent joined or left, rating)."
    )
    text: str
    buttons: list[Button] = []
    kind: MessageKind = Field("text", description=KIND_DESCRIPTION)
    agent_name: str | None = Field(None, description="The agent's display name (agent messages and joins).")
    calls: list[str] = Field([], description=CALLS_DESCRIPTION)
    created_at: datetime


class MessageExchange(BaseModel):
    message_id: int = Field(..., description="Server id of the customer's message.")
    client_message_id: str | None
    replies: list[Reply]


class HistoryMessage(BaseModel):
    id: int
    sender: Literal["customer", "assistant", "agent", "system"]
    text: str
    buttons: list[Button] = []
    kind: MessageKind = Field("text", description=KIND_DESCRIPTION)
    agent_name: str | None = None
    calls: list[str] = Field([], description=CALLS_DESCRIPTION)
    client_message_id: str | None = Field(
        None, description="Customer messages: the id the client sent it with."
    )
    status: str
    created_at: datetime


class History(BaseModel):
    conversation_id: str
    messages: list[HistoryMessage]
