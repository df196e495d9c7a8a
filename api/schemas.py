"""Request and response bodies of the public chat API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, Field, StrictStr


class SessionCreate(BaseModel):
    channel: Literal["web", "app"] = Field("web", description="Where the customer chats from.")
    identity_token: Optional[StrictStr] = Field(
        None,
        description="The logged-in customer, signed by the bank's site or app (see README); "
        "omit for an anonymous customer.",
    )


class SessionCreated(BaseModel):
    conversation_id: str
    customer_id: Optional[str] = Field(None, description="The verified customer, if identified.")
    token: str = Field(..., description="Send as `Authorization: Bearer <token>` on every later call.")


class MessageCreate(BaseModel):
    text: StrictStr = Field(..., description="The customer's message, 1 to 1,000 characters.")
    client_message_id: Optional[StrictStr] = Field(
        None,
        max_length=64,
        description="The client's own id; resending with the same id never duplicates a message.",
    )


class Button(BaseModel):
    title: str
    payload: str


class Reply(BaseModel):
    id: int
    sender: Literal["assistant", "agent"]
    text: str
    buttons: list[Button] = []
    created_at: datetime


class MessageExchange(BaseModel):
    message_id: int = Field(..., description="Server id of the customer's message.")
    client_message_id: Optional[str]
    replies: list[Reply]


class HistoryMessage(BaseModel):
    id: int
    sender: Literal["customer", "assistant", "agent"]
    text: str
    buttons: list[Button] = []
    status: str
    created_at: datetime


class History(BaseModel):
    conversation_id: str
    messages: list[HistoryMessage]


class ComponentHealth(BaseModel):
    status: Literal["ok", "down"]
    detail: Optional[str] = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentHealth]
