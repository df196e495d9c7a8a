"""Bodies of the analyst API (api/routes/analyst.py). Everything read here is masked at write
time; `filter` fields are the list's query string (as an object) that shows the conversations
behind a figure."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..params import MAX_ROW_ID

FILTER_DESCRIPTION = "Query parameters of GET /api/analyst/conversations listing the conversations behind it."
Filter = dict[str, str]


class TagBody(BaseModel):
    tag: str = Field(min_length=1, max_length=50)


class AnnotationBody(BaseModel):
    message_id: int = Field(..., ge=1, le=MAX_ROW_ID)
    correct_intent: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=1000)


class ConversationItem(BaseModel):
    conversation_id: str
    channel: str | None
    customer_id: str | None
    started_at: datetime
    last_message_at: datetime
    message_count: int
    first_customer_text: str | None
    intents: list[str]
    intent_labels: list[str] = Field(..., description="The intents' Chinese names, in the same order.")
    min_confidence: float | None = Field(..., description="The lowest confidence of a customer message.")
    fallback_count: int
    handed_off: bool
    handoff_reason: str | None
    complaint_filed: bool
    case_number: str | None
    assessment_done: bool
    satisfaction: int | None
    customer_message_count: int
    callback_requested: bool
    outcome: Literal["self_service", "handed_off", "unresolved"] | None = Field(
        ..., description="None while the customer has not written (bot.transcripts.outcomes)."
    )
    outcome_label: str
    tags: list[str]


class ConversationPage(BaseModel):
    items: list[ConversationItem]
    total: int
    page: int
    page_size: int
    filter: Filter = Field(..., description="The filters applied, as query parameters.")


class AnnotationRead(BaseModel):
    id: int
    message_id: int
    correct_intent: str | None
    note: str | None
    author: str
    created_at: datetime


class TranscriptMessageRead(BaseModel):
    id: int
    sender: str = Field(..., description="customer, assistant or agent.")
    text: str = Field(..., description="Masked; a button press reads as the button's title.")
    normalized_text: str | None
    intent: str | None
    intent_label: str | None = Field(..., description="Customer messages only.")
    confidence: float | None
    entities: list[dict[str, Any]] = Field(
        ..., description="As stored: {entity, label, value, display, text}, masked."
    )
    fallback: bool
    form: str | None = Field(..., description="The form running when the customer wrote.")
    requested_slot: str | None = Field(..., description="The form's question this message answered.")
    payload: str | None = Field(..., description="A button press's payload.")
    buttons: list[dict[str, Any]] = Field(..., description="Buttons offered: {title, payload}.")
    agent_name: str | None
    action_name: str | None
    answer_version_id: int | None = Field(
        None, description="An FAQ reply: the knowledge base's answer version the customer was shown."
    )
    created_at: datetime
    annotations: list[AnnotationRead]


class TranscriptEventRead(BaseModel):
    kind: str = Field(
        ..., description="handoff_requested, handback, complaint_filed, assessment_done, rating…"
    )
    detail: str | None
    created_at: datetime


class ConversationDetail(BaseModel):
    conversation: ConversationItem
    messages: list[TranscriptMessageRead]
    events: list[TranscriptEventRead]
    tags: list[str]
    annotations: list[AnnotationRead]


class TagsRead(BaseModel):
    tags: list[str] = Field(..., description="The conversation's tags after the change.")


class TagCount(BaseModel):
    tag: str
    count: int


class TagList(BaseModel):
    items: list[TagCount]


class EntityValueCount(BaseModel):
    entity: str
    label: str
    value: str
    count: int = Field(..., description="Conversations that named it.")


class EntityValueList(BaseModel):
    items: list[EntityValueCount] = Field(..., description="Most named first.")


class DashboardTotals(BaseModel):
    total_conversations: int
    customer_conversations: int
    contained: int
    handed_off: int
    unresolved: int
    fallback: int
    complaint_filed: int
    assessment_done: int
    containment_rate: float | None = Field(..., description="Over customer_conversations; None without any.")
    handoff_rate: float | None
    unresolved_rate: float | None
    fallback_rate: float | None
    filters: dict[str, Filter] = Field(..., description="By figure: " + FILTER_DESCRIPTION)


class Figure(BaseModel):
    """One figure of the dashboard and the list behind it."""

    count: int
    filter: Filter = Field(..., description=FILTER_DESCRIPTION)


class LabelledFigure(Figure):
    label: str = Field(..., description="The Chinese name of what is counted.")


class DailyCount(Figure):
    date: str = Field(..., description="A China day, YYYY-MM-DD.")


class IntentCount(LabelledFigure):
    intent: str


class HandoffReasonCount(LabelledFigure):
    reason: str | None


class UnrecognisedGroup(Figure):
    phrase: str
    examples: list[str]


class ClassificationCount(LabelledFigure):
    code: str | None


class DeadlineCount(LabelledFigure):
    status: Literal["on_time", "due_soon", "overdue", "closed"]


class ComplaintFigures(BaseModel):
    total: int
    filter: Filter
    by_classification: list[ClassificationCount]
    by_deadline: list[DeadlineCount]


class ScoreCount(Figure):
    score: int


class SatisfactionFigures(BaseModel):
    average: float | None
    count: int
    filter: Filter
    distribution: list[ScoreCount]


class Dashboard(BaseModel):
    filter: Filter
    totals: DashboardTotals
    definitions: dict[str, str] = Field(..., description="By figure: what it counts, in Chinese.")
    daily: list[DailyCount]
    top_intents: list[IntentCount]
    handoff_reasons: list[HandoffReasonCount]
    unrecognised: list[UnrecognisedGroup]
    complaints: ComplaintFigures
    satisfaction: SatisfactionFigures
